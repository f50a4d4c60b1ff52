import numpy as np

from gankit.checks import ints
from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric


def kernel_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 with the cubic polynomial kernel k(a, b) = (a.b / d + 1)^3."""
    m, d = len(x), x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(within - 2 * kxy.mean())


@METRICS.register("kid")
class KID(Metric):
    """Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
    MMD^2 between real and generated features with a cubic polynomial kernel, averaged over
    ``subsets`` random subsets of ``subset_size`` samples. With fewer samples than that, subsets
    of half the samples are drawn, so that they differ and ``kid_std`` measures a real spread
    (subsets of all the samples would be identical and their std 0). Unbiased, so it can be
    slightly negative. Lower is better."""

    primary = "kid"

    def __init__(self, subsets: ints(1, 10**5) = 100, subset_size: ints(2) = 1000, seed: int = 0):
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed

    def __call__(self, ctx):
        return kid(
            ctx.features("real"), ctx.features("fake"), self.subsets, self.subset_size, self.seed
        )


def kid(real, fake, subsets=100, subset_size=1000, seed=0) -> dict[str, float]:
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    n = min(len(real), len(fake))
    if n < 2:
        raise GankitError(f"KID needs at least 2 samples per side, got {n}; pass --n 2 or more")
    m = subset_size if subset_size < n else max(2, n // 2)
    rng = np.random.default_rng(seed)
    values = [
        kernel_mmd2(
            fake[rng.choice(len(fake), m, replace=False)],
            real[rng.choice(len(real), m, replace=False)],
        )
        for _ in range(subsets)
    ]
    if m == n:  # 2 or 3 samples: every subset is the whole set, a spread would mean nothing
        return {"kid": float(np.mean(values))}
    return {"kid": float(np.mean(values)), "kid_std": float(np.std(values))}
