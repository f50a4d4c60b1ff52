import numpy as np
import scipy.linalg

from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)), in float64."""
    mu1, mu2, sigma1, sigma2 = (np.asarray(a, np.float64) for a in (mu1, mu2, sigma1, sigma2))
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        # singular product (e.g. fewer samples than dimensions): regularise both covariances
        offset = np.eye(len(sigma1)) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        imag = np.abs(np.diagonal(covmean).imag).max()
        if imag > 1e-3:
            raise GankitError(
                f"FID: the covariance square root has an imaginary part of {imag:.3g}; "
                f"use more samples (--n well above the feature dimension)"
            )
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


@METRICS.register("fid")
class FID(Metric):
    """Frechet Inception Distance (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update
    Rule Converge to a Local Nash Equilibrium"): the Frechet distance between Gaussians fitted
    to real and generated features (float64 mean and unbiased covariance). Lower is better; it
    is biased upwards for small n, so compare only FIDs computed with the same n."""

    primary = "fid"

    def __call__(self, ctx):
        real, fake = ctx.stats("real").mean_cov(), ctx.stats("fake").mean_cov()
        return {"fid": frechet_distance(*real, *fake)}
