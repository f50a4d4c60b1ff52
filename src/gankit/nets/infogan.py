"""The InfoGAN paper's MNIST players (Chen et al. 2016, appendix C.1): two fully connected layers
and two (transposed) convolutions, for 28x28 (or 32x32) grey or colour images."""

from __future__ import annotations

import torch
from torch import nn

from gankit.checks import Width
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Discriminator, ImageNet
from gankit.nets.layers import dcgan_init

RESOLUTIONS = (28, 32)


@GENERATORS.register("infogan")
class InfoGANGenerator(ImageNet):
    """z [N, z_dim] -> image [N, C, S, S] in [-1, 1]: FC 1024, BN, ReLU; FC to a 2*width x S/4 x
    S/4 map, BN, ReLU; 4x4 stride-2 transposed conv to ``width`` channels, BN, ReLU; 4x4
    stride-2 transposed conv to C channels, tanh (width 64: the paper's 1024-7x7x128-64-1)."""

    resolutions = RESOLUTIONS

    def __init__(self, shape, z_dim: int, width: Width = 64):
        super().__init__()
        self.check_shape(shape)
        self.top, self.size = 2 * width, shape[1] // 4
        self.fc = nn.Sequential(
            nn.Linear(z_dim, 1024),
            nn.BatchNorm1d(1024),
            nn.ReLU(True),
            nn.Linear(1024, self.top * self.size**2),
            nn.BatchNorm1d(self.top * self.size**2),
            nn.ReLU(True),
        )
        self.conv = nn.Sequential(
            nn.ConvTranspose2d(self.top, width, 4, 2, 1),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
            nn.ConvTranspose2d(width, shape[0], 4, 2, 1),
            nn.Tanh(),
        )
        dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.conv(self.fc(z).view(-1, self.top, self.size, self.size))


@DISCRIMINATORS.register("infogan")
class InfoGANDiscriminator(ImageNet, Discriminator):
    """image [N, C, S, S] -> score [N]: 4x4 stride-2 conv to ``width``, LeakyReLU(0.1); 4x4
    stride-2 conv to 2*width, BN, LeakyReLU; FC 1024, BN, LeakyReLU: the 1024 features, shared
    with InfoGAN's Q; a linear head scores them (width 64: the paper's 64-128-1024)."""

    resolutions = RESOLUTIONS

    def __init__(self, shape, width: Width = 64):
        super().__init__()
        self.check_shape(shape)
        size = shape[1] // 4
        self.net = nn.Sequential(
            nn.Conv2d(shape[0], width, 4, 2, 1),
            nn.LeakyReLU(0.1, True),
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.1, True),
            nn.Flatten(),
            nn.Linear(2 * width * size**2, 1024),
            nn.BatchNorm1d(1024),
            nn.LeakyReLU(0.1, True),
        )
        self.feature_dim = 1024
        self.head = nn.Linear(1024, 1)
        dcgan_init(self)

    def embed(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x)
