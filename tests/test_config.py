import pytest

from gankit.build import check_components
from gankit.config import (
    DEFAULT_PRESET,
    Config,
    override,
    parse_assignment,
    preset_dict,
    preset_names,
    resolve,
)
from gankit.errors import GankitError


def checked(*args, **kwargs) -> Config:
    """A config as the build step accepts it: resolved (types, ranges), then its components
    checked against the registries (names, options, shapes)."""
    cfg = resolve(*args, **kwargs)
    check_components(cfg)
    return cfg


PRESETS = {
    "celeba64-wgan-gp",
    "anime64-dcgan",
    "anime64-wgan",
    "anime64-wgan-gp",
    "mnist-dcgan",
    "ring8-gan",
    "ring8-wgan-gp",
    "grid25-wgan-gp",
    DEFAULT_PRESET,
}


def test_the_seeds_presets_exist():
    assert PRESETS <= set(preset_names())


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_resolves_and_validates(name):
    needs_path = preset_dict(name)["data"]["name"] == "folder"  # a folder has no default path
    cfg = checked(name, flags={"data.path": "/somewhere"} if needs_path else {})
    assert isinstance(cfg, Config) and cfg.description


def test_seed_defaults_per_family():
    wgan = checked("anime64-wgan", flags={"data.path": "x"})
    assert wgan.optim.d.name == "rmsprop" and wgan.optim.d.args["lr"] == 5e-5
    assert wgan.regularizers == {"weight_clip": {"clip": 0.01}} and wgan.train.n_critic == 5
    gp = checked("celeba64-wgan-gp", flags={"data.path": "x"})
    assert gp.optim.d.args == {"lr": 1e-4, "betas": [0.0, 0.9]} and gp.train.n_critic == 5
    assert gp.regularizers["gradient_penalty"]["weight"] == 10
    for name in ("celeba64-wgan-gp", "anime64-wgan-gp", "ring8-wgan-gp", "grid25-wgan-gp"):
        assert (
            checked(
                name, flags={"data.path": "x"} if "64" in name else {}
            ).model.discriminator.args.get("norm")
            != "batch"
        )
    dc = checked("mnist-dcgan")
    assert dc.optim.g.args == {"lr": 2e-4, "betas": [0.5, 0.999]} and dc.train.n_critic == 1


def test_set_overrides_types_and_scientific_notation():
    cfg = checked(
        sets=["optim.g.lr=1e-4", "train.steps=7", "model.ema=null", "loss.label_smoothing=0.1"]
    )
    assert cfg.optim.g.args["lr"] == 1e-4 and cfg.train.steps == 7 and cfg.model.ema is None
    assert cfg.loss.args == {"label_smoothing": 0.1}


def test_changing_a_component_name_drops_its_old_args():
    cfg = checked(sets=["model.generator.name=mlp"])
    assert cfg.model.generator.name == "mlp" and cfg.model.generator.args == {}


def test_regularizer_can_be_switched_off_and_an_unconstrained_critic_warns():
    with pytest.warns(UserWarning, match="Lipschitz"):
        cfg = checked("ring8-wgan-gp", sets=["regularizers.gradient_penalty=null"])
    assert cfg.regularizers == {}


@pytest.mark.parametrize(
    "sets,message",
    [
        (["train.stpes=3"], "did you mean 'steps'"),
        (["optim.g.lr=-1"], "optim.g.lr must be a finite number > 0, got -1"),
        (["train.n_critic=0"], "n_critic"),
        (["train.steps=many"], r"train.steps must be an integer in \[1, 1e9\], got 'many'"),
        (["data.resolution=48"], "square images of size"),
        (["loss.name=hinj"], "did you mean 'hinge'"),
        (["model.discriminator.nrom=layer"], "did you mean 'norm'"),
        (["model.ema=1.5"], "model.ema"),
        (["train.device=gpu"], "train.device"),
        (["train.cuda_graphs=true", "train.device=cpu"], "train.cuda_graphs needs a CUDA device"),
        (["nonsense"], "key=value"),
    ],
)
def test_bad_values_are_one_line_errors(sets, message):
    with pytest.raises(GankitError, match=message) as info:
        checked(sets=sets)
    assert "\n" not in str(info.value)


def test_unknown_preset_suggests():
    with pytest.raises(GankitError, match="did you mean 'ring8-gan'"):
        checked("ring8-gn")


def test_override_creates_nested_keys():
    assert override({}, *parse_assignment("a.b.c=3")) == {"a": {"b": {"c": 3}}}
    assert override({}, "a.b", "3") == {"a": {"b": "3"}}  # a value from Python is not parsed


def test_folder_preset_without_data_path_says_how():
    with pytest.raises(GankitError, match="--data"):
        checked("celeba64-wgan-gp")


def test_a_new_component_name_keeps_the_same_commands_keys_and_says_what_was_reset():
    """Issue 28: --set data.name=X after --set data.labels=... silently dropped the labels, and
    the preset's resolution went back to the folder default (64) without a word."""
    with pytest.warns(UserWarning) as caught:
        cfg = resolve(
            "cifar10-dcgan",
            sets=["data.subdir=train", "data.name=folder", "data.resolution=32"],
            flags={"data.path": "x.zip"},
        )
    assert cfg.data.name == "folder"
    assert cfg.data.args == {"subdir": "train", "resolution": 32, "path": "x.zip"}
    message = " ".join(str(w.message) for w in caught)
    assert "data.channels=3, data.hflip=true no longer apply" in message
    assert "data.resolution=32" not in message  # the user set it again in the same command


def test_the_same_component_name_resets_nothing(recwarn):
    cfg = resolve("cifar10-dcgan", sets=["data.name=cifar10", "data.resolution=16"])
    assert cfg.data.args["resolution"] == 16 and cfg.data.args["hflip"] is True
    assert not [w for w in recwarn if "own defaults" in str(w.message)]


def test_a_description_says_when_the_command_changed_what_it_describes():
    """Issue 28: a Fashion-MNIST run of mnist-dcgan said 'on MNIST 32x32' and nothing else."""
    with pytest.warns(UserWarning):
        cfg = resolve("mnist-dcgan", sets=["data.name=fashion_mnist", "data.resolution=64"])
    assert cfg.description.startswith(preset_dict("mnist-dcgan")["description"])
    assert "(changed for this run: data.name, data.resolution;" in cfg.description
    tuned = resolve("cifar10-dcgan", sets=["optim.lr_decay=linear", "train.batch_size=32"])
    assert "(changed for this run: optim.lr_decay, train.batch_size;" in tuned.description
    plain = resolve("mnist-dcgan", sets=["train.steps=5"], flags={"data.path": "x"})
    assert plain.description == preset_dict("mnist-dcgan")["description"]
    own = resolve("mnist-dcgan", sets=["data.resolution=64", "description=mine"])
    assert own.description == "mine"
