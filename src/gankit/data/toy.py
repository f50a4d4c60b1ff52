"""Toy mixtures of Gaussians (the VEEGAN/PacGAN mode-collapse protocol) and 1-D Gaussians."""

from __future__ import annotations

import math

import torch

from gankit.checks import Finite, Positive, ints
from gankit.data.base import DATASETS, ToyData
from gankit.data.streams import Batch
from gankit.errors import GankitError


class GaussianMixture(ToyData):
    """Equal-weight isotropic mixture around ``self.modes`` [K, D] with standard deviation ``std``.

    With ``standardize`` the whole mixture (modes and std) is divided by its per-coordinate
    standard deviation, so the networks see data of unit spread, as images in [-1, 1] are: at
    an equal budget, WGAN-GP's MLPs put 3x more samples on the grid's modes in those units. Every
    score of the protocol (modes, high-quality share, reverse KL) is unchanged by the rescaling.
    """

    scale = 1.0  # what the mixture was divided by (standardize): outputs are multiplied back

    @classmethod
    def output_scale(cls, args: dict) -> float:
        return cls(**args).scale  # a mixture is cheap to build: its modes are a formula

    def _set(
        self, modes: torch.Tensor, std: float, labels: bool, standardize: bool = False
    ) -> None:
        if std <= 0:
            raise GankitError(f"std must be > 0, got {std}")
        if standardize:
            self.scale = math.sqrt(float((modes - modes.mean(0)).pow(2).mean()) + std**2)
            modes, std = modes / self.scale, std / self.scale
        self.modes, self.std = modes.float(), float(std)
        self.shape = (modes.shape[1],)
        self.num_classes = len(modes) if labels else 0  # label: the component's index

    def sample_labelled(self, n, generator):
        k = torch.randint(len(self.modes), (n,), generator=generator)
        return Batch(
            self.modes[k] + self.std * torch.randn(n, self.shape[0], generator=generator), k
        )

    def summary(self):
        scaled = {"standardized_by": round(self.scale, 4)} if self.scale != 1.0 else {}
        return {**super().summary(), "modes": len(self.modes), "std": self.std, **scaled}


@DATASETS.register("ring")
class Ring(GaussianMixture):
    """``n_modes`` Gaussians evenly spaced on a circle (PacGAN: 8 modes, radius 1, std 0.01)."""

    def __init__(self, n_modes: ints(1, 10**4) = 8, radius: Positive = 1.0, std: Positive = 0.01,
                 labels: bool = False, standardize: bool = False):  # fmt: skip
        angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
        modes = radius * torch.stack([angles.cos(), angles.sin()], 1)
        self._set(modes, std, labels, standardize)


@DATASETS.register("grid")
class Grid(GaussianMixture):
    """A side x side grid of Gaussians (PacGAN: 5x5 on {-4,-2,0,2,4}^2, std 0.05)."""

    def __init__(self, side: ints(1, 100) = 5, spacing: Positive = 2.0, std: Positive = 0.05,
                 labels: bool = False, standardize: bool = False):  # fmt: skip
        axis = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
        self._set(torch.cartesian_prod(axis, axis), std, labels, standardize)


@DATASETS.register("gaussian1d")
class Gaussian1D(GaussianMixture):
    """A 1-D Gaussian, or an equal-weight mixture of them with shared ``std``."""

    def __init__(self, means: Finite | tuple[Finite, ...] = (2.0,), std: Positive = 0.5,
                 labels: bool = False):  # fmt: skip
        means = [means] if isinstance(means, (int, float)) else list(means)
        if not means:
            raise GankitError("data.means needs at least one mean, e.g. --set data.means=[-2,2]")
        self._set(torch.tensor(means, dtype=torch.float64).view(-1, 1), std, labels)
