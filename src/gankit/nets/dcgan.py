"""DCGAN (Radford et al. 2015, "Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks"), generalised to any power-of-two size 16..128."""

from __future__ import annotations

import torch
from torch import nn

from gankit.checks import Width, ints
from gankit.nets.attention import SelfAttention, check_attention
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Discriminator, ImageNet
from gankit.nets.conditional import (
    ConditionalGenerator,
    DConditioning,
    GConditioning,
    LabelledSequential,
)
from gankit.nets.layers import act_channels, activation, check_norm, dcgan_init, log2_int, norm2d

RESOLUTIONS = (16, 32, 64, 128)


@GENERATORS.register("dcgan")
class DCGANGenerator(ImageNet, ConditionalGenerator):
    """z [N, z_dim] -> image [N, C, S, S] in [-1, 1].

    A 4x4 transposed conv from z, then stride-2 transposed convs that double the size and halve
    the channels (width * 2^(n-1) at 4x4 down to ``width`` at S/2), each followed by ``norm``
    and ``act``; the last layer maps to C channels with tanh. For S=64, width=64 this is the
    canonical 512-256-128-64 DCGAN generator. The WGAN-GP paper's robustness variants:
    ``constant_width`` (``width`` channels in every layer; with norm=none, its "no BN and a
    constant number of filters"), ``act=tanh`` and ``act=gated`` (see layers.Gated).
    With ``num_classes`` (set from labelled data) it is G(z, y), conditioned by ``conditioning``.
    ``attention`` (a feature-map side, e.g. 32) adds a SAGAN self-attention block there.
    """

    resolutions = RESOLUTIONS

    def __init__(
        self,
        shape,
        z_dim: int,
        width: Width = 64,
        norm: str = "batch",
        act: str = "relu",
        constant_width: bool = False,
        num_classes: ints(0, 100_000) = 0,
        conditioning: GConditioning = "cbn",
        attention: ints(0, 1024) = 0,
    ):
        super().__init__()
        self.check_shape(shape)
        channels, size = shape[0], shape[1]
        bias = check_norm(norm) == "none"
        n = log2_int(size) - 2
        widths = [width if constant_width else width * 2 ** (n - 1 - i) for i in range(n)]
        check_attention(attention, [4 * 2**i for i in range(n)], "model.generator")
        layers, c_in, stride = [], self.condition(num_classes, conditioning, z_dim), (1, 0)
        for i, c_out in enumerate(widths):
            wide = act_channels(act, c_out)
            layers += [
                nn.ConvTranspose2d(c_in, wide, 4, *stride, bias=bias),
                norm2d(norm, wide),
                activation(act),
            ]
            layers += [SelfAttention(c_out)] if 4 * 2**i == attention else []
            c_in, stride = c_out, (2, 1)
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh()]
        self.z_dim = z_dim
        self.net = LabelledSequential(*layers)
        self.use_cbn()
        dcgan_init(self)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.join(z, y).view(z.shape[0], -1, 1, 1), y)


@DISCRIMINATORS.register("dcgan")
class DCGANDiscriminator(ImageNet, Discriminator):
    """image [N, C, S, S] -> score [N].

    Stride-2 4x4 convs halve the size and double the channels (``width`` at S/2 up to
    width * 2^(n-1) at 4x4), LeakyReLU(0.2); ``norm`` on all but the first layer
    (batch/layer/instance/none: use layer or none with a gradient penalty). The flattened 4x4
    map is the feature vector; a linear head (the classic final 4x4 conv) scores it. ``act``
    replaces LeakyReLU (tanh and gated are robustness variants of the WGAN-GP paper).
    With ``num_classes`` (set from labelled data) it is D(x, y), conditioned by ``conditioning``.
    ``attention`` (a feature-map side, e.g. 16) adds a SAGAN self-attention block there.
    """

    resolutions = RESOLUTIONS

    def __init__(
        self,
        shape,
        width: Width = 64,
        norm: str = "batch",
        act: str = "leaky_relu",
        num_classes: ints(0, 100_000) = 0,
        conditioning: DConditioning = "projection",
        attention: ints(0, 1024) = 0,
    ):
        super().__init__()
        self.check_shape(shape)
        channels, size = shape[0] + self.condition(num_classes, conditioning), shape[1]
        bias = check_norm(norm) == "none"
        n = log2_int(size) - 2
        widths = [width * 2**i for i in range(n)]
        check_attention(attention, [size // 2 ** (i + 1) for i in range(n)], "model.discriminator")
        layers = [nn.Conv2d(channels, act_channels(act, widths[0]), 4, 2, 1), activation(act)]
        layers += [SelfAttention(widths[0])] if size // 2 == attention else []
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            wide = act_channels(act, c_out)
            layers += [
                nn.Conv2d(c_in, wide, 4, 2, 1, bias=bias),
                norm2d(norm, wide),
                activation(act),
            ]
            layers += [SelfAttention(c_out)] if size // 2 ** (i + 2) == attention else []
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = widths[-1] * 16
        self.head = nn.Linear(self.feature_dim, 1)
        self.condition_head(self.feature_dim)
        dcgan_init(self)

    def embed(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.label_input(x, y))
