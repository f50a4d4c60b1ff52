"""Residual players (pre-activation blocks, He et al. 2016), as in the deep ResNets of the WGAN-GP
paper's architecture-robustness table (Gulrajani et al. 2017) and of SNGAN. Any power-of-two
size 16..128; ``blocks`` residual blocks per resolution set the depth (2 convs each)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gankit.checks import Depth, Width, ints
from gankit.errors import GankitError
from gankit.nets.attention import SelfAttention, check_attention
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Discriminator, ImageNet
from gankit.nets.conditional import (
    ConditionalGenerator,
    DConditioning,
    GConditioning,
    LabelledSequential,
)
from gankit.nets.layers import check_norm, log2_int, norm2d

RESOLUTIONS = (16, 32, 64, 128)


class ResBlock(nn.Module):
    """x + conv3x3(act(norm(conv3x3(act(norm(x)))))), channels and size unchanged [N, C, H, W].
    The label y reaches conditional norms inside (conditional batch norm)."""

    takes_label = True

    def __init__(self, channels: int, norm: str, act: Callable[[], nn.Module]):
        super().__init__()
        # not in place: with norm=none the activation's input is x itself, which the skip still needs
        self.body = LabelledSequential(
            norm2d(norm, channels),
            act(),
            nn.Conv2d(channels, channels, 3, 1, 1),
            norm2d(norm, channels),
            act(),
            nn.Conv2d(channels, channels, 3, 1, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return x + self.body(x, y)


def _stages(net: ImageNet, shape, norm: str, blocks: int) -> tuple[int, int]:
    """Checked arguments -> (image channels, number of 2x resolution steps between 4x4 and S)."""
    net.check_shape(shape)
    check_norm(norm)
    if blocks < 1:
        raise GankitError(
            f"resnet needs blocks >= 1 (residual blocks per resolution), got {blocks}"
        )
    return shape[0], log2_int(shape[1]) - 2


@GENERATORS.register("resnet")
class ResNetGenerator(ImageNet, ConditionalGenerator):
    """z [N, z_dim] -> image [N, C, S, S] in [-1, 1].

    A linear map to a 4x4 map of width * 2^(n-1) channels; at each resolution ``blocks`` residual
    blocks, then nearest-neighbour 2x upsampling and a 3x3 conv halving the channels (down to
    ``width``); finally norm, ReLU, a 3x3 conv to C channels and tanh. With ``num_classes``
    (set from labelled data) it is G(z, y), conditioned by ``conditioning`` (SNGAN-projection's
    generator: cbn). ``attention`` (a feature-map side) adds SAGAN self-attention there.
    """

    resolutions = RESOLUTIONS

    def __init__(
        self,
        shape,
        z_dim: int,
        width: Width = 64,
        norm: str = "batch",
        blocks: Depth = 2,
        num_classes: ints(0, 100_000) = 0,
        conditioning: GConditioning = "cbn",
        attention: ints(0, 1024) = 0,
    ):
        super().__init__()
        channels, n = _stages(self, shape, norm, blocks)
        widths = [width * 2 ** max(n - 1 - i, 0) for i in range(n + 1)]
        check_attention(attention, [4 * 2**i for i in range(n)], "model.generator")
        self.z_dim, self.top = z_dim, widths[0]
        self.project = nn.Linear(self.condition(num_classes, conditioning, z_dim), widths[0] * 16)
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            layers += [ResBlock(c_in, norm, nn.ReLU) for _ in range(blocks)]
            layers += [SelfAttention(c_in)] if 4 * 2**i == attention else []
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1)]
        layers += [
            norm2d(norm, widths[-1]),
            nn.ReLU(),
            nn.Conv2d(widths[-1], channels, 3, 1, 1),
            nn.Tanh(),
        ]
        self.net = LabelledSequential(*layers)
        self.use_cbn()

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.project(self.join(z, y)).view(z.shape[0], self.top, 4, 4), y)


@DISCRIMINATORS.register("resnet")
class ResNetDiscriminator(ImageNet, Discriminator):
    """image [N, C, S, S] -> score [N].

    A 3x3 conv to ``width`` channels; at each resolution ``blocks`` residual blocks (LeakyReLU
    0.2), a 3x3 conv doubling the channels (up to width * 2^(n-1)) and 2x2 average pooling, down
    to 4x4. The activated, flattened 4x4 map is the feature vector; a linear head scores it.
    ``norm``: batch/layer/instance/none (layer or none with a gradient penalty). With
    ``num_classes`` (set from labelled data) it is D(x, y), conditioned by ``conditioning``.
    ``attention`` (a feature-map side) adds SAGAN self-attention there.
    """

    resolutions = RESOLUTIONS

    def __init__(
        self,
        shape,
        width: Width = 64,
        norm: str = "batch",
        blocks: Depth = 2,
        num_classes: ints(0, 100_000) = 0,
        conditioning: DConditioning = "projection",
        attention: ints(0, 1024) = 0,
    ):
        super().__init__()
        channels, n = _stages(self, shape, norm, blocks)
        channels += self.condition(num_classes, conditioning)
        widths = [width * 2 ** min(i, n - 1) for i in range(n + 1)]
        size = shape[1]
        check_attention(attention, [size // 2**i for i in range(n)], "model.discriminator")
        layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 3, 1, 1)]
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            layers += [ResBlock(c_in, norm, lambda: nn.LeakyReLU(0.2)) for _ in range(blocks)]
            layers += [SelfAttention(c_in)] if size // 2**i == attention else []
            layers += [nn.Conv2d(c_in, c_out, 3, 1, 1), nn.AvgPool2d(2)]
        self.net = nn.Sequential(*layers, nn.LeakyReLU(0.2), nn.Flatten())
        self.feature_dim = widths[-1] * 16
        self.head = nn.Linear(self.feature_dim, 1)
        self.condition_head(self.feature_dim)

    def embed(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.label_input(x, y))
