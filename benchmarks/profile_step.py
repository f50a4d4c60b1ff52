"""Where one training step spends its time: torch.profiler over a few gankit steps of a
benchmark configuration (see speed.py), the top operators by device time, and how long the host
took to issue the step against how long the device was busy (launch-bound when they are close).

    PYTHONPATH=src python benchmarks/profile_step.py --config wgan-gp-64 [--set train.amp=bf16 ...]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from speed import CONFIGS, gankit_config, sync
from torch.profiler import ProfilerActivity, profile

from gankit.training.setup import make_trainer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="wgan-gp-64", choices=sorted(CONFIGS))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--set", action="append", default=[], help="extra gankit overrides")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rows", type=int, default=15)
    args = ap.parse_args()
    loss, size, n_critic = CONFIGS[args.config]
    trainer = make_trainer(gankit_config(loss, size, n_critic, args.device, args.set))
    device = trainer.device
    for _ in range(4):  # warm-up (and capture, with cuda_graphs)
        trainer.train_step()
    sync(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        for _ in range(args.steps):
            trainer.train_step()
        issued = time.perf_counter() - start
        sync(device)
        total = time.perf_counter() - start
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(prof.key_averages().table(sort_by=key, row_limit=args.rows))
    busy = device_seconds(prof) if device.type == "cuda" else None
    row = {
        "config": args.config,
        "sets": args.set,
        "steps": args.steps,
        "host_issue_s_per_step": round(issued / args.steps, 5),
        "wall_s_per_step": round(total / args.steps, 5),
        "device_busy_s_per_step": None if busy is None else round(busy / args.steps, 5),
    }
    print(json.dumps(row))


def device_seconds(prof) -> float:
    """Seconds the GPU spent in kernels over the profiled steps."""
    return sum(getattr(e, "self_device_time_total", 0) for e in prof.key_averages()) / 1e6


if __name__ == "__main__":
    main()
