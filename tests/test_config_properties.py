"""Property tests: whatever a user types into --set or a config file, resolve() returns a valid
Config or raises the one-line GankitError; never any other exception."""

import dataclasses
import warnings

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gankit.config import Config, override, parse_assignment, resolve
from gankit.errors import GankitError


def known_keys(cls=Config, prefix=""):
    for f in dataclasses.fields(cls):
        yield prefix + f.name
        if dataclasses.is_dataclass(f.type if not isinstance(f.type, str) else None):
            yield from known_keys(f.type, prefix + f.name + ".")


KEYS = [
    "train.steps",
    "train.batch_size",
    "train.n_critic",
    "train.seed",
    "train.device",
    "train.nan_retries",
    "train.nan_lr_factor",
    "model.z_dim",
    "model.ema",
    "model.generator.name",
    "model.generator.width",
    "model.discriminator.norm",
    "loss.name",
    "loss.label_smoothing",
    "loss.a",
    "data.name",
    "data.resolution",
    "data.channels",
    "data.path",
    "optim.g.lr",
    "optim.d.name",
    "optim.d.betas",
    "log.every",
    "regularizers.gradient_penalty.weight",
    "regularizers.weight_clip",
    "regularizers.nope",
    "description",
    "train",
    "model",
    "data",
    "loss",
    "regularizers",
    "optim.g",
    "train.steps.deeper",
]
YAML_VALUES = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "null",
            "true",
            "[1, 2]",
            "{a: 1}",
            "1e-4",
            ".nan",
            "-.inf",
            "''",
            "[",
            "{",
            "'",
            "hinge",
            "mlp",
            "layer",
            "digits",
            "ring",
            "adam",
            "cpu",
            "cuda:1",
            "~",
        ]
    ),
    st.text(max_size=12),
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def resolves_cleanly(**kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cfg = resolve(**kwargs)
    except GankitError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(cfg, Config)
    assert cfg.train.steps >= 1 and cfg.train.batch_size >= 1 and cfg.train.n_critic >= 1


@SETTINGS
@given(
    st.lists(
        st.tuples(st.one_of(st.sampled_from(KEYS), st.text(max_size=15)), YAML_VALUES), max_size=4
    )
)
def test_random_set_overrides_resolve_or_fail_cleanly(pairs):
    resolves_cleanly(sets=[f"{k}={v}" for k, v in pairs])


@SETTINGS
@given(st.text(max_size=30))
def test_random_set_strings_resolve_or_fail_cleanly(text):
    resolves_cleanly(sets=[text])


@SETTINGS
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6)),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.sampled_from(KEYS + ["name", "x"]), children, max_size=3),
        ),
        max_leaves=8,
    )
)
def test_random_config_files_resolve_or_fail_cleanly(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("cfg") / "c.yaml"
    path.write_text(yaml.safe_dump(document))
    resolves_cleanly(config_file=str(path))


@SETTINGS
@given(st.sampled_from(KEYS), YAML_VALUES)
def test_override_never_mutates_its_input(key, value):
    raw = {"train": {"steps": 3}, "model": {"generator": {"name": "dcgan", "width": 8}}}
    before = repr(raw)
    try:
        override(raw, *parse_assignment(f"{key}={value}"))
    except GankitError:
        pass
    assert repr(raw) == before
