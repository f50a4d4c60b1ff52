"""k-nearest-neighbour radii and ball membership on feature sets, in chunks (no N x N in memory)."""

from __future__ import annotations

import numpy as np
import torch


def _dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def knn_radii(x: np.ndarray, k: int, chunk: int = 1024) -> np.ndarray:
    """Distance from each row of x to its k-th nearest other row."""
    t = torch.from_numpy(np.asarray(x, np.float32))
    out = [
        _dist(t[i : i + chunk], t).kthvalue(k + 1, dim=1).values for i in range(0, len(t), chunk)
    ]
    return torch.cat(out).numpy()  # k + 1: the nearest "other" row skips the point itself


def ball_counts(
    points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int = 1024
) -> np.ndarray:
    """For each point, how many balls B(centre_i, radius_i) contain it."""
    p, c = (
        torch.from_numpy(np.asarray(points, np.float32)),
        torch.from_numpy(np.asarray(centres, np.float32)),
    )
    r = torch.from_numpy(np.asarray(radii, np.float32))
    out = [(_dist(p[i : i + chunk], c) <= r).sum(1) for i in range(0, len(p), chunk)]
    return torch.cat(out).numpy()


def nearest_distance(points: np.ndarray, others: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """For each point, the distance to its nearest row of ``others``."""
    p, o = (
        torch.from_numpy(np.asarray(points, np.float32)),
        torch.from_numpy(np.asarray(others, np.float32)),
    )
    return torch.cat(
        [_dist(p[i : i + chunk], o).min(1).values for i in range(0, len(p), chunk)]
    ).numpy()
