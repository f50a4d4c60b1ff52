"""Fully connected players, for 1-D/2-D toy data (and, flattened, for small images)."""

from __future__ import annotations

import math

import torch
from torch import nn

from gankit.checks import Depth, Width
from gankit.errors import GankitError
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Discriminator, Net


def _check_depth(depth: int, width: int) -> None:
    if depth < 1 or width < 1:
        raise GankitError(f"mlp needs depth >= 1 and width >= 1, got depth={depth}, width={width}")


class _MLPNet(Net):
    @classmethod
    def example_shapes(cls):
        return [(1,), (2,), (1, 16, 16)]


@GENERATORS.register("mlp")
class MLPGenerator(_MLPNet):
    """z [N, z_dim] -> sample [N, *shape]: ``depth`` hidden Linear+ReLU layers of ``width``.

    Output is linear for points ([N, D]: toy data lives on its own scale) and tanh for images.
    """

    def __init__(self, shape, z_dim: int, width: Width = 128, depth: Depth = 3):
        super().__init__()
        _check_depth(depth, width)
        self.shape, self.z_dim = tuple(shape), z_dim
        dims = [z_dim] + [width] * depth
        layers = [m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.ReLU(True))]
        layers.append(nn.Linear(width, math.prod(shape)))
        if len(shape) == 3:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.shape)


@DISCRIMINATORS.register("mlp")
class MLPDiscriminator(_MLPNet, Discriminator):
    """sample [N, *shape] -> score [N]: ``depth`` hidden Linear+LeakyReLU(0.2) layers."""

    def __init__(self, shape, width: Width = 128, depth: Depth = 3):
        super().__init__()
        _check_depth(depth, width)
        dims = [math.prod(shape)] + [width] * depth
        layers = [
            m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.LeakyReLU(0.2, True))
        ]
        self.net = nn.Sequential(*layers)
        self.feature_dim = width
        self.head = nn.Linear(width, 1)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))
