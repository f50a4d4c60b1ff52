"""Feature extractors: uint8 images [N, C, H, W] -> float32 features [N, dim].

Metrics depend only on this interface. ``key`` names the network and its preprocessing, so a
change in either gives a different cache entry for real-data statistics.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gankit.checks import ints
from gankit.progress import progress_bar
from gankit.registry import Registry


class FeatureExtractor(nn.Module):
    dim: int
    key: str  # network + preprocessing, for caches
    #: whether ``logits`` gives class logits (needed by the Inception Score)
    has_logits = False

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


FEATURES: Registry[FeatureExtractor] = Registry("feature extractor")


@torch.no_grad()
def extract(extractor: FeatureExtractor, images: torch.Tensor, fn=None, batch: int = 250,
            label: str = "images") -> np.ndarray:  # fmt: skip
    """``fn`` (default: ``extractor`` itself) over uint8 images [N, C, H, W], in batches, on
    the extractor's device (it may sit on a GPU); float32 [N, ...]."""
    fn = fn or extractor
    device = next(extractor.parameters(), torch.empty(0)).device
    chunks = progress_bar(
        images.split(batch), desc=f"features ({label})", unit="batch", leave=False
    )
    return np.concatenate([fn(chunk.to(device)).cpu().numpy() for chunk in chunks]).astype(
        np.float32
    )


@FEATURES.register("random_conv")
class RandomConvFeatures(FeatureExtractor):
    """A small fixed random conv net (seeded): cheap features for tests and smoke runs only.

    Numbers from it are comparable only with themselves, never with published FIDs.
    """

    has_logits = True

    def __init__(self, dim: ints(1, 4096) = 64, classes: ints(1, 10**4) = 10, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.dim, self.key = dim, f"random_conv-{dim}-{classes}-{seed}"
        self.convs = nn.ModuleList(
            [nn.Conv2d(3, 16, 3, 2, 1), nn.Conv2d(16, 32, 3, 2, 1), nn.Conv2d(32, dim, 3, 2, 1)]
        )
        self.head = nn.Linear(dim, classes)
        for p in self.parameters():
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
        self.requires_grad_(False).eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float() / 127.5 - 1.0
        x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x[:, :3]
        for conv in self.convs:
            x = torch.tanh(conv(x))
        return x.mean(dim=(2, 3))

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self(images))
