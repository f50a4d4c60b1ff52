"""Regularisers and constraints, registered by name in ``REGULARIZERS``."""
from gankit.regularizers import (dragan, gradient_penalty, historical_averaging, instance_noise,  # noqa: F401
                                 r1, r2, spectral_norm, weight_clip)
from gankit.regularizers.base import REGULARIZERS, DStep, GStep, Regularizer

__all__ = ["REGULARIZERS", "DStep", "GStep", "Regularizer"]
