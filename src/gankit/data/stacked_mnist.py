"""Stacked MNIST (Metz et al. 2017; Srivastava et al. 2017): 1,000 modes for mode-collapse studies."""

from __future__ import annotations

import torch

from gankit.checks import Resolution, ints
from gankit.data.base import DATASETS, ImageData
from gankit.data.torchvision_sets import DEFAULT_ROOT, MNIST
from gankit.data.transforms import fit_tensor


@DATASETS.register("stacked_mnist")
class StackedMNIST(ImageData):
    """``n`` RGB images whose R, G and B channels are three independently drawn MNIST training
    digits, so there are 10^3 modes (digit triples). Resized to ``resolution``; seeded.
    ``labels``: the triple's class 100 * R + 10 * G + B (1,000 classes)."""

    channels = 3  # fixed: one digit per colour channel

    def __init__(
        self,
        path: str = DEFAULT_ROOT,
        resolution: Resolution = 32,
        n: ints(1, 10**6) = 50000,
        seed: int = 0,
        labels: bool = False,
    ):
        super().__init__(resolution, 3)
        mnist = MNIST(path, resolution=28, channels=1, labels=labels)
        digits = mnist.images[:, 0]  # [60000, 28, 28]
        self.path = path
        pick = torch.randint(len(digits), (n, 3), generator=torch.Generator().manual_seed(seed))
        self.images = fit_tensor(digits[pick], resolution, 3)
        if labels:
            self.set_labels((mnist.labels[pick] * torch.tensor([100, 10, 1])).sum(1), 1000)

    def summary(self):
        return {**super().summary(), "modes": 1000}
