"""CycleGAN's networks (Zhu et al. 2017, appendix 7.2): a ResNet generator and a PatchGAN
discriminator, both with instance normalisation."""

from __future__ import annotations

import math

import torch
from torch import nn


def _norm(ch: int) -> nn.Module:
    # no affine parameters and no running statistics: each image is normalised by its own
    # statistics in training and at test time alike (the reference implementation's default)
    return nn.InstanceNorm2d(ch)


class ResidualBlock(nn.Module):
    """x + [reflect-pad, conv3, IN, ReLU, reflect-pad, conv3, IN](x); shape unchanged."""

    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), _norm(ch), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3), _norm(ch),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """c7s1-w, d2w, d4w, ``blocks`` x R4w, u2w, uw, c7s1-C, tanh (the paper uses 6 blocks at
    128px and 9 at 256px). x [N, C, S, S] in [-1, 1] -> [N, C, S, S]; S divisible by 4."""

    def __init__(self, channels: int, width: int = 64, blocks: int = 9):
        super().__init__()
        w = width
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, w, 7), _norm(w), nn.ReLU(True)]
        for mult in (1, 2):  # two stride-2 downsamplings
            layers += [
                nn.Conv2d(w * mult, w * mult * 2, 3, 2, 1),
                _norm(w * mult * 2),
                nn.ReLU(True),
            ]
        layers += [ResidualBlock(4 * w) for _ in range(blocks)]
        for mult in (4, 2):  # two stride-2 (fractionally strided) upsamplings
            layers += [
                nn.ConvTranspose2d(w * mult, w * mult // 2, 3, 2, 1, output_padding=1),
                _norm(w * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(w, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def patch_layers(resolution: int) -> int:
    """Stride-2 layers giving a receptive field of about 70/256 of the image (3 layers, the
    70x70 PatchGAN, at 256px; 2 at 128px; 1 below)."""
    return max(1, min(3, 3 - round(math.log2(256 / resolution))))


def receptive_field(layers: int) -> int:
    """Pixels one output of a PatchGAN with ``layers`` stride-2 convolutions sees (4x4 kernels)."""
    field = 1
    for stride in [1, 1] + [2] * layers:  # the two stride-1 convolutions come last
        field = field * stride + (4 - stride)
    return field


class PatchDiscriminator(nn.Module):
    """C64-C128-C256-C512 of the paper: 4x4 convolutions, ``layers`` with stride 2 then two with
    stride 1, IN from the second layer, LeakyReLU 0.2, one raw score per overlapping patch.
    x [N, C, S, S] -> scores [N, 1, H', W'] (read by a least-squares loss, patch by patch)."""

    def __init__(self, channels: int, width: int = 64, layers: int = 3):
        super().__init__()
        out = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        ch = width
        for n in range(1, layers + 1):
            nxt = width * min(2**n, 8)
            stride = 2 if n < layers else 1
            out += [nn.Conv2d(ch, nxt, 4, stride, 1), _norm(nxt), nn.LeakyReLU(0.2, True)]
            ch = nxt
        out += [nn.Conv2d(ch, 1, 4, 1, 1)]
        self.net = nn.Sequential(*out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
