"""The one GPU check, sized for a lent GPU's few minutes (at most about 8 of GPU time): the CUDA
tests, speed.py's four configurations (the plain loop against the fastest variant), and a
3-minute celeba64-wgan-gp training scored by FID at 2,000 samples. Writes one JSON summary.

    python benchmarks/gpu_check.py --data ../shared/data/celeba --out gpu_check.json
    python benchmarks/gpu_check.py --smoke --out x.json    # the same steps, tiny, on the CPU (tests)

Each step has its own time limit; a step that fails or times out is recorded as such and the
rest still run, so one call always leaves a summary.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEST = "channels_last+bf16+cuda_graphs"


def run(
    command: list[str], limit: float, stop_after: float | None = None, ready: Path | None = None
):
    """(exit code or 'timeout', seconds, output). With ``stop_after``: SIGINT once ``ready``
    has existed that long (a training then stops at a step with a checkpoint)."""
    start, log = time.perf_counter(), tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    began = None
    while proc.poll() is None and time.perf_counter() - start < limit:
        time.sleep(0.2)
        if stop_after is not None and began is None and (ready is None or ready.exists()):
            began = time.perf_counter()
        if began is not None and time.perf_counter() - began > stop_after:
            proc.send_signal(signal.SIGINT)
            stop_after = float("inf")  # once
    code = proc.poll()
    if code is None:
        proc.kill()
        proc.wait()
        code = "timeout"
    log.seek(0)
    return code, round(time.perf_counter() - start, 1), log.read()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def cuda_tests(smoke: bool) -> dict:
    tests = ["tests/training/test_cuda_graphs.py", "tests/training/test_speed_paths.py"]
    collect = ["--co"] if smoke else []  # the CPU smoke run only checks they still collect
    command = [sys.executable, "-m", "pytest", "-q", *collect, *tests]
    code, seconds, out = run(command, 60 if smoke else 150)
    return {"exit": code, "seconds": seconds, "summary": (out.strip().splitlines() or [""])[-1]}


def speed(smoke: bool) -> dict:
    configs = "ns-32" if smoke else "ns-32,ns-64,wgan-gp-32,wgan-gp-64"
    variants = "default" if smoke else f"default,{BEST}"
    command = [sys.executable, "benchmarks/speed.py", "--configs", configs, "--variants",
               variants, "--repeats", "1" if smoke else "3"]  # fmt: skip
    code, seconds, out = run(command, 120 if smoke else 150)
    return {"exit": code, "seconds": seconds, "rows": json_lines(out)}


def training(smoke: bool, data: str | None, out: Path) -> dict:
    run_dir = out.parent / (out.stem + "-run")
    if smoke:
        sets = ["data.resolution=16", "model.generator.width=8", "model.discriminator.width=8",
                "train.batch_size=8", "train.device=cpu", "log.every=2"]  # fmt: skip
        preset, extra, seconds, n, features = "digits32-dcgan", [], 2, 16, "random_conv"
    else:
        preset, extra, seconds, n, features = (
            "celeba64-wgan-gp",
            ["--data", data],
            180,
            2000,
            "inception",
        )
        sets = ["log.checkpoint_every=100000", "train.amp=auto", "data.hflip=true"]
    command = [sys.executable, "-m", "gankit.cli", "train", "--preset", preset, *extra, "--steps",
               "1000000", "--out", str(run_dir), "--overwrite",
               *[a for s in sets for a in ("--set", s)]]  # fmt: skip
    code, wall, log = run(command, seconds + 240, stop_after=seconds,
                          ready=run_dir / "metrics.jsonl")  # fmt: skip
    summary = (
        json.loads((run_dir / "summary.json").read_text())
        if (run_dir / "summary.json").is_file()
        else {}
    )
    evaluation = [sys.executable, "-m", "gankit.cli", "eval", str(run_dir), "--n", str(n),
                  "--metrics", "fid,kid", "--extractor", features, "--json"]  # fmt: skip
    ecode, eseconds, eout = run(evaluation, 120 if smoke else 240)
    return {"train_exit": code, "train_wall_s": wall, "steps": summary.get("steps"),
            "train_seconds": summary.get("train_seconds"), "precision": summary.get("precision"),
            "eval_exit": ecode, "eval_seconds": eseconds, "n": n, "metrics": json_lines(eout)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "celeba"))
    ap.add_argument("--out", default="gpu_check.json")
    ap.add_argument("--smoke", action="store_true", help="tiny, on the CPU (the test suite)")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    start = time.perf_counter()
    summary = {"device": "cpu (smoke)" if args.smoke else _device()}
    summary["cuda_tests"] = cuda_tests(args.smoke)
    summary["speed"] = speed(args.smoke)
    summary["training"] = training(args.smoke, args.data, out)
    summary["total_seconds"] = round(time.perf_counter() - start, 1)
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: summary[k] for k in ("device", "total_seconds")}))


def _device() -> str:
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu (no CUDA device)"


if __name__ == "__main__":
    main()
