"""Adversarial losses, registered by name in ``LOSSES``."""

from gankit.losses import (  # noqa: F401
    ebgan,
    hinge,
    least_squares,
    minimax,
    nonsaturating,
    relativistic,
    wasserstein,
)
from gankit.losses.base import LOSSES, GANLoss, generator_loss

__all__ = ["LOSSES", "GANLoss", "generator_loss"]
