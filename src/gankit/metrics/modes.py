import numpy as np
import torch

from gankit.data import ToyData
from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(q || uniform) for the histogram ``counts`` over len(counts) modes (0 log 0 = 0)."""
    q = counts / counts.sum()
    nz = q > 0
    return float((q[nz] * np.log(q[nz] * len(q))).sum())


def mode_stats(samples: torch.Tensor, modes: torch.Tensor, std: float) -> dict[str, float]:
    """VEEGAN/PacGAN protocol: a sample is high quality if within 3 std of its nearest mode; a
    mode is covered if it is the nearest mode of at least one high-quality sample; reverse KL is
    KL(q || uniform) for q the mode histogram of the high-quality samples."""
    dist, nearest = torch.cdist(samples.double(), modes.double()).min(1)
    hq = dist < 3 * std
    counts = torch.bincount(nearest[hq], minlength=len(modes)).double().numpy()
    if counts.sum() == 0:
        return {"modes": 0.0, "hq": 0.0, "reverse_kl": float("inf")}
    return {
        "modes": float((counts > 0).sum()),
        "hq": float(hq.double().mean()),
        "reverse_kl": kl_to_uniform(counts),
    }


@METRICS.register("modes")
class Modes(Metric):
    """Mode coverage on the toy mixtures (ring of 8, grid of 25): ``modes`` covered, share of
    high-quality samples ``hq`` and ``reverse_kl`` of the mode histogram. Use n = 2500."""

    primary, higher_is_better = "modes", True

    def __call__(self, ctx):
        if not isinstance(ctx.data, ToyData):
            raise GankitError(
                "metric 'modes' is for the toy mixtures (ring, grid); use fid/kid/pr for images"
            )
        return mode_stats(ctx.samples("fake"), ctx.data.modes, ctx.data.std)
