"""Regularisers and constraints, registered by name in ``REGULARIZERS``."""
from gankit.regularizers import gradient_penalty, weight_clip  # noqa: F401
from gankit.regularizers.base import REGULARIZERS, DStep, Regularizer

__all__ = ["REGULARIZERS", "DStep", "Regularizer"]
