"""Every script in benchmarks/ runs end to end at a tiny size, so a change that breaks one fails
the suite (issue 26: speed.py had crashed unnoticed since batches became records). Each runs in
this process (runpy) with its real command line; its JSON output is checked, not its numbers.
reproduce.py and translation_check.py have their own tests."""

import json
import runpy
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.run.rundir import RunDir
from tests.conftest import TINY, write_idx

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
TESTED_ELSEWHERE = {"reproduce", "translation_check"}


def images(folder: Path, n: int = 8, size: int = 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", (size, size), (30 * i, 255 - 30 * i, 7 * i)).save(folder / f"{i}.png")
    return folder


def mnist(tmp: Path) -> Path:
    """An MNIST stand-in with a classifier batch's worth of images (the fixture has 60)."""
    raw = tmp / "mnist256" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    g = torch.Generator().manual_seed(0)
    for split, n in (("train", 256), ("t10k", 32)):
        digits = (torch.rand(n, 28, 28, generator=g) * 255).to(torch.uint8)
        write_idx(raw, f"{split}-images-idx3-ubyte", digits, 2051)
        write_idx(raw, f"{split}-labels-idx1-ubyte", (torch.arange(n) % 10).to(torch.uint8), 2049)
    return tmp / "mnist256"


def tiny_run(tmp: Path, *extra: str) -> Path:
    out = tmp / "run"
    args = [a for s in [*TINY, *extra] for a in ("--set", s)]
    assert main(["train", "--out", str(out), "--steps", "2", *args]) == 0
    return out


# script -> its arguments, a function of the test's folder
SMOKE = {
    "speed": lambda t: ["--configs", "ns-32", "--variants", "default", "--repeats", "1"],
    "gpu_check": lambda t: ["--smoke", "--out", str(t / "gpu_check.json")],
    "inception_speed": lambda t: ["--extractor", "random_conv", "--n", "8"],
    "redesign_check": lambda t: [
        "--out",
        str(t / "check"),
        "--kinds",
        "gan",
        "cyclegan",
        "--steps",
        "2",
    ],  # fmt: skip
    "profile_step": lambda t: [
        "--config",
        "ns-32",
        "--device",
        "cpu",
        "--steps",
        "1",
        "--rows",
        "3",
    ],  # fmt: skip
    "data_pipeline": lambda t: [
        "--data",
        str(images(t / "imgs")),
        "--resolution",
        "16",
        "--batch",
        "4",
        "--batches",
        "3",
    ],  # fmt: skip
    "fid_splits": lambda t: (
        [
            "--data",
            str(images(t / "d" / "train") and t / "d"),
            "--extractor",
            "random_conv",
            "--device",
            "cpu",
        ]
        if images(t / "d" / "test")
        else []
    ),  # fmt: skip
    "fid_curve": lambda t: [
        str(tiny_run(t)),
        "--n",
        "8",
        "--extractor",
        "random_conv",
        "--checkpoints",
        "all",
    ],  # fmt: skip
    "many_runs": lambda t: [
        "--preset",
        "ring8-gan",
        "--jobs",
        "1",
        "--steps",
        "2",
        "--out",
        str(t / "many"),
    ],  # fmt: skip
    "mode_collapse": lambda t: [
        "--steps",
        "2",
        "--seeds",
        "1",
        "--jobs",
        "1",
        "--only",
        "ring",
        "--configs",
        "NS-GAN",
        "--results",
        str(t / "r.jsonl"),
        "--docs",
        str(t / "docs"),
    ],  # fmt: skip
    "mode_tuning": lambda t: [
        "--settings",
        "1",
        "--seeds",
        "2",
        "--steps",
        "2",
        "--jobs",
        "1",
        "--only",
        "NS-GAN",
        "--results",
        str(t / "r.jsonl"),
        "--docs",
        str(t / "docs"),
    ],  # fmt: skip
    "small_data": lambda t: [
        "--data",
        str(images(t / "imgs", 12)),
        "--sizes",
        "8",
        "--resolution",
        "16",
        "--steps",
        "2",
        "--n",
        "8",
        "--batch",
        "4",
        "--extractor",
        "random_conv",
        "--augment",
        "none",
        "--out",
        str(t / "small"),
    ],  # fmt: skip
    "precision_parity": lambda t: ["ring8", "demo", "--size", "smoke", "--out", str(t / "p")],
    "stacked_mnist": lambda t: [
        "--data",
        str(mnist(t)),
        "--n",
        "50",
        "--cache",
        str(t / "mnist.pt"),
        "--min-accuracy",
        "0",
    ],  # fmt: skip
}


def test_every_benchmark_has_a_smoke_run():
    scripts = {p.stem for p in BENCHMARKS.glob("*.py")}
    assert scripts - TESTED_ELSEWHERE == set(SMOKE)


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_benchmark_smoke(name, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.chdir(tmp_path)
    argv = SMOKE[name](tmp_path)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *argv])
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as `python benchmarks/NAME.py` puts it first
    runpy.run_path(str(BENCHMARKS / f"{name}.py"), run_name="__main__")
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert rows or name in ("mode_collapse", "mode_tuning"), out
    if name in ("mode_collapse", "mode_tuning"):
        assert (tmp_path / "r.jsonl").read_text().strip(), out
    if name == "gpu_check":
        summary = json.loads((tmp_path / "gpu_check.json").read_text())
        assert summary["cuda_tests"]["exit"] == 0 and summary["speed"]["rows"], summary
        assert summary["training"]["train_exit"] == 130 and summary["training"]["steps"] > 0
        assert summary["training"]["metrics"][0]["fid"] > 0, summary
    if name == "profile_step":
        assert "Self CPU" in out or "CPU total" in out, out
        assert rows[-1]["wall_s_per_step"] > 0 and rows[-1]["device_busy_s_per_step"] is None


def test_fid_curve_real_only_fills_the_cache_and_draws_no_samples(tmp_path, monkeypatch, capsys):
    """--real-only computed a full second side (of real images) it then threw away."""
    from gankit.metrics.base import EvalContext

    run = tiny_run(tmp_path)
    drawn = []
    original = EvalContext.samples
    monkeypatch.setattr(EvalContext, "samples", lambda self, which: drawn.append(which)
                        or original(self, which))  # fmt: skip
    argv = ["fid_curve.py", str(run), "--n", "8", "--extractor", "random_conv", "--real-only"]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(BENCHMARKS / "fid_curve.py"), run_name="__main__")
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["real_only"]
    assert drawn == ["real"]
    assert list((tmp_path / "gankit-cache" / "stats").glob("*.npy"))


@pytest.mark.parametrize("weights", ["auto", "raw"])
def test_fid_curve_scores_the_ema_copy_or_the_raw_generator(tmp_path, monkeypatch, capsys, weights):
    """--weights raw measures what the EMA alone is worth, from the same checkpoint."""
    import gankit.run.load as load

    run = tiny_run(tmp_path, "model.ema=0.5")
    built = []
    real_build = load.build_generator
    monkeypatch.setattr(load, "build_generator", lambda state, cfg:
                        built.append(real_build(state, cfg)) or built[-1])  # fmt: skip
    argv = [
        "fid_curve.py",
        str(run),
        "--n",
        "8",
        "--extractor",
        "random_conv",
        "--weights",
        weights,
    ]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(BENCHMARKS / "fid_curve.py"), run_name="__main__")
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["weights"] == {"auto": "ema", "raw": "raw"}[weights]
    state, _ = load.load_checkpoint(RunDir.existing(run))
    trained, averaged = state.networks["G"], state.ema["G"]
    name = next(
        k for k in trained if k.endswith("weight") and not torch.equal(trained[k], averaged[k])
    )
    used = built[-1].state_dict()[name]
    assert torch.equal(used, (trained if weights == "raw" else averaged)[name])


def test_precision_parity_trains_each_side_in_its_precision_and_compares(tmp_path, monkeypatch):
    """Issue 26 section 2: the auto side must really train in bf16 where auto picks it (forced
    here), the fp32 side in fp32, and the verdict weigh the difference against the seeds."""
    monkeypatch.setenv("GANKIT_CPU_BF16", "1")
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # undone after the test, with the script's own
    parity = runpy.run_path(str(BENCHMARKS / "precision_parity.py"))
    study = parity["STUDIES"]["demo"]
    result = parity["run_study"]("demo", study, "smoke", tmp_path, tmp_path, [0, 1])
    assert [p.split()[0] for p in result["precision"]["fp32"]] == ["fp32", "fp32"]
    assert [p.split()[0] for p in result["precision"]["auto"]] == ["bf16", "bf16"]
    fid = result["metrics"]["fid"]
    assert fid["difference"] == fid["auto"][0] - fid["fp32"][0] != 0  # bf16 trained other weights
    saved = json.loads((tmp_path / "demo" / "parity.json").read_text())
    assert saved["metrics"]["fid"] == fid
    # the verdict: |difference| <= 2 * sqrt(2 / k) * pooled seed std, here k = 2
    row = {"seeds": [0, 1], "mean": {"m": 1.0}, "std": {"m": 0.3}}
    near, far = dict(row, mean={"m": 1.5}), dict(row, mean={"m": 1.7})
    assert parity["compare"](row, near)["m"]["within_spread"] is True
    assert parity["compare"](row, far)["m"]["within_spread"] is False
    assert parity["compare"](dict(row, seeds=[0]), far)["m"]["within_spread"] is None
