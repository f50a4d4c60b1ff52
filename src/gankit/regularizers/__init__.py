"""Regularisers and constraints, registered by name in ``REGULARIZERS``."""

from gankit.regularizers import (  # noqa: F401
    ada,
    consensus,
    diffaugment,
    dragan,
    feature_matching,
    gradient_penalty,
    historical_averaging,
    instance_noise,
    locally_stable,
    minibatch,
    orthogonal,
    pack,
    r1,
    r2,
    spectral_norm,
    unrolled,
    weight_clip,
)
from gankit.regularizers.base import REGULARIZERS, DStep, GStep, Regularizer

__all__ = ["REGULARIZERS", "DStep", "GStep", "Regularizer"]
