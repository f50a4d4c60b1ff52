"""Regularisers and constraints, registered by name in ``REGULARIZERS``."""
from gankit.regularizers import dragan, gradient_penalty, r1, r2, spectral_norm, weight_clip  # noqa: F401
from gankit.regularizers.base import REGULARIZERS, DStep, Regularizer

__all__ = ["REGULARIZERS", "DStep", "Regularizer"]
