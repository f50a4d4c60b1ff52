"""Toy mixtures of Gaussians (the VEEGAN/PacGAN mode-collapse protocol) and 1-D Gaussians."""

from __future__ import annotations

import math

import torch

from gankit.checks import Finite, Positive, ints
from gankit.data.base import DATASETS, ToyData
from gankit.data.streams import Batch
from gankit.errors import GankitError


class GaussianMixture(ToyData):
    """Equal-weight isotropic mixture around ``self.modes`` [K, D] with standard deviation ``std``."""

    def _set(self, modes: torch.Tensor, std: float, labels: bool) -> None:
        if std <= 0:
            raise GankitError(f"std must be > 0, got {std}")
        self.modes, self.std = modes.float(), float(std)
        self.shape = (modes.shape[1],)
        self.num_classes = len(modes) if labels else 0  # label: the component's index

    def sample_labelled(self, n, generator):
        k = torch.randint(len(self.modes), (n,), generator=generator)
        return Batch(
            self.modes[k] + self.std * torch.randn(n, self.shape[0], generator=generator), k
        )

    def summary(self):
        return {**super().summary(), "modes": len(self.modes), "std": self.std}


@DATASETS.register("ring")
class Ring(GaussianMixture):
    """``n_modes`` Gaussians evenly spaced on a circle (PacGAN: 8 modes, radius 1, std 0.01)."""

    def __init__(self, n_modes: ints(1, 10**4) = 8, radius: Positive = 1.0, std: Positive = 0.01,
                 labels: bool = False):  # fmt: skip
        angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
        self._set(radius * torch.stack([angles.cos(), angles.sin()], 1), std, labels)


@DATASETS.register("grid")
class Grid(GaussianMixture):
    """A side x side grid of Gaussians (PacGAN: 5x5 on {-4,-2,0,2,4}^2, std 0.05)."""

    def __init__(self, side: ints(1, 100) = 5, spacing: Positive = 2.0, std: Positive = 0.05,
                 labels: bool = False):  # fmt: skip
        axis = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
        self._set(torch.cartesian_prod(axis, axis), std, labels)


@DATASETS.register("gaussian1d")
class Gaussian1D(GaussianMixture):
    """A 1-D Gaussian, or an equal-weight mixture of them with shared ``std``."""

    def __init__(self, means: Finite | tuple[Finite, ...] = (2.0,), std: Positive = 0.5,
                 labels: bool = False):  # fmt: skip
        means = [means] if isinstance(means, (int, float)) else list(means)
        if not means:
            raise GankitError("data.means needs at least one mean, e.g. --set data.means=[-2,2]")
        self._set(torch.tensor(means, dtype=torch.float64).view(-1, 1), std, labels)
