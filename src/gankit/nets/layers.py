"""Small building blocks shared by the convolutional networks."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils import parametrize

from gankit.errors import GankitError

# "layer" normalises over (C, H, W) per sample, as the WGAN-GP reference code does; unlike
# batch norm it keeps each sample's critic value independent of the rest of the batch, which
# the gradient penalty assumes.
NORMS = {
    "batch": lambda ch: nn.BatchNorm2d(ch),
    "layer": lambda ch: nn.GroupNorm(1, ch),
    "instance": lambda ch: nn.InstanceNorm2d(ch, affine=True),
    "none": lambda ch: nn.Identity(),
}


class Gated(nn.Module):
    """Gated multiplicative nonlinearity (van den Oord et al. 2016, PixelCNN; an architecture of the
    WGAN-GP paper's robustness table): [N, 2C, ...] -> tanh(a) * sigmoid(b), [N, C, ...], with
    a, b the two channel halves. The layer before it produces twice the channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=1)
        return torch.tanh(a) * torch.sigmoid(b)


ACTIVATIONS = {
    "relu": lambda: nn.ReLU(True),
    "leaky_relu": lambda: nn.LeakyReLU(0.2, True),
    "tanh": lambda: nn.Tanh(),
    "gated": lambda: Gated(),
}


def activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise GankitError(f"unknown activation '{name}'; choose one of: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def act_channels(name: str, channels: int) -> int:
    """Channels the layer before ``activation(name)`` must produce for it to output ``channels``."""
    return 2 * channels if name == "gated" else channels


def check_norm(norm: str) -> str:
    if norm not in NORMS:
        raise GankitError(f"unknown norm '{norm}'; choose one of: {', '.join(NORMS)}")
    return norm


def norm2d(norm: str, channels: int) -> nn.Module:
    return NORMS[check_norm(norm)](channels)


def log2_int(n: int) -> int:
    return n.bit_length() - 1


def dcgan_init(module: nn.Module) -> None:
    """Radford et al. 2015: conv weights ~ N(0, 0.02), norm scales ~ N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif (
            isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d))
            and m.weight is not None
        ):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def independent_samples(module: nn.Module) -> bool:
    """True if ``module`` scores each sample on its own, with no side effect per call, so one
    forward over a concatenated batch equals separate forwards: no batch norm (batch
    statistics), no minibatch layers, no parametrisation updated per call (spectral norm's
    power iteration)."""
    return not any(
        isinstance(m, _BatchNorm)
        or getattr(m, "mixes_batch", False)
        or parametrize.is_parametrized(m)
        for m in module.modules()
    )
