import numpy as np

from gankit.checks import ints
from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric
from gankit.metrics.knn import ball_counts, knn_radii, nearest_distance


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    n = min(len(real), len(fake))
    if n <= k:  # each point needs k others for its k-NN radius
        raise GankitError(
            f"density/coverage with k={k} needs more than {k} samples per side, got {n}; pass --n {k + 1} or more"
        )
    radii = knn_radii(real, k)
    density = ball_counts(fake, real, radii).sum() / (k * len(fake))
    coverage = (nearest_distance(real, fake) <= radii).mean()
    return {"density": float(density), "coverage": float(coverage)}


@METRICS.register("dc")
class DensityCoverage(Metric):
    """Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for
    Generative Models"), k = 5: density counts how many real k-NN balls hold each fake (about 1
    for a perfect model, unbounded above); coverage is the share of real balls holding a fake."""

    primary, higher_is_better = "coverage", True

    def __init__(self, k: ints(1, 1000) = 5):
        self.k = k

    def __call__(self, ctx):
        return density_coverage(ctx.features("real"), ctx.features("fake"), self.k)
