"""The DCGAN variant of the seeds' textbook chapter (003, sections 13.3.2-13.3.3), for 64x64."""

from __future__ import annotations

import torch
from torch import nn

from gankit.checks import Width
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Discriminator, ImageNet
from gankit.nets.layers import check_norm, dcgan_init, norm2d


@GENERATORS.register("textbook")
class TextbookGenerator(ImageNet):
    """z [N, z_dim] -> image [N, C, 64, 64] in [-1, 1]: ReLU on z, then 5 bias-free transposed
    convs (1 -> 4 -> 8 -> 16 -> 32 -> 64; 8f, 4f, 2f, f, C channels), BN + ReLU between, tanh."""

    resolutions = (64,)

    def __init__(self, shape, z_dim: int, width: Width = 64, norm: str = "batch"):
        super().__init__()
        self.check_shape(shape)
        check_norm(norm)
        f, channels = width, shape[0]
        widths = [8 * f, 4 * f, 2 * f, f]
        layers = [
            nn.ReLU(),
            nn.ConvTranspose2d(z_dim, widths[0], 4, 1, 0, bias=False),
            norm2d(norm, widths[0]),
            nn.ReLU(True),
        ]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                norm2d(norm, c_out),
                nn.ReLU(True),
            ]
        layers += [nn.ConvTranspose2d(f, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.z_dim = z_dim
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


@DISCRIMINATORS.register("textbook")
class TextbookDiscriminator(ImageNet, Discriminator):
    """image [N, C, 64, 64] -> score [N]: five unpadded convs (4x4/2, 4x4/2, 4x4/2, 3x3/1, 3x3/1;
    64 -> 31 -> 14 -> 6 -> 4 -> 2 pixels; f..16f channels), norm + LeakyReLU(0.2) after each,
    global average pooling and a linear head."""

    resolutions = (64,)
    input_layer = "features.0"

    def __init__(self, shape, width: Width = 64, norm: str = "batch"):
        super().__init__()
        self.check_shape(shape)
        bias = check_norm(norm) == "none"
        f, channels = width, shape[0]
        specs = [
            (channels, f, 4, 2),
            (f, 2 * f, 4, 2),
            (2 * f, 4 * f, 4, 2),
            (4 * f, 8 * f, 3, 1),
            (8 * f, 16 * f, 3, 1),
        ]
        layers = []
        for c_in, c_out, k, s in specs:
            layers += [
                nn.Conv2d(c_in, c_out, k, s, 0, bias=bias),
                norm2d(norm, c_out),
                nn.LeakyReLU(0.2, True),
            ]
        self.features = nn.Sequential(*layers)
        self.feature_dim = 16 * f
        self.head = nn.Linear(16 * f, 1)
        dcgan_init(self)

    def embed(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))
