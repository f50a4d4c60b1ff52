"""Self-attention for convolutional players (Zhang et al. 2019, "Self-Attention Generative
Adversarial Networks"), in the memory-saving form of BigGAN's code: keys and values are
max-pooled 2x2, values have C/2 channels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError


class SelfAttention(nn.Module):
    """x [N, C, H, W] -> x + gamma * o(attention), with the gate gamma a learned scalar that
    starts at 0, so a new block is exactly the identity and the network learns how much
    non-local evidence to mix in. Queries and keys have C/8 channels (at least 1)."""

    def __init__(self, channels: int):
        super().__init__()
        k = max(1, channels // 8)
        v = max(1, channels // 2)
        self.query = nn.Conv2d(channels, k, 1, bias=False)
        self.key = nn.Conv2d(channels, k, 1, bias=False)
        self.value = nn.Conv2d(channels, v, 1, bias=False)
        self.out = nn.Conv2d(v, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        n, c, h, w = x.shape
        pool = (
            (lambda t: F.max_pool2d(t, 2))
            if h % 2 == 0 and w % 2 == 0 and h * w > 4
            else (lambda t: t)
        )
        q = self.query(x).flatten(2)  # [N, k, HW]
        key = pool(self.key(x)).flatten(2)  # [N, k, HW']
        value = pool(self.value(x)).flatten(2)  # [N, v, HW']
        attn = torch.softmax(
            q.transpose(1, 2) @ key, dim=-1
        )  # [N, HW, HW']: where each pixel looks
        o = (value @ attn.transpose(1, 2)).view(n, -1, h, w)
        return x + self.gamma * self.out(o)


def check_attention(at: int, sizes: list[int], net: str) -> None:
    """``at`` (a feature-map side in pixels, 0: none) must be one the network passes through."""
    if at and at not in sizes:
        raise GankitError(
            f"{net}.attention={at}: this network's feature maps are {', '.join(map(str, sizes))} "
            f"pixels wide; pick one of those, or 0 for no self-attention"
        )
