import math

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import linear_sum_assignment

from gankit.demos.base import DEMOS, Demo, save_figure


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """JS(P, Q) of two histograms on the same bins (natural log)."""
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    kl = lambda a: float((a[a > 0] * np.log(a[a > 0] / m[a > 0])).sum())  # noqa: E731
    return 0.5 * kl(p) + 0.5 * kl(q)


def earth_mover(a: np.ndarray, b: np.ndarray) -> float:
    """W1 between two equal-size point sets: the optimal one-to-one matching (exact for them)."""
    cost = np.linalg.norm(a[:, None] - b[None], axis=-1)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


@DEMOS.register("js_vs_em")
class JSvsEM(Demo):
    """Arjovsky et al. 2017, Example 1 (seed 003, 13.7.1-13.7.2): P_0 is uniform on the segment
    {0} x [0, 1], P_theta the same segment moved to x = theta. JS(P_0, P_theta) = log 2 for every
    theta != 0 (no gradient to follow), while W(P_0, P_theta) = |theta|. Both are computed from
    samples (histogram JS; exact matching W1) and plotted against theta (Figure 13.20)."""

    def run(self, out, quick=False):
        n = 200 if quick else 500
        rng = np.random.default_rng(0)
        y = rng.random(n)
        thetas = np.linspace(-1, 1, 21 if quick else 41)
        edges = (
            np.linspace(-1.025, 1.025, 42),
            np.linspace(0, 1, 11),
        )  # x bins 0.05 wide, centred on the grid
        base = np.stack([np.zeros(n), y], 1)
        js, em = [], []
        for theta in thetas:
            moved = np.stack([np.full(n, theta), y], 1)
            hp, _, _ = np.histogram2d(*base.T, bins=edges)
            hq, _, _ = np.histogram2d(*moved.T, bins=edges)
            js.append(js_divergence(hp.ravel(), hq.ravel()))
            em.append(earth_mover(base, moved))
        js, em = np.array(js), np.array(em)
        fig, axes = plt.subplots(1, 2, figsize=(8, 3))
        axes[0].plot(thetas, em, "o-"), axes[0].set_title("Earth-Mover W(P_0, P_theta)")
        axes[1].plot(thetas, js, "o-"), axes[1].set_title("JS(P_0, P_theta)")
        for ax in axes:
            ax.set_xlabel("theta")
        save_figure(fig, out / "js_vs_em.png")
        off = np.abs(thetas) > 1e-9
        return {
            "js_at_0": float(js[~off].max()),
            "js_min_off_0": float(js[off].min()),
            "js_max_off_0": float(js[off].max()),
            "log_2": math.log(2),
            "em_max_abs_error_vs_abs_theta": float(np.abs(em - np.abs(thetas)).max()),
        }
