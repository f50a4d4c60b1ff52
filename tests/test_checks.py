"""Component options are typed and ranged by their annotations (gankit.checks)."""

import inspect
import math
from typing import Literal

import pytest

from gankit.checks import Count, Positive, Range, Unit, check_value, hints
from gankit.data import DATASETS
from gankit.errors import GankitError
from gankit.losses import LOSSES
from gankit.metrics import FEATURES, METRICS
from gankit.models import MODELS, translation_kind
from gankit.nets import DISCRIMINATORS, GENERATORS
from gankit.regularizers import REGULARIZERS

# registry, how many leading positional arguments the builder passes (shape, z_dim)
REGISTRIES = [
    (DATASETS, 0),
    (GENERATORS, 2),
    (DISCRIMINATORS, 1),
    (LOSSES, 0),
    (REGULARIZERS, 0),
    (METRICS, 0),
    (FEATURES, 0),
    (MODELS, 6),  # G, D, loss, regularizers, latent, n_critic
]
#: translation models are built from (shape, domain names, loss)
TRANSLATION_POSITIONAL = 3
ENTRIES = [
    (reg, name, TRANSLATION_POSITIONAL if reg is MODELS and translation_kind(name) else skip)
    for reg, skip in REGISTRIES
    for name in reg.names()
]


@pytest.mark.parametrize("reg,name,skip", ENTRIES, ids=[f"{r.kind}:{n}" for r, n, _ in ENTRIES])
def test_every_option_is_annotated(reg, name, skip):
    cls = reg.get(name)
    params = list(inspect.signature(cls).parameters.values())[skip:]
    types = hints(cls)
    missing = [
        p.name
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in types
    ]
    assert not missing, f"{reg.kind} '{name}': annotate {missing}"
    for p in params:  # every default satisfies its own annotation
        if p.default is not p.empty and p.name in types:
            check_value(types[p.name], p.default, f"{name}.{p.name}")


@pytest.mark.parametrize(
    "tp,good,bad",
    [
        (int, [0, -3, 10**12], [1.5, True, "3", None]),
        (float, [0, 1.5, -2], [math.nan, math.inf, -math.inf, "1", False]),
        (Positive, [1e-9, 3], [0, -1, math.inf]),
        (Unit, [0, 0.999], [1, -0.1]),
        (Count, [1, 7], [0, -1, 2.0]),
        (tuple[Unit, Unit], [[0.5, 0.9], (0, 0)], [[0.5], [0.5, 0.9, 0.1], "ab", [0.5, 1.5]]),
        (tuple[float, ...], [[], [1, 2, 3]], [[1, "x"], 1.0]),
        (Positive | None, [None, 2.0], [0, "x"]),
    ],
)
def test_check_value(tp, good, bad):
    for value in good:
        check_value(tp, value, "x")
    for value in bad:
        with pytest.raises(GankitError, match="^x must be"):
            check_value(tp, value, "x")


def test_a_yaml_boolean_for_a_word_says_to_quote_it():
    # `--set train.amp=off` parses as False: the error names the cause, not just the type
    with pytest.raises(GankitError, match="got False .*quote the word"):
        check_value(Literal["auto", "none", "bf16"], False, "train.amp")
    with pytest.raises(GankitError, match=r"got False$"):
        check_value(int, False, "train.steps")


def test_range_text():
    assert str(Range(0, lo_open=True)) == "> 0" and str(Range(1, 4096)) == "in [1, 4096]"
    assert str(Range(0, 1, hi_open=True)) == "in [0, 1)"
