"""FID between real-data splits with the standard Inception network: how large it is, and how it
depends on the number of samples (FID is biased upwards for small n; KID is not).

For CIFAR-10 (../shared/data/cifar10/cifar10-jpg.zip, train/ and test/ class folders), prints one
JSON line per comparison, plus feature-extraction speed:

    PYTHONPATH=src python benchmarks/fid_splits.py --data ../shared/data/cifar10/cifar10-jpg.zip
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import torch

from gankit.data.folder import ImageFolder
from gankit.metrics.features import FEATURES, FeatureExtractor
from gankit.metrics.fid import frechet_distance
from gankit.metrics.kid import kid
from gankit.metrics.stats import FeatureStats


def features(
    images: torch.Tensor, net: FeatureExtractor, device, batch: int
) -> tuple[np.ndarray, float]:
    """Features (Inception pool3 by default) of uint8 images, and the images/s it ran at."""
    out = []
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.no_grad():
        for chunk in images.split(batch):
            out.append(net(chunk.to(device)).cpu())
    return torch.cat(out).numpy(), len(images) / (time.perf_counter() - start)


def read_splits(root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The train/ and test/ images of a folder or a .zip (unpacked into a folder removed after)."""
    if root.suffix != ".zip":
        read = (
            ImageFolder(str(root / s), resolution=32, cache=False).images for s in ("train", "test")
        )
        return tuple(read)
    with tempfile.TemporaryDirectory() as tmp:
        zipfile.ZipFile(root).extractall(tmp)
        return read_splits(next(p.parent for p in Path(tmp).rglob("train")))


def fid(a: np.ndarray, b: np.ndarray) -> float:
    return frechet_distance(*FeatureStats.of(a).mean_cov(), *FeatureStats.of(b).mean_cov())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="a folder or .zip holding train/ and test/")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--extractor", default="inception", help="random_conv: the smoke test")
    args = ap.parse_args()
    device = torch.device(args.device)
    start = time.perf_counter()
    train, test = read_splits(Path(args.data))
    decode_s = time.perf_counter() - start
    net = FEATURES.build(args.extractor).to(device)
    features(test[:500], net, device, args.batch)  # warm-up (cuDNN algorithm choice)
    f_train, speed = features(train, net, device, args.batch)
    f_test, _ = features(test, net, device, args.batch)
    print(
        json.dumps(
            {
                "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                "train": len(train),
                "test": len(test),
                "decode_s": round(decode_s, 1),
                "inception_images_per_s": round(speed, 1),
            }
        ),
        flush=True,
    )
    for name_a, a, name_b, b in split_pairs(f_train, f_test):
        if min(len(a), len(b)) < 2:  # a split larger than the data (the smoke test's few images)
            continue
        row = {"a": name_a, "b": name_b, "fid": round(fid(a, b), 3)}
        size = min(1000, len(a), len(b))
        row.update({k: round(v, 6) for k, v in kid(a, b, subsets=100, subset_size=size).items()})
        print(json.dumps(row), flush=True)


def split_pairs(f_train: np.ndarray, f_test: np.ndarray) -> list[tuple]:
    """(name, features, name, features) of each comparison: full splits, then subsets."""
    # the train folders are sorted by class: subsets are random permutations
    perm = np.random.default_rng(0).permutation(len(f_train))
    perm_test = np.random.default_rng(1).permutation(len(f_test))
    pairs = [
        ("train 50k", f_train, "test 10k", f_test),
        ("train 10k", f_train[perm[:10000]], "test 10k", f_test),
        ("train 10k", f_train[perm[:10000]], "train 10k (disjoint)", f_train[perm[10000:20000]]),
    ]
    return pairs + [
        (f"train {n}", f_train[perm[:n]], f"test {n}", f_test[perm_test[:n]])
        for n in (1000, 2000, 5000)
    ]


if __name__ == "__main__":
    main()
