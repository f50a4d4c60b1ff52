"""Adversarial losses, registered by name in ``LOSSES``."""

from gankit.losses import ebgan, hinge, least_squares, minimax, nonsaturating, wasserstein  # noqa: F401
from gankit.losses.base import LOSSES, GANLoss

__all__ = ["LOSSES", "GANLoss"]
