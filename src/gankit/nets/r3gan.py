"""R3GAN's players (Huang et al. 2024, "The GAN is dead; long live the GAN! A Modern GAN
Baseline"): residual networks without normalisation, built from inverted bottlenecks with
grouped convolutions, lowpass-filtered resampling and fix-up initialisation.

Stages run at 4x4, 8x8, ..., S x S (G) and back (D), each with ``blocks`` residual blocks
of ``width`` channels. A block is 1x1 conv (C -> expansion*C), bias + LeakyReLU(0.2),
3x3 conv in groups of ``group_width`` channels (the cardinality is their number), bias + LeakyReLU, 1x1 conv back to C, added to its input.
Every weight is drawn N(0, gain^2 / fan_in) (MSR); within a block the gain is scaled by
L^(-1/4) for L blocks in the network and the last conv starts at zero, so the untrained network
is the identity plus a stem and keeps unit variance however deep (fix-up). The paper's CIFAR-10
model: width 768, group_width 16 (cardinality 96), 2 blocks per stage, expansion 2, z_dim 64.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gankit.checks import Count, Depth, Width, ints
from gankit.errors import GankitError
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Discriminator, ImageNet
from gankit.nets.conditional import ConditionalGenerator, DConditioning
from gankit.nets.layers import log2_int

RESOLUTIONS = (8, 16, 32, 64, 128, 256)
#: the gain of LeakyReLU(0.2) (He et al.'s sqrt(2 / (1 + a^2)))
LRELU_GAIN = math.sqrt(2 / (1 + 0.2**2))


def msr(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    """Weights ~ N(0, gain^2 / fan_in); a gain of 0 starts the layer at zero."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(fan_in))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


class BiasedLeakyReLU(nn.Module):
    """LeakyReLU(0.2)(x + b) with a learned per-channel bias b (the convolutions have none)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x + self.bias.view(1, -1, *([1] * (x.dim() - 2))), 0.2)


class Block(nn.Module):
    """The inverted-bottleneck residual block (shape unchanged)."""

    def __init__(self, channels: int, cardinality: int, expansion: int, depth: int):
        super().__init__()
        wide, gain = channels * expansion, LRELU_GAIN * depth ** (-1 / 4)
        self.body = nn.Sequential(
            msr(nn.Conv2d(channels, wide, 1, bias=False), gain), BiasedLeakyReLU(wide),
            msr(nn.Conv2d(wide, wide, 3, padding=1, groups=cardinality, bias=False), gain),
            BiasedLeakyReLU(wide), msr(nn.Conv2d(wide, channels, 1, bias=False), 0.0),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def lowpass() -> torch.Tensor:
    """The 4x4 binomial filter [1, 3, 3, 1]^T [1, 3, 3, 1] / 64 (R3GAN's [1, 2, 1] resampling)."""
    k = torch.tensor([1.0, 3.0, 3.0, 1.0])
    return (k[:, None] * k[None, :]) / 64


class Resample(nn.Module):
    """2x up- or downsampling with the lowpass filter, channel by channel."""

    def __init__(self, up: bool):
        super().__init__()
        self.up = up
        self.register_buffer("kernel", lowpass().view(1, 1, 4, 4), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        flat, k = x.reshape(n * c, 1, h, w), self.kernel.to(x.dtype)
        out = (
            F.conv_transpose2d(flat, 4 * k, stride=2, padding=1)
            if self.up
            else F.conv2d(flat, k, stride=2, padding=1)
        )
        return out.view(n, c, *out.shape[2:])


def groups(width: int, expansion: int, group_width: int) -> int:
    """The cardinality: the expanded channels split into groups of ``group_width``."""
    wide = width * expansion
    if wide % group_width and wide > group_width:
        raise GankitError(
            f"r3gan: group_width {group_width} must divide width * expansion = {wide}"
        )
    return max(1, wide // group_width)


@GENERATORS.register("r3gan")
class R3GANGenerator(ImageNet, ConditionalGenerator):
    """z [N, z_dim] (joined to a class embedding when conditional: its only way to read a
    label, as there is no batch norm to condition) -> image [N, C, S, S].
    A learned 4x4 basis scaled per channel by a linear map of z, stages of residual blocks with
    lowpass 2x upsampling between them, and a 1x1 conv to C channels (no tanh, as the paper)."""

    resolutions = RESOLUTIONS
    bounded = False  # no tanh: the paper's G is linear at the output

    def __init__(self, shape, z_dim: int, width: Width = 256, group_width: Count = 16,
                 blocks: Depth = 2, expansion: Count = 2,
                 num_classes: ints(0, 100_000) = 0):  # fmt: skip
        super().__init__()
        self.check_shape(shape)
        cardinality = groups(width, expansion, group_width)
        stages = log2_int(shape[1]) - 1
        depth = stages * blocks
        self.z_dim = z_dim
        self.basis = nn.Parameter(torch.randn(width, 4, 4))
        self.scale = msr(nn.Linear(self.condition(num_classes, "concat", z_dim), width, bias=False))
        layers: list[nn.Module] = []
        for i in range(stages):
            layers += [Resample(up=True)] if i else []
            layers += [Block(width, cardinality, expansion, depth) for _ in range(blocks)]
        self.body = nn.Sequential(*layers)
        self.to_image = msr(nn.Conv2d(width, shape[0], 1, bias=False))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.basis[None] * self.scale(self.join(z, y))[:, :, None, None]
        return self.to_image(self.body(h))


@DISCRIMINATORS.register("r3gan")
class R3GANDiscriminator(ImageNet, Discriminator):
    """image [N, C, S, S] -> logit [N]: a 1x1 conv to ``width``, stages of residual blocks with
    lowpass 2x downsampling down to 4x4, then a depthwise 4x4 conv (the features [N, width])
    and a linear head; a conditional one adds the projection <embed(y), features>."""

    resolutions = RESOLUTIONS

    def __init__(self, shape, width: Width = 256, group_width: Count = 16, blocks: Depth = 2,
                 expansion: Count = 2, num_classes: ints(0, 100_000) = 0,
                 conditioning: DConditioning = "projection"):  # fmt: skip
        super().__init__()
        self.check_shape(shape)
        cardinality = groups(width, expansion, group_width)
        channels = shape[0] + self.condition(num_classes, conditioning)
        stages = log2_int(shape[1]) - 1
        depth = stages * blocks
        layers: list[nn.Module] = [msr(nn.Conv2d(channels, width, 1, bias=False))]
        for i in range(stages):
            layers += [Block(width, cardinality, expansion, depth) for _ in range(blocks)]
            layers += [Resample(up=False)] if i < stages - 1 else []
        layers += [msr(nn.Conv2d(width, width, 4, groups=width, bias=False)), nn.Flatten()]
        self.net = nn.Sequential(*layers)
        self.feature_dim = width
        self.head = msr(nn.Linear(width, 1))  # a bias (0 at first) cancels in the pairing loss
        self.condition_head(width)

    def embed(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.label_input(x, y))
