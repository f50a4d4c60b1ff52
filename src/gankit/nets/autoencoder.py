"""An autoencoder discriminator for EBGAN: D(x) = mean squared reconstruction error."""

from __future__ import annotations

import math

import torch
from torch import nn

from gankit.checks import Width
from gankit.nets.base import DISCRIMINATORS, Net
from gankit.nets.layers import dcgan_init, log2_int

CONV_SIZES = (16, 32, 64, 128)


def conv_autoencoder(channels: int, size: int, width: int) -> tuple[nn.Module, nn.Module]:
    """DCGAN-style: stride-2 convs down to 4x4 (widths width..width*2^(n-1)), mirrored back up."""
    n = log2_int(size) - 2
    widths = [channels] + [width * 2**i for i in range(n)]
    enc, dec = [], []
    for c_in, c_out in zip(widths, widths[1:]):
        enc += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    for c_in, c_out in zip(widths[:0:-1], widths[-2::-1]):
        dec += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.ReLU(True)]
    dec[-1] = nn.Tanh()  # reconstructions live in the data's [-1, 1]
    return nn.Sequential(*enc), nn.Sequential(*dec)


def mlp_autoencoder(dim: int, width: int, code: int) -> tuple[nn.Module, nn.Module]:
    enc = nn.Sequential(
        nn.Flatten(), nn.Linear(dim, width), nn.LeakyReLU(0.2, True), nn.Linear(width, code)
    )
    dec = nn.Sequential(nn.Linear(code, width), nn.LeakyReLU(0.2, True), nn.Linear(width, dim))
    return enc, dec


@DISCRIMINATORS.register("autoencoder")
class AutoencoderDiscriminator(Net):
    """x [N, *shape] -> energy [N] = mean over elements of (Dec(Enc(x)) - x)^2 (EBGAN, Zhao et
    al. 2017). Square images of size 16..128 get a convolutional autoencoder (DCGAN blocks,
    ``width``); anything else (points, other sizes) a fully connected one with a ``code``-wide
    bottleneck. Pair with the ``ebgan`` loss."""

    outputs_energy = True

    def __init__(self, shape, width: Width = 64, code: Width = 32):
        super().__init__()
        self.shape = tuple(shape)
        if len(shape) == 3 and shape[1] == shape[2] and shape[1] in CONV_SIZES:
            self.encoder, self.decoder = conv_autoencoder(shape[0], shape[1], width)
        else:
            self.encoder, self.decoder = mlp_autoencoder(math.prod(shape), width, code)
        if len(shape) == 3:
            dcgan_init(self)

    @classmethod
    def example_shapes(cls):
        return [(2,), (1, 16, 16), (3, 32, 32), (1, 8, 8)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        recon = self.decoder(self.encoder(x)).view_as(x)
        return (recon - x).pow(2).flatten(1).mean(1)
