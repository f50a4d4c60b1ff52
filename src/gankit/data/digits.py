"""The embedded default: scikit-learn's bundled 8x8 digits, so the main job needs no download."""

from __future__ import annotations

import torch

from gankit.checks import Channels, Resolution
from gankit.data.base import DATASETS, ImageData
from gankit.data.transforms import fit_tensor


@DATASETS.register("digits")
class Digits(ImageData):
    """1,797 handwritten digits (UCI optical recognition set, shipped inside scikit-learn),
    8x8 with 17 grey levels, rescaled to 0..255 and upsampled (bilinear) to ``resolution``.
    ``labels``: each image's digit (10 classes)."""

    def __init__(self, resolution: Resolution = 32, channels: Channels = 1, labels: bool = False):
        super().__init__(resolution, channels)
        from sklearn.datasets import load_digits

        digits = load_digits()
        raw = torch.as_tensor(digits.images, dtype=torch.float32)  # [1797, 8, 8], 0..16
        images = (raw * (255.0 / 16.0)).round().to(torch.uint8).unsqueeze(1)
        self.images = fit_tensor(images, resolution, channels)
        if labels:
            self.set_labels(torch.as_tensor(digits.target), 10)
