"""Class conditioning for the players: how a label y [N] (int64, 0..K-1) enters a network.

Generators (``conditioning``):
- ``concat``: cGAN (Mirza & Osindero 2014): a learned embedding of y [N, z_dim] is joined to z.
- ``cbn``: conditional batch norm (de Vries et al. 2017; Miyato & Koyama 2018): every batch
  norm's scale and shift are looked up per class.
Discriminators (``conditioning``):
- ``concat``: cGAN: a learned embedding of y is joined to D's input (as extra image channels).
- ``projection``: the projection discriminator (Miyato & Koyama 2018):
  D(x, y) = psi(phi(x)) + <embed(y), phi(x)>, with phi = ``embed`` and psi = ``head``.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from gankit.errors import GankitError

GConditioning = Literal["concat", "cbn"]
DConditioning = Literal["concat", "projection"]
#: extra input channels a ``concat`` discriminator gives the label
LABEL_CHANNELS = 8


class LabelledSequential(nn.Sequential):
    """A Sequential that hands the label to the layers that read one (``takes_label``)."""

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self:
            x = layer(x, y) if getattr(layer, "takes_label", False) else layer(x)
        return x


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm without its own affine map, then a per-class scale (init 1) and shift (init 0):
    x [N, C, H, W], y [N] -> gamma[y] * BN(x) + beta[y]."""

    takes_label = True

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.scale = nn.Embedding(num_classes, channels)
        self.shift = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # [N, C] -> [N, C, 1, 1] without naming N, so a traced/exported G takes any batch
        return self.norm(x) * self.scale(y)[:, :, None, None] + self.shift(y)[:, :, None, None]


def swap_batch_norms(module: nn.Module, num_classes: int) -> int:
    """Replace the BatchNorm2d layers inside ``module``'s LabelledSequentials by conditional
    ones, in place; returns how many were replaced."""
    swapped = 0
    for child in module.children():
        swapped += swap_batch_norms(child, num_classes)
        if isinstance(child, LabelledSequential):
            for i, layer in enumerate(child):
                if isinstance(layer, nn.BatchNorm2d):
                    child[i] = ConditionalBatchNorm2d(layer.num_features, num_classes)
                    swapped += 1
    return swapped


def check_labels(net: nn.Module, y: torch.Tensor | None) -> None:
    if net.num_classes and y is None:
        raise GankitError(
            f"{type(net).__name__} is class-conditional ({net.num_classes} classes) and needs "
            f"labels y; pass them, e.g. net(x, y)"
        )


class ConditionalGenerator(nn.Module):
    """Mixin for generators: ``condition`` once in the constructor, then ``join(z, y)`` before the
    first layer and ``net(h, y)`` (a LabelledSequential) for conditional batch norms."""

    num_classes = 0
    conditioning = "concat"

    def condition(self, num_classes: int, conditioning: str, z_dim: int) -> int:
        """Set up the label's way in; returns the width of the first layer's input."""
        self.num_classes, self.conditioning = int(num_classes), conditioning
        if not num_classes or conditioning != "concat":
            return z_dim
        self.label_embed = nn.Embedding(num_classes, z_dim)
        return 2 * z_dim

    def use_cbn(self) -> None:
        """Called after the layers exist: conditional batch norm replaces the plain ones."""
        if self.num_classes and self.conditioning == "cbn":
            if not swap_batch_norms(self, self.num_classes):
                raise GankitError(
                    "generator conditioning=cbn needs batch norm layers (norm=batch); set "
                    "model.generator.norm=batch or conditioning=concat"
                )

    def join(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        check_labels(self, y)
        if self.num_classes and self.conditioning == "concat":
            return torch.cat([z, self.label_embed(y).to(z.dtype)], 1)
        return z


class ConditionalDiscriminator(nn.Module):
    """Mixin for discriminators: ``condition`` before building layers (returns the extra input
    channels), ``label_input(x, y)`` on the way in, ``project(out, features, y)`` at the end."""

    num_classes = 0
    conditioning = "projection"

    def condition(self, num_classes: int, conditioning: str) -> int:
        self.num_classes, self.conditioning = int(num_classes), conditioning
        if num_classes and conditioning == "concat":
            self.label_embed = nn.Embedding(num_classes, LABEL_CHANNELS)
            return LABEL_CHANNELS
        return 0

    def condition_head(self, feature_dim: int) -> None:
        if self.num_classes and self.conditioning == "projection":
            self.projection = nn.Embedding(self.num_classes, feature_dim)
            nn.init.normal_(self.projection.weight, 0.0, 0.02)

    def label_input(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """x with the label embedding appended: as channels [N, E, H, W] for images, else as
        features [N, E] after the flattened sample."""
        check_labels(self, y)
        if not (self.num_classes and self.conditioning == "concat"):
            return x
        e = self.label_embed(y).to(x.dtype)
        if x.dim() == 4:
            return torch.cat([x, e[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        return torch.cat([x.flatten(1), e], 1)

    def project(self, out: torch.Tensor, features: torch.Tensor, y: torch.Tensor | None):
        if self.num_classes and self.conditioning == "projection":
            return out + (self.projection(y).to(features.dtype) * features).sum(1)
        return out
