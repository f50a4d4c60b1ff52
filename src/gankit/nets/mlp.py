"""Fully connected players, for 1-D/2-D toy data (and, flattened, for small images)."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from gankit.checks import Depth, Width, ints
from gankit.errors import GankitError
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Discriminator, Net
from gankit.nets.conditional import ConditionalGenerator, DConditioning


def _check_depth(depth: int, width: int) -> None:
    if depth < 1 or width < 1:
        raise GankitError(f"mlp needs depth >= 1 and width >= 1, got depth={depth}, width={width}")


class _MLPNet(Net):
    @classmethod
    def example_shapes(cls):
        return [(1,), (2,), (1, 16, 16)]


@GENERATORS.register("mlp")
class MLPGenerator(_MLPNet, ConditionalGenerator):
    """z [N, z_dim] -> sample [N, *shape]: ``depth`` hidden Linear+ReLU layers of ``width``.

    Output is linear for points ([N, D]: toy data lives on its own scale) and tanh for images.
    With ``num_classes`` (labelled data) it is G(z, y): a class embedding joined to z (cGAN).
    """

    def __init__(self, shape, z_dim: int, width: Width = 128, depth: Depth = 3,
                 num_classes: ints(0, 100_000) = 0, conditioning: Literal["concat"] = "concat"):  # fmt: skip
        super().__init__()
        _check_depth(depth, width)
        self.shape, self.z_dim = tuple(shape), z_dim
        dims = [self.condition(num_classes, conditioning, z_dim)] + [width] * depth
        layers = [m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.ReLU(True))]
        layers.append(nn.Linear(width, math.prod(shape)))
        if len(shape) == 3:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.join(z, y)).view(z.shape[0], *self.shape)


@DISCRIMINATORS.register("mlp")
class MLPDiscriminator(_MLPNet, Discriminator):
    """sample [N, *shape] -> score [N]: ``depth`` hidden Linear+LeakyReLU(0.2) layers. With
    ``num_classes`` (labelled data) it is D(x, y), conditioned by ``conditioning``."""

    def __init__(self, shape, width: Width = 128, depth: Depth = 3,
                 num_classes: ints(0, 100_000) = 0, conditioning: DConditioning = "projection"):  # fmt: skip
        super().__init__()
        _check_depth(depth, width)
        extra = self.condition(num_classes, conditioning)  # label features joined to x
        dims = [math.prod(shape) + extra] + [width] * depth
        layers = [
            m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.LeakyReLU(0.2, True))
        ]
        self.net = nn.Sequential(*layers)
        self.feature_dim = width
        self.head = nn.Linear(width, 1)
        self.condition_head(width)

    def embed(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.label_input(x.flatten(1), y))
