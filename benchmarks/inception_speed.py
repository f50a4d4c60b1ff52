"""Images/s of the FID feature network on this machine, the layouts compared, and the FID
they give on the same images (the protocol must not drift).

    python benchmarks/inception_speed.py                      # TF Inception, 64 real CIFAR-10 images
    python benchmarks/inception_speed.py --images ../shared/data/cifar10/cifar10-jpg.zip --n 500
    python benchmarks/inception_speed.py --extractor random_conv --n 32   # smoke (tests)

Prints one JSON line: images/s for NCHW input (the network as exported) and for NHWC
(channels_last, what gankit uses), the largest feature difference, and FID between two halves of
the images computed from each layout's features with its relative difference.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from gankit.data import DATASETS
from gankit.metrics.features import FEATURES
from gankit.metrics.fid import frechet_distance
from gankit.metrics.inception import tf_preprocess
from gankit.metrics.stats import FeatureStats


def images_of(path: str | None, n: int) -> torch.Tensor:
    """n uint8 images [n, 3, 32, 32]: real ones from a folder/zip, else the embedded digits."""
    if path:
        data = DATASETS.build("folder", path=path, resolution=32, channels=3)
    else:
        data = DATASETS.build("digits", resolution=32, channels=3)
    x = data.real_sample(n, seed=0)
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def layouts(extractor) -> dict:
    """The feature function of each input layout (the network's own weights in both)."""
    if hasattr(extractor, "net"):  # TF Inception: compare the exported graph's two layouts
        return {
            "nchw": lambda x: extractor.net(tf_preprocess(x)).float(),
            "nhwc": lambda x: extractor(x),
        }
    return {"nchw": extractor, "nhwc": extractor}


def timed(fn, images: torch.Tensor, batch: int) -> tuple[torch.Tensor, float]:
    with torch.inference_mode():
        fn(images[:2])  # warm-up: oneDNN picks its kernels on the first call
        start = time.perf_counter()
        out = torch.cat([fn(chunk) for chunk in images.split(batch)])
    return out, len(images) / (time.perf_counter() - start)


def fid_of_halves(features) -> float:
    half = len(features) // 2
    return frechet_distance(*FeatureStats.of(features[:half]).mean_cov(),
                            *FeatureStats.of(features[half:]).mean_cov())  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extractor", default="inception")
    ap.add_argument("--images", default=None, help="a folder or zip of images (default: digits)")
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    extractor = FEATURES.build(args.extractor)
    images = images_of(args.images, args.n)
    row = {"extractor": args.extractor, "n": args.n, "threads": args.threads}
    feats = {}
    for name, fn in layouts(extractor).items():
        feats[name], row[f"{name}_images_per_s"] = timed(fn, images, args.batch)
    a, b = feats["nchw"].double().numpy(), feats["nhwc"].double().numpy()
    fid = {k: fid_of_halves(f) for k, f in (("nchw", a), ("nhwc", b))}
    row |= {
        "speedup": row["nhwc_images_per_s"] / row["nchw_images_per_s"],
        "max_feature_diff": float(abs(a - b).max()),
        "fid_nchw": fid["nchw"],
        "fid_nhwc": fid["nhwc"],
        "fid_rel_diff": abs(fid["nchw"] - fid["nhwc"]) / max(fid["nchw"], 1e-12),
    }
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}))


if __name__ == "__main__":
    main()
