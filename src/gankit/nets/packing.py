"""Packing (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial
networks"): the discriminator scores m samples at a time, stacked along channels, so a generator
whose samples are too alike (a collapsed or unbalanced one) is easier to tell from the data."""

from __future__ import annotations

import torch
from torch import nn

from gankit.errors import GankitError


class PackedInput(nn.Module):
    """x [N, C, ...] -> layer(x') with x' [N/m, m*C, ...]: m consecutive samples stacked along
    the channel (or feature) axis, sample j of a pack at channels j*C .. (j+1)*C - 1."""

    mixes_batch = True  # a score depends on the other samples of its pack

    def __init__(self, layer: nn.Module, m: int):
        super().__init__()
        self.layer, self.m = layer, m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        if n % self.m:
            raise GankitError(
                f"regularizers.pack: the discriminator got a batch of {n} samples, not a multiple "
                f"of the pack size {self.m}; set train.batch_size to a multiple of {self.m}"
            )
        return self.layer(x.reshape(n // self.m, self.m * x.shape[1], *x.shape[2:]))


def widened(layer: nn.Module, m: int) -> nn.Module:
    """``layer`` (a Conv2d or Linear) reading m times its input channels; its weights start as
    the original's divided by m in each slot, so the packed D starts by scoring the pack's mean
    response (whatever init the network used)."""
    if isinstance(layer, nn.Conv2d) and layer.groups == 1:
        wide = nn.Conv2d(layer.in_channels * m, layer.out_channels, layer.kernel_size,
                         layer.stride, layer.padding, layer.dilation, layer.groups,
                         layer.bias is not None, layer.padding_mode)  # fmt: skip
    elif isinstance(layer, nn.Linear):
        wide = nn.Linear(layer.in_features * m, layer.out_features, layer.bias is not None)
    else:
        raise GankitError(
            f"regularizers.pack widens the discriminator's first layer, a plain conv or linear "
            f"layer, not {layer}; use a dcgan, resnet, textbook, mlp or r3gan discriminator"
        )
    with torch.no_grad():
        wide.weight.copy_(torch.cat([layer.weight / m] * m, dim=1))
        if layer.bias is not None:
            wide.bias.copy_(layer.bias)
    return wide.to(layer.weight.device, layer.weight.dtype)
