"""Exponential moving average of the generator's weights (Karras et al. 2018; Yazici et al. 2019)."""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps G_ema <- beta * G_ema + (1 - beta) * G after every generator step.

    Buffers (e.g. BatchNorm running statistics) are copied, not averaged. The copy is always in
    eval mode and never receives gradients; it is what sample grids and ``best.png`` show.
    """

    def __init__(self, G: nn.Module, beta: float):
        self.beta = beta
        self.G = copy.deepcopy(G).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, G: nn.Module) -> None:
        ema_params, params = list(self.G.parameters()), list(G.parameters())
        torch._foreach_lerp_(ema_params, params, 1.0 - self.beta)
        for b_ema, b in zip(self.G.buffers(), G.buffers()):
            b_ema.copy_(b)
