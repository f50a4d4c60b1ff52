"""Every registered model trains, resumes bitwise, and keeps its loss terms as the papers state."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from gankit.build import build
from gankit.cli import main
from gankit.errors import GankitError
from gankit.models import MODELS, Draw, Latent, translation_kind
from gankit.models.infogan import mutual_information_terms
from gankit.training import setup


def make(cfg):
    built = build(cfg)
    return setup.make_trainer(cfg, built), built


GAN_KINDS = [k for k in MODELS.names() if not translation_kind(k)]


@pytest.mark.parametrize("kind", GAN_KINDS)
def test_every_model_trains_and_resumes_bitwise_with_labels(tiny_config, kind):
    cfg = tiny_config("data.labels=true", f"model.kind.name={kind}", "model.ema=0.9")
    a, built = make(cfg)
    for _ in range(2):
        a.train_step()
    state = copy.deepcopy(a.state_dict())
    later = [a.train_step() for _ in range(2)]
    b, built_b = make(cfg)
    b.load_state_dict(state)
    again = [b.train_step() for _ in range(2)]
    for name, net in built.model.networks.items():
        for x, y in zip(
            net.state_dict().values(), built_b.model.networks[name].state_dict().values()
        ):
            assert torch.equal(x, y), name
    assert [{k: v.item() for k, v in r.items()} for s in later for r in s] == [
        {k: v.item() for k, v in r.items()} for s in again for r in s
    ]
    assert all(math.isfinite(v.item()) for s in later for r in s for v in r.values())


def test_labels_reach_the_model_and_follow_the_stream_on_resume(tiny_config):
    cfg = tiny_config("data.labels=true")
    t, built = make(cfg)
    seen = []
    original = built.model.d_loss
    built.model.d_loss = lambda real, ctx: (seen.append(real.y.clone()), original(real, ctx))[1]
    t.train_step()
    state = copy.deepcopy(t.state_dict())
    t.train_step()
    u, built_u = make(cfg)
    u.load_state_dict(state)
    again = []
    original_u = built_u.model.d_loss
    built_u.model.d_loss = lambda real, ctx: (again.append(real.y.clone()), original_u(real, ctx))[
        1
    ]
    u.train_step()
    assert seen[0].dtype == torch.int64 and len(set(seen[0].tolist())) > 3
    assert torch.equal(seen[1], again[0])
    digits = built.data.labels
    assert digits is not None and digits.shape == (len(built.data.images),)


def test_a_conditional_checkpoint_does_not_load_into_an_unconditional_run(tiny_config):
    conditional, _ = make(tiny_config("data.labels=true"))
    plain, _ = make(tiny_config())
    with pytest.raises(GankitError, match="10 classes.*no class labels") as err:
        plain.load_state_dict(conditional.state_dict())
    assert "\n" not in str(err.value)


def acgan_model(tiny_config, *sets):
    kind = ("model.kind.name=acgan", "model.kind.weight=0.5")
    _, built = make(tiny_config("data.labels=true", *kind, *sets))
    return built.model


@pytest.mark.parametrize("classify_fakes", [False, True])
def test_acgan_terms_at_known_logits(tiny_config, classify_fakes):
    model = acgan_model(tiny_config, f"model.kind.classify_fakes={str(classify_fakes).lower()}")
    f = model.D.feature_dim
    with torch.no_grad():  # C reads only the first three features: logits = the features
        model.C.weight.zero_()
        model.C.bias.zero_()
        model.C.weight[:3, :3] = torch.eye(3)
    f_real, f_fake = torch.zeros(2, f), torch.zeros(2, f)
    f_real[:, :3] = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    f_fake[:, :3] = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    shared = {"features": (f_real, f_fake)}
    y, y_fake = torch.tensor([0, 1]), torch.tensor([1, 2])
    loss, stats = model.d_extra(torch.tensor(0.0), {}, Draw(torch.zeros(2, 1), y_fake), y, shared)
    log_z = lambda a: math.log(math.exp(a) + 9)  # noqa: E731 - logits (a, 0, ..., 0) over 10 classes
    ce_real = ((log_z(2.0) - 2.0) + log_z(1.0)) / 2  # class 0 read right; class 1 read at logit 0
    ce_fake = ((log_z(1.0) - 1.0) + math.log(10)) / 2
    expected = 0.5 * (ce_real + ce_fake) if classify_fakes else 0.5 * ce_real
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert stats["class_acc_real"].item() == 0.5  # sample 2's argmax is class 2, not 1
    shared = {"g_features": f_fake}
    loss_g, _ = model.g_extra(torch.tensor(1.0), {}, Draw(torch.zeros(2, 1), y_fake), None, shared)
    assert loss_g.item() == pytest.approx(1.0 + 0.5 * ce_fake, rel=1e-5)


def test_infogan_information_terms_at_known_outputs():
    latent = Latent(4, 0, (3,), 2)
    out = torch.tensor([[1.0, 0.0, 0.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 1.0]])
    draw = Draw(
        torch.zeros(2, latent.dim),
        None,
        torch.tensor([[0], [2]]),
        torch.tensor([[0.5, 0.0], [1.0, -1.0]]),
    )
    cat, cont = mutual_information_terms(out, draw, latent)
    ce = ((math.log(math.e + 2) - 1.0) + math.log(3)) / 2
    c = 0.5 * math.log(2 * math.pi)
    nll = ((0 + c) + (0.125 + c) + (0.5 + c) + (2.0 + c)) / 2  # summed over codes, mean over batch
    assert cat.item() == pytest.approx(ce, rel=1e-6) and cont.item() == pytest.approx(nll, rel=1e-6)


def test_infogan_generator_reads_noise_then_one_hot_and_continuous_codes():
    latent = Latent(3, 0, (4,), 2)
    draw = latent.sample(
        5, "cpu", generator=torch.Generator().manual_seed(0), fixed={"cat0": 2, "c1": 0.25}
    )
    assert draw.z.shape == (5, 3 + 4 + 2)
    assert torch.equal(draw.z[:, 3:7], F.one_hot(torch.full((5,), 2), 4).float())
    assert torch.all(draw.z[:, 8] == 0.25) and torch.all(draw.z[:, 7].abs() <= 1)
    with pytest.raises(GankitError, match="cat0 takes 0..3"):
        latent.sample(2, "cpu", fixed={"cat0": 4})
    per_sample = latent.sample(5, "cpu", fixed={"cat0": torch.tensor([0, 1, 2, 3, 0])})
    assert per_sample.z[:, 3:7].argmax(1).tolist() == [0, 1, 2, 3, 0]
    with pytest.raises(GankitError, match="cat0 takes 0..3"):
        latent.sample(2, "cpu", fixed={"cat0": torch.tensor([1, 5])})


def test_infogan_phases_step_q_with_d(tiny_config):
    t, built = make(tiny_config("model.kind.name=infogan"))
    d = next(p for p in built.model.phases if p.name == "d")
    assert d.trains == ("D", "Q") and set(t.optimizers) == {"G", "D", "Q"}
    q0 = [p.clone() for p in built.model.Q.parameters()]
    stats = t.train_step()
    assert any(not torch.equal(a, b) for a, b in zip(q0, built.model.Q.parameters()))
    assert {"q_cat", "q_cont"} <= set(stats[0]) and {"info_cat", "info_cont"} <= set(stats[1])


@pytest.mark.parametrize(
    "sets,message",
    [
        (["model.kind.name=acgan"], "needs labelled data: set data.labels=true"),
        (["model.generator.conditioning=cbn"], "conditioning needs labels"),
        (["data.labels=true", "regularizers.unrolled.steps=1"], "unrolled draws its own"),
        (
            ["data.labels=true", "data.name=ring", "model.generator.name=textbook"],
            "cannot read class labels|handles square",
        ),
        (["model.kind.name=infogan", "model.kind.categorical=[1]"], "categorical"),
    ],
)
def test_conditional_misconfigurations_are_one_line_errors(tmp_path, capsys, sets, message):
    args = [a for s in sets for a in ("--set", s)]
    assert (
        main(
            [
                "train",
                "--out",
                str(tmp_path / "r"),
                "--steps",
                "1",
                "--set",
                "train.device=cpu",
                *args,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    import re

    assert re.search(message, err[0]), err[0]
    assert not (tmp_path / "r").exists()
