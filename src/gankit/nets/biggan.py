"""BigGAN's generator (Brock et al. 2019, "Large Scale GAN Training for High Fidelity Natural
Image Synthesis"): residual up-blocks whose batch norms read a shared class embedding joined
to a chunk of z (the hierarchical latent)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.checks import Width, ints
from gankit.errors import GankitError
from gankit.nets.attention import SelfAttention, check_attention
from gankit.nets.base import GENERATORS, ImageNet
from gankit.nets.conditional import check_labels
from gankit.nets.layers import log2_int


class LinearConditionalBatchNorm2d(nn.Module):
    """Batch norm without its own affine map, then gain 1 + W_g c and bias W_b c from the
    conditioning vector c [N, cond_dim] (BigGAN's CBN: linear in the embedding and z chunk)."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(cond_dim, channels, bias=False)
        self.bias = nn.Linear(cond_dim, channels, bias=False)
        for layer in (self.gain, self.bias):
            nn.init.zeros_(layer.weight)  # starts as plain batch norm

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        gain, bias = 1 + self.gain(c)[:, :, None, None], self.bias(c)[:, :, None, None]
        return self.norm(x) * gain.to(x.dtype) + bias.to(x.dtype)


class UpBlock(nn.Module):
    """CBN, ReLU, 2x nearest upsampling, conv3x3, CBN, ReLU, conv3x3; shortcut: upsampling and
    a 1x1 conv. [N, C, H, W] and c -> [N, C', 2H, 2W]."""

    def __init__(self, cin: int, cout: int, cond_dim: int):
        super().__init__()
        self.bn1, self.bn2 = (
            LinearConditionalBatchNorm2d(cin, cond_dim),
            LinearConditionalBatchNorm2d(cout, cond_dim),
        )
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, 1, 1), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2.0)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), c)))
        return h + self.skip(F.interpolate(x, scale_factor=2.0))


@GENERATORS.register("biggan")
class BigGANGenerator(ImageNet):
    """z [N, z_dim] (and class y [N]) -> image [N, C, S, S] in [-1, 1].

    z is split into blocks + 1 equal chunks (the hierarchical latent): the first is mapped to a
    4x4 map of ``width`` channels, each later one joins the shared class embedding
    (``embed_dim``; one table for all blocks) as the input of that up-block's conditional batch
    norms. ``attention`` adds self-attention after the block of that output size. Unconditional
    without labels (then the chunks alone drive the norms).
    """

    resolutions = (16, 32, 64, 128, 256)

    def __init__(self, shape, z_dim: int, width: Width = 256, embed_dim: ints(1, 4096) = 128,
                 num_classes: ints(0, 100_000) = 0, attention: ints(0, 1024) = 0):  # fmt: skip
        super().__init__()
        self.check_shape(shape)
        n = log2_int(shape[1]) - 2
        if z_dim < n + 1:
            raise GankitError(
                f"biggan splits z into {n + 1} chunks (one per block and one for the input) at "
                f"{shape[1]}px; set model.z_dim >= {n + 1} (e.g. {(n + 1) * 20})"
            )
        check_attention(attention, [8 * 2**i for i in range(n)], "model.generator")
        self.z_dim, self.num_classes, self.width = z_dim, num_classes, width
        # equal chunks (the first ones one longer when z_dim does not split evenly)
        self.chunks = [len(c) for c in torch.arange(z_dim).tensor_split(n + 1)]
        self.shared = nn.Embedding(num_classes, embed_dim) if num_classes else None
        extra = embed_dim if num_classes else 0
        self.input = nn.Linear(self.chunks[0], width * 16)
        self.blocks = nn.ModuleList(UpBlock(width, width, k + extra) for k in self.chunks[1:])
        self.attention = nn.ModuleDict(
            {str(i): SelfAttention(width) for i in range(n) if 8 * 2**i == attention}
        )
        self.out = nn.Sequential(
            nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, shape[0], 3, 1, 1), nn.Tanh()
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, y)
        chunks = z.split(self.chunks, dim=1)
        h = self.input(chunks[0]).view(-1, self.width, 4, 4)
        embedding = self.shared(y).to(z.dtype) if self.shared is not None else None
        for i, (block, part) in enumerate(zip(self.blocks, chunks[1:])):
            c = torch.cat([part, embedding], 1) if embedding is not None else part
            h = block(h, c)
            h = self.attention[str(i)](h) if str(i) in self.attention else h
        return self.out(h)
