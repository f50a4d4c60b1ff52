"""Standard datasets through torchvision: read a local copy, else download, else explain."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np
import torch
import torchvision
from torchvision.datasets.mnist import read_image_file, read_label_file

from gankit.checks import Channels, Resolution
from gankit.data.base import DATASETS, ImageData
from gankit.data.transforms import fit_tensor
from gankit.errors import GankitError

DEFAULT_ROOT = "~/.cache/gankit/datasets"


class TorchvisionImages(ImageData):
    """Base for torchvision sets. ``path`` is the root torchvision reads (it holds e.g. MNIST/raw).
    ``labels``: each image's class (10 for every set here)."""

    dataset_cls: type
    folder: str

    def __init__(
        self,
        path: str = DEFAULT_ROOT,
        resolution: Resolution = 32,
        channels: Channels = 1,
        train: bool = True,
        hflip: bool = False,
        labels: bool = False,
    ):
        super().__init__(resolution, channels, hflip)
        self.root = Path(path).expanduser()
        images, targets = self._read(train)
        images = torch.as_tensor(np.asarray(images))
        # MNIST-like sets are [N, H, W]; CIFAR is [N, H, W, C]
        images = images.unsqueeze(1) if images.dim() == 3 else images.permute(0, 3, 1, 2)
        self.images = fit_tensor(images, resolution, channels)
        if labels:
            self.set_labels(torch.as_tensor(np.asarray(targets)), 10)

    def _read(self, train: bool):
        """(images, class labels) of the split."""
        for download in (False, True):
            try:
                found = self.dataset_cls(str(self.root), train=train, download=download)
                return found.data, found.targets
            except Exception as exc:
                error = exc
        raise GankitError(
            f"{self.folder} is not under {self.root} and could not be downloaded ({type(error).__name__}); "
            f"put a copy there (torchvision layout, e.g. {self.root}/{self.folder}/raw) or pass --data ROOT"
        )

    def summary(self):
        return {**super().summary(), "root": str(self.root)}


def read_idx(raw: Path, stem: str, reader):
    """An IDX file under ``raw``, plain or gzipped, read with torchvision's ``reader``; else None."""
    if (raw / stem).exists():
        return reader(str(raw / stem))
    if (raw / f"{stem}.gz").exists():
        with gzip.open(raw / f"{stem}.gz") as src, tempfile.NamedTemporaryFile() as tmp:
            tmp.write(src.read())
            tmp.flush()
            return reader(tmp.name)
    return None


class LazyLabels:
    """An IDX label file, read when a labelled run asks for it (np.asarray)."""

    def __init__(self, raw: Path, stem: str):
        self.raw, self.stem = raw, stem

    def __array__(self, dtype=None, copy=None):
        labels = read_idx(self.raw, self.stem, read_label_file)
        if labels is None:
            raise GankitError(
                f"data.labels=true needs {self.stem} (or .gz) beside the images in {self.raw}; "
                f"copy it there or set data.labels=false"
            )
        return labels.numpy()


class IdxImages(TorchvisionImages):
    """MNIST-format sets. A raw folder of IDX files, gzipped or not, is read directly, so
    read-only or re-compressed copies work without torchvision's download/extract step."""

    def _read(self, train: bool):
        split, raw = ("train" if train else "t10k"), self.root / self.folder / "raw"
        images = read_idx(raw, f"{split}-images-idx3-ubyte", read_image_file)
        if images is None:
            return super()._read(train)
        # labels are read lazily: only a labelled run needs the file
        return images, LazyLabels(raw, f"{split}-labels-idx1-ubyte")


@DATASETS.register("mnist")
class MNIST(IdxImages):
    """MNIST handwritten digits (LeCun et al. 1998): 60k train / 10k test, 28x28 grey."""

    dataset_cls, folder = torchvision.datasets.MNIST, "MNIST"


@DATASETS.register("fashion_mnist")
class FashionMNIST(IdxImages):
    """Fashion-MNIST (Xiao et al. 2017): 60k train / 10k test, 28x28 grey clothing."""

    dataset_cls, folder = torchvision.datasets.FashionMNIST, "FashionMNIST"


@DATASETS.register("cifar10")
class CIFAR10(TorchvisionImages):
    """CIFAR-10 (Krizhevsky 2009): 50k train / 10k test, 32x32 RGB (torchvision's pickled copy;
    a folder or zip of CIFAR images works through the ``folder`` dataset)."""

    dataset_cls, folder = torchvision.datasets.CIFAR10, "cifar-10-batches-py"

    def __init__(
        self,
        path: str = DEFAULT_ROOT,
        resolution: Resolution = 32,
        channels: Channels = 3,
        train: bool = True,
        hflip: bool = False,
        labels: bool = False,
    ):
        super().__init__(path, resolution, channels, train, hflip, labels)
