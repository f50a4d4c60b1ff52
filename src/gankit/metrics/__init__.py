"""Evaluation metrics, registered by name in ``METRICS``; feature extractors in ``FEATURES``."""

from gankit.metrics import (  # noqa: F401
    class_accuracy,
    code_purity,
    density_coverage,
    fid,
    fid_intra,
    inception,
    inception_logits,
    inception_score,
    kid,
    modes,
    precision_recall,
    stacked_modes,
)
from gankit.metrics.base import METRICS, EvalContext, Metric
from gankit.metrics.features import FEATURES, FeatureExtractor

__all__ = ["METRICS", "FEATURES", "EvalContext", "Metric", "FeatureExtractor"]
