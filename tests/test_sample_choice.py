"""gankit sample --class / --code / --traverse on conditional and InfoGAN runs."""

import numpy as np
import pytest
from PIL import Image

from gankit.cli import main
from tests.conftest import TINY

SETS = [a for s in TINY for a in ("--set", s)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for name, extra in {
        "plain": [],
        "conditional": ["--set", "data.labels=true"],
        "infogan": ["--set", "model.kind.name=infogan"],
    }.items():
        out[name] = root / name
        assert main(["train", "--out", str(out[name]), "--steps", "2", *SETS, *extra]) == 0
    return out


def sample(run, out, *args) -> np.ndarray:
    """``gankit sample RUN --out OUT.npy ARGS``; the samples it wrote."""
    assert main(["sample", str(run), "--out", str(out), *args]) == 0
    return np.load(out)


def test_class_k_draws_only_that_label(runs, tmp_path):
    x = sample(runs["conditional"], tmp_path / "a.npy", "--n", "6", "--class", "3")
    y = sample(runs["conditional"], tmp_path / "b.npy", "--n", "6", "--class", "4")
    assert x.shape == (6, 1, 16, 16) and not np.allclose(x, y)  # same noise, another class


def test_a_conditional_grid_has_one_row_per_class(runs, tmp_path):
    out = tmp_path / "grid.png"
    assert main(["sample", str(runs["conditional"]), "--n", "30", "--out", str(out)]) == 0
    w, h = Image.open(out).size
    # 10 rows of 3 images of 16 px with 2 px padding
    assert (w, h) == (3 * 18 + 2, 10 * 18 + 2)


@pytest.mark.parametrize(
    "run,args,message",
    [
        ("conditional", ["--class", "10"], "--class 10 is out of range: this run has classes 0..9"),
        ("conditional", ["--class", "-1"], "out of range"),
        ("plain", ["--class", "0"], "--class needs a class-conditional run"),
        ("plain", ["--code", "cat0=1"], "unknown code 'cat0'"),
        ("infogan", ["--code", "cat0=10"], "cat0 takes 0..9"),
        ("infogan", ["--traverse", "cat0"], "--traverse takes a continuous code"),
        ("infogan", ["--code", "c0"], "--code expects NAME=NUMBER"),
    ],
)
def test_bad_choices_are_one_line_with_exit_code_2(runs, tmp_path, capsys, run, args, message):
    out = tmp_path / "x.png"
    assert main(["sample", str(runs[run]), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and not out.exists()


def test_infogan_code_and_traversal_figure(runs, tmp_path):
    a = sample(runs["infogan"], tmp_path / "a.npy", "--n", "4", "--code", "cat0=1")
    b = sample(runs["infogan"], tmp_path / "b.npy", "--n", "4", "--code", "cat0=2")
    assert not np.allclose(a, b)
    fig = tmp_path / "traverse.png"
    assert main(["sample", str(runs["infogan"]), "--traverse", "c1", "--out", str(fig)]) == 0
    assert Image.open(fig).size == (10 * 18 + 2, 10 * 18 + 2)  # 10 code values x 10 steps


def test_truncated_noise_stays_inside_and_is_a_truncated_normal():
    import torch
    from scipy import stats

    from gankit.models.latent import Latent

    draw = Latent(50).sample(
        2000, "cpu", generator=torch.Generator().manual_seed(0), truncation=0.5
    )
    z = draw.z.flatten().numpy()
    assert abs(z).max() <= 0.5
    # Kolmogorov-Smirnov against N(0, 1) truncated to [-0.5, 0.5]: 100,000 draws fit it
    assert stats.kstest(z, stats.truncnorm(-0.5, 0.5).cdf).pvalue > 0.01
    # ...and are nothing like the untruncated normal's middle slice taken uniformly
    assert stats.kstest(z, stats.uniform(-0.5, 1.0).cdf).pvalue < 1e-6


def test_sample_cli_truncates(runs, tmp_path, capsys):
    truncated = sample(runs["plain"], tmp_path / "t.npy", "--n", "16", "--truncation", "0.3")
    plain = sample(runs["plain"], tmp_path / "u.npy", "--n", "16")
    assert not np.allclose(truncated, plain)
    out = tmp_path / "v.npy"
    assert main(["sample", str(runs["plain"]), "--out", str(out), "--truncation", "-1"]) == 2
    assert "--truncation must be a positive threshold" in capsys.readouterr().err
