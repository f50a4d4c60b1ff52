import numpy as np

from gankit.checks import ints
from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric
from gankit.metrics.knn import ball_counts, knn_radii


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> dict[str, float]:
    """Precision: share of fakes inside the real manifold (union of k-NN balls of real features).
    Recall: share of reals inside the fake manifold."""
    n = min(len(real), len(fake))
    if n <= k:  # each point needs k others for its k-NN radius
        raise GankitError(
            f"precision/recall with k={k} needs more than {k} samples per side, got {n}; pass --n {k + 1} or more"
        )
    precision = (ball_counts(fake, real, knn_radii(real, k)) > 0).mean()
    recall = (ball_counts(real, fake, knn_radii(fake, k)) > 0).mean()
    return {"precision": float(precision), "recall": float(recall)}


@METRICS.register("pr")
class PrecisionRecall(Metric):
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k = 3 nearest neighbours.
    Precision measures quality (are fakes realistic), recall coverage (is every kind of real
    sample produced). Both in [0, 1], higher is better."""

    primary, higher_is_better = "precision", True

    def __init__(self, k: ints(1, 1000) = 3):
        self.k = k

    def __call__(self, ctx):
        return precision_recall(ctx.features("real"), ctx.features("fake"), self.k)
