"""Datasets, registered by name in ``DATASETS``."""

from gankit.data import digits, domains, folder, stacked_mnist, torchvision_sets, toy  # noqa: F401
from gankit.data.base import DATASETS, DataSource, ImageData, ToyData

__all__ = ["DATASETS", "DataSource", "ImageData", "ToyData"]
