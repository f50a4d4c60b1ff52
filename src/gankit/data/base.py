"""Data sources: what a run learns from.

A source is either an ``ImageData`` (a uint8 tensor [N, C, S, S] decoded once, served as float
batches in [-1, 1]) or a ``ToyData`` (a known distribution sampled afresh for every batch,
served as float points [N, D]). Both hand the trainer an endless, resumable ``batches`` stream
of ``Batch(x, y)`` records; with ``labels=True`` a source that knows classes (class sub-folders,
MNIST digits, a mixture's component) fills ``y`` [N] (int64 in 0..num_classes-1), else None.
"""

from __future__ import annotations

import torch

from gankit.data.streams import Batch, SampledBatches, TensorBatches
from gankit.errors import GankitError
from gankit.registry import Registry


class DataSource:
    #: shape of one sample: (C, H, W) for images, (D,) for points
    shape: tuple[int, ...]
    #: classes the batches are labelled with; 0: unlabelled (data.labels=false)
    num_classes: int = 0
    #: what the networks' units are multiplied by to give the data's own units (a toy mixture
    #: trained standardized); every output a user sees (files, the API, plots) is in data units
    scale: float = 1.0
    #: files that could not be read (a folder dataset), named in the run's skipped.txt
    skipped: list[str] = []

    @classmethod
    def output_scale(cls, args: dict) -> float:
        """``scale`` of the source these ``args`` build, without reading any data."""
        return 1.0

    def batches(self, batch_size: int, device: torch.device, seed: int):
        """An endless stream of Batch with state_dict/load_state_dict (resume) and
        shard(rank, size) (under torchrun: read only this rank's rows of each batch)."""
        raise NotImplementedError

    def real_sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """n real samples as floats in data space (CPU), for plots and evaluation."""
        raise NotImplementedError

    def real_labelled(self, n: int, seed: int = 0) -> Batch:
        """n real samples (CPU floats) with their labels, for class-wise metrics."""
        raise NotImplementedError

    def summary(self) -> dict:
        """Facts for the report and the console (sizes, counts, skipped files)."""
        out = {
            "dataset": getattr(self, "registered_name", type(self).__name__),
            "shape": list(self.shape),
        }
        return {**out, "classes": self.num_classes} if self.num_classes else out

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3


def check_image_args(resolution: int, channels: int) -> None:
    if resolution < 4:
        raise GankitError(f"data.resolution must be >= 4 pixels, got {resolution}")
    if channels not in (1, 3):
        raise GankitError(f"data.channels must be 1 (grey) or 3 (RGB), got {channels}")


class ImageData(DataSource):
    """Images held as one uint8 tensor [N, C, S, S]; subclasses fill ``self.images``. The tensor
    moves to the training device once; batches are gathered, flipped (``hflip``) and converted
    to float there."""

    images: torch.Tensor
    #: [N] int64 class of each image when the run asked for labels, else None
    labels: torch.Tensor | None = None

    def __init__(self, resolution: int, channels: int, hflip: bool = False):
        check_image_args(resolution, channels)
        self.resolution, self.channels, self.hflip = resolution, channels, bool(hflip)
        self.shape = (channels, resolution, resolution)

    def set_labels(self, labels: torch.Tensor, num_classes: int | None = None) -> None:
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.num_classes = int(num_classes or int(self.labels.max()) + 1)

    def batches(self, batch_size, device, seed):
        return TensorBatches(self.images, batch_size, device, seed, to_float=uint8_to_float,
                             hflip=self.hflip, labels=self.labels)  # fmt: skip

    def real_sample(self, n, seed=0):
        return self.real_labelled(n, seed).x

    def real_labelled(self, n, seed=0):
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(len(self.images), generator=g)[:n]
        y = self.labels[idx] if self.labels is not None else None
        return Batch(uint8_to_float(self.images[idx]), y)

    def summary(self):
        return {**super().summary(), "images": len(self.images)}


class ToyData(DataSource):
    """A known low-dimensional distribution; subclasses implement ``sample``."""

    #: [K, D] centres of the mixture components (for plots and mode metrics)
    modes: torch.Tensor

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.sample_labelled(n, generator).x

    def sample_labelled(self, n: int, generator: torch.Generator) -> Batch:
        """n points [n, D] and the index [n] of the mixture component each came from."""
        raise NotImplementedError

    def batches(self, batch_size, device, seed):
        draw = self.sample_labelled if self.num_classes else self.sample
        return SampledBatches(draw, batch_size, device, seed)

    def real_sample(self, n, seed=0):
        return self.sample(n, torch.Generator().manual_seed(seed))

    def real_labelled(self, n, seed=0):
        x, y = self.sample_labelled(n, torch.Generator().manual_seed(seed))
        return Batch(x, y if self.num_classes else None)


def uint8_to_float(x: torch.Tensor) -> torch.Tensor:
    return x.float().div_(127.5).sub_(1.0)


def float_to_uint8(x: torch.Tensor) -> torch.Tensor:
    return x.add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


DATASETS: Registry[DataSource] = Registry("dataset")
