"""Image-folder pipeline speed: first-time decode (parallel, with a progress bar) of a folder of
JPEGs into the uint8 cache, then the rate at which training batches are read from the cached,
memory-mapped array. Prints one JSON line.

    python benchmarks/data_pipeline.py --data ../shared/data/celeba [--resolution 64] [--batch 64]
"""

import argparse
import json
import os
import tempfile
import time

import torch

from gankit.data import DATASETS


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batches", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gankit-cache-") as cold:
        os.environ.setdefault("GANKIT_CACHE", cold)  # a cold cache, removed afterwards
        measure(args)


def measure(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    data = DATASETS.build("folder", path=args.data, resolution=args.resolution)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = DATASETS.build("folder", path=args.data, resolution=args.resolution)
    open_s = time.perf_counter() - t0
    batches = data.batches(args.batch, torch.device("cpu"), seed=0)
    t0 = time.perf_counter()
    for _ in range(args.batches):
        x = next(batches).x
    read_s = time.perf_counter() - t0
    n = len(data.images)
    print(
        json.dumps(
            {
                "images": n,
                "resolution": args.resolution,
                "cpus": os.cpu_count(),
                "first_decode_s": round(first_s, 1),
                "first_decode_images_per_s": round(n / first_s),
                "cached_open_s": round(open_s, 3),
                "cached_batches_images_per_s": round(args.batches * args.batch / read_s),
                "batch": list(x.shape),
                "batch_dtype": str(x.dtype),
            }
        )
    )


if __name__ == "__main__":
    main()
