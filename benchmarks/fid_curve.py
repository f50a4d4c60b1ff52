"""FID (and KID) of a run's checkpoints against a reference set: the metric against training
time, with the real side's features computed once and cached.

    python benchmarks/fid_curve.py RUN --reference subdir=test --n 10000 --checkpoints latest
    python benchmarks/fid_curve.py RUN --reference subdir=test --n 2000 --checkpoints all
    python benchmarks/fid_curve.py RUN --reference subdir=test --n 10000 --real-only  # cache only
    python benchmarks/fid_curve.py RUN --reference subdir=test --n 2000 --weights raw

``--weights raw`` scores the generator as trained instead of its EMA copy (``auto``: the EMA copy
when the run kept one, as sampling and export use it): what the EMA alone is worth, from the
same checkpoints, since the average never feeds back into training.

``--reference KEY=VALUE`` changes the run's data section for the real side (CIFAR-10's test
images: ``subdir=test``); horizontal flips are never applied to it. Prints one JSON line per
checkpoint (step, training seconds from metrics.jsonl, n on each side, the metrics).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from gankit.metrics.evaluate import context, evaluate, reference_data
from gankit.run.load import build_generator, latent_of, load_checkpoint
from gankit.run.rundir import RunDir
from gankit.use.sample import generator_sampler


def checkpoints(run: RunDir, which: str) -> list[str]:
    if which != "all":
        return which.split(",")
    return [str(p) for p in sorted(run.checkpoints.glob("step-*.pt"))] + ["latest"]


def seconds_at(run: RunDir, step: int) -> float | None:
    """Training wall time at ``step`` as the run logged it (metrics.jsonl)."""
    best = None
    for line in (run.path / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("step", -1) <= step and "time" in row:
            best = row["time"]
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--reference", action="append", default=[], help="KEY=VALUE of data")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--metrics", default="fid,kid")
    ap.add_argument("--checkpoints", default="latest", help="comma-separated, or all")
    ap.add_argument("--extractor", default="inception")
    ap.add_argument("--weights", choices=("auto", "raw"), default="auto",
                    help="auto: G's EMA copy if kept; raw: G as trained")  # fmt: skip
    ap.add_argument("--real-only", action="store_true", help="fill the real-feature cache only")
    args = ap.parse_args()
    run = RunDir.existing(args.run)
    state, cfg = load_checkpoint(run, "latest")
    data, key = reference_data(cfg.data, args.reference)
    if args.real_only:
        start = time.perf_counter()
        context(data, None, args.n, args.extractor, dataset_key=key).stats("real")  # real only
        print(json.dumps({"real_only": True, "n": args.n, "seconds": time.perf_counter() - start}))
        return
    for which in checkpoints(run, args.checkpoints):
        print(json.dumps(score(run, which, args, data, key)), flush=True)


def score(run: RunDir, which: str, args, data, key: dict) -> dict:
    """One checkpoint's metrics, as one JSON record."""
    state, cfg = load_checkpoint(run, which)
    weights = "ema" if state.ema and args.weights == "auto" else "raw"
    if weights == "raw":
        state.ema = {}  # build_generator loads the EMA copy whenever there is one
    G = build_generator(state, cfg)
    start = time.perf_counter()
    with torch.no_grad():
        scores = evaluate(data, generator_sampler(G, latent_of(state, cfg)),
                          args.metrics.split(","), args.n, args.extractor, dataset_key=key)  # fmt: skip
    step = int(state.step)
    return {"checkpoint": which, "step": step, "train_seconds": seconds_at(run, step),
            "weights": weights, "n_fake": args.n, "n_real": min(args.n, len(data.images)),
            **scores, "eval_seconds": round(time.perf_counter() - start, 1)}  # fmt: skip


if __name__ == "__main__":
    main()
