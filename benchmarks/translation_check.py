"""Checks a translation run on MNIST domains whose true answer is known, with held-out test
digits (never seen in training). Prints one JSON object.

    python benchmarks/translation_check.py RUN --data ../shared/data/mnist [--n 1000]

mnist-invert (CycleGAN): PSNR of each direction's translations against the true map 255 - x
(over the whole set, 10 log10(1 / MSE) with pixels in [0, 1]; and the mean per image).
mnist-colors (StarGAN v2): for every (source, target) pair, the share of translations that
gankit's MNIST classifier reads as the input's digit (on the channel maximum, i.e. the grey
digit), the share whose brightest channel is the target's tint, and how much two noise seeds'
outputs differ: the mean absolute difference in data space ([-1, 1], as gankit's arrays and
``gankit translate`` write them; ``style_mad``) and on the [0, 1] pixel scale (half of it).
"""

from __future__ import annotations

import argparse
import json
import math

import torch

from gankit.data import DATASETS
from gankit.data.base import uint8_to_float
from gankit.metrics.mnist_classifier import load_classifier, read_digits
from gankit.use.translate import Translator


def psnr(out: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """(PSNR of the set, mean PSNR per image) in dB, images in [-1, 1] compared in [0, 1]."""
    err = ((out - target) / 2).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * math.log10(1 / float(err.mean())), float((10 * torch.log10(1 / err)).mean())


def check_invert(t: Translator, digits: torch.Tensor, render) -> dict:
    out = {}
    for src, dst in ((0, 1), (1, 0)):
        x, truth = (uint8_to_float(render(digits, d)) for d in (src, dst))
        whole, per_image = psnr(t(x, dst, src), truth)
        name = f"{t.domains[src]}2{t.domains[dst]}"
        out[f"psnr_{name}"], out[f"psnr_per_image_{name}"] = round(whole, 2), round(per_image, 2)
    return out


def check_colors(t: Translator, digits: torch.Tensor, labels: torch.Tensor, render, root) -> dict:
    classifier, out = load_classifier(root), {}
    for src in range(len(t.domains)):
        x = uint8_to_float(render(digits, src))
        for dst in range(len(t.domains)):
            if dst == src:
                continue
            a, b = t(x, dst, src, seed=1), t(x, dst, src, seed=2)
            grey = a.amax(1, keepdim=True)  # the digit, whatever its tint
            tint = (a + 1).sum((2, 3)).argmax(1)  # the brightest channel
            name = f"{t.domains[src]}2{t.domains[dst]}"
            out[f"digit_kept_{name}"] = round(
                float((read_digits(classifier, grey) == labels).float().mean()), 4
            )
            out[f"tint_{name}"] = round(float((tint == dst).float().mean()), 4)
            mad = float((a - b).abs().mean())  # in data space, [-1, 1] as gankit's arrays
            out[f"style_mad_{name}"], out[f"style_mad_pixels_{name}"] = (
                round(mad, 4),
                round(mad / 2, 4),
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--data", default="../shared/data/mnist")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--checkpoint", default="latest")
    args = ap.parse_args()
    t = Translator.load(args.run, args.checkpoint)
    test = DATASETS.build(
        "mnist", path=args.data, resolution=t.model.shape[1], train=False, labels=True
    )
    digits, labels = test.images[: args.n], test.labels[: args.n]
    task = DATASETS.get("mnist-invert" if t.domains == ["plain", "inverted"] else "mnist-colors")
    with torch.no_grad():
        if task.registered_name == "mnist-invert":
            result = check_invert(t, digits, task.render)
        else:
            result = check_colors(t, digits, labels, task.render, args.data)
    print(json.dumps({"run": args.run, "n": len(digits), **result}))


if __name__ == "__main__":
    main()
