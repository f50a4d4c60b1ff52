"""Quality of a translation model: FID of translated images against the target domain's real
images, one value per target domain, and their mean (which ranks checkpoints)."""

from __future__ import annotations

import numpy as np
import torch

from gankit.data.base import float_to_uint8, uint8_to_float
from gankit.data.domains import DomainData
from gankit.metrics.features import FeatureExtractor, extract
from gankit.metrics.fid import frechet_distance
from gankit.metrics.stats import FeatureStats

#: the value that picks best.pt of a translation run (lower is better)
PRIMARY = "fid_mean"


def direction(domains: list[str], dst: int) -> str:
    """``fid_plain2inverted`` for two domains, ``fid_to_red`` for more."""
    if len(domains) == 2:
        return f"fid_{domains[1 - dst]}2{domains[dst]}"
    return f"fid_to_{domains[dst]}"


def pick(images: torch.Tensor, n: int, generator: torch.Generator, fill: bool = False):
    """n images in a random order, each once; with ``fill`` a domain with fewer than n images
    repeats them (a frame grid's rows keep their length)."""
    order = torch.randperm(len(images), generator=generator)
    return images[order[torch.arange(n) % len(order)] if fill else order[:n]]


@torch.no_grad()
def translation_fid(model, nets: dict, data: DomainData, extractor: FeatureExtractor, n: int,
                    seed: int = 0, device="cpu", batch: int = 250) -> dict[str, float]:  # fmt: skip
    """``model.translate(nets, ...)`` runs on n images drawn evenly from the other domains for
    every target domain, its style (if any) from seeded noise; each FID compares those with n
    real images of the target. Lower is better; values at different n are not comparable."""
    g = torch.Generator().manual_seed(seed)
    k, results = len(data.domain_names), {}
    for dst in range(k):
        others = [d for d in range(k) if d != dst]
        sizes = [n // len(others) + (i < n % len(others)) for i in range(len(others))]
        parts = [pick(data.domain(s), m, g) for s, m in zip(others, sizes)]
        x = torch.cat(parts)  # a small domain gives all it has: the sources are counted from it
        src = torch.cat([torch.full((len(p),), s) for s, p in zip(others, parts)])
        fakes = []
        for xs, ss in zip(x.split(batch), src.split(batch)):
            z = model.style_noise(len(xs), g).to(device)
            xs, ss = uint8_to_float(xs).to(device), ss.to(device)
            out = model.translate(nets, xs, ss, torch.full_like(ss, dst), z=z)
            fakes.append(float_to_uint8(out.cpu()))
        real = FeatureStats.of(extract(extractor, pick(data.domain(dst), n, g), label="real"))
        fake = FeatureStats.of(extract(extractor, torch.cat(fakes), label="translated"))
        results[direction(data.domain_names, dst)] = frechet_distance(
            *real.mean_cov(), *fake.mean_cov()
        )
    results[PRIMARY] = float(np.mean(list(results.values())))
    return results
