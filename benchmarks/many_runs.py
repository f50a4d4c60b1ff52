"""Many runs on one GPU: the aggregate throughput of N runs side by side against one at a time.

A seed study leaves a big GPU mostly idle per run; running N training processes at once (what
``gankit sweep --jobs N`` does) fills it. This trains the same preset with N seeds, first one
after the other, then all at once, and prints the aggregate G steps/s of both and their ratio.

    python benchmarks/many_runs.py --preset celeba64-wgan-gp --data ../shared/data/celeba \
        --jobs 4 --steps 300 [--set train.amp=bf16 ...]

On a CPU the runs share the cores and nothing is gained; the figure that matters is on a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def command(args, seed: int, out: str) -> list[str]:
    sets = [a for s in [f"train.seed={seed}", *args.set] for a in ("--set", s)]
    data = ["--data", args.data] if args.data else []
    return [sys.executable, "-m", "gankit.cli", "train", "--preset", args.preset, *data,
            "--steps", str(args.steps), "--out", out, "--overwrite", *sets]  # fmt: skip


def run_all(args, root: str, side_by_side: bool) -> float:
    """Wall seconds to train ``args.jobs`` seeds, at once or one after the other."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    cmds = [command(args, seed, f"{root}/{'par' if side_by_side else 'seq'}-{seed}")
            for seed in range(args.jobs)]  # fmt: skip
    start = time.perf_counter()
    if side_by_side:
        procs = [subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in cmds]
        codes = [p.wait() for p in procs]
    else:
        codes = [subprocess.run(c, env=env, stderr=subprocess.DEVNULL).returncode for c in cmds]
    if any(codes):
        sys.exit(f"a run failed (exit codes {codes}); run one of them by hand: {' '.join(cmds[0])}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="celeba64-wgan-gp")
    ap.add_argument("--data", default=None)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--set", action="append", default=[], help="KEY=VALUE for every run")
    ap.add_argument("--out", default=None, help="where the runs go (default: a temporary folder)")
    args = ap.parse_args()
    args.set = ["log.sample_every=1000000", "log.checkpoint_every=1000000", *args.set]
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or tmp
        sequential = run_all(args, root, side_by_side=False)
        parallel = run_all(args, root, side_by_side=True)
    steps = args.jobs * args.steps  # start-up (imports, data, first checkpoint) is included
    print(json.dumps({
        "preset": args.preset, "jobs": args.jobs, "steps_each": args.steps,
        "one_at_a_time_steps_per_s": round(steps / sequential, 2),
        "side_by_side_steps_per_s": round(steps / parallel, 2),
        "speedup": round(sequential / parallel, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
