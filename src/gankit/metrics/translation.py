"""Quality of a translation model: FID of translated images against the target domain's real
images, one value per target domain, and their mean (which ranks checkpoints)."""

from __future__ import annotations

import numpy as np
import torch

from gankit.data.base import float_to_uint8, uint8_to_float
from gankit.data.domains import DomainData
from gankit.metrics.features import FeatureExtractor
from gankit.metrics.fid import frechet_distance
from gankit.metrics.stats import FeatureStats

#: the value that picks best.pt of a translation run (lower is better)
PRIMARY = "fid_mean"


def direction(domains: list[str], dst: int) -> str:
    """``fid_plain2inverted`` for two domains, ``fid_to_red`` for more."""
    if len(domains) == 2:
        return f"fid_{domains[1 - dst]}2{domains[dst]}"
    return f"fid_to_{domains[dst]}"


def pick(images: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    return images[torch.randperm(len(images), generator=generator)[:n]]


def features(extractor: FeatureExtractor, images: torch.Tensor, batch: int = 250) -> np.ndarray:
    """uint8 images [N, C, S, S] -> float32 features [N, dim], on the extractor's device."""
    device = next(extractor.parameters(), torch.empty(0)).device
    with torch.no_grad():
        out = [extractor(chunk.to(device)).cpu().numpy() for chunk in images.split(batch)]
    return np.concatenate(out).astype(np.float32)


def translation_fid(translate, data: DomainData, extractor: FeatureExtractor, n: int,
                    seed: int = 0, device="cpu", batch: int = 250) -> dict[str, float]:  # fmt: skip
    """``translate(x, src, dst)`` (float images in [-1, 1] on ``device``) is run on n images
    drawn evenly from the other domains for every target domain; each FID compares those with
    n real images of the target. Lower is better; values at different n are not comparable."""
    g = torch.Generator().manual_seed(seed)
    k, results = len(data.domain_names), {}
    for dst in range(k):
        others = [d for d in range(k) if d != dst]
        sizes = [n // len(others) + (i < n % len(others)) for i in range(len(others))]
        x = torch.cat([pick(data.domain(s), m, g) for s, m in zip(others, sizes)])
        src = torch.cat([torch.full((m,), s) for s, m in zip(others, sizes)])
        fakes = []
        for xs, ss in zip(x.split(batch), src.split(batch)):
            xs, ss = uint8_to_float(xs).to(device), ss.to(device)
            fakes.append(float_to_uint8(translate(xs, ss, torch.full_like(ss, dst)).cpu()))
        real = FeatureStats.of(features(extractor, pick(data.domain(dst), n, g)))
        fake = FeatureStats.of(features(extractor, torch.cat(fakes)))
        results[direction(data.domain_names, dst)] = frechet_distance(
            *real.mean_cov(), *fake.mean_cov()
        )
    results[PRIMARY] = float(np.mean(list(results.values())))
    return results
