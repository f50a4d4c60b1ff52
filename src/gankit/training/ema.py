"""Exponential moving average of the generator's weights (Karras et al. 2018; Yazici et al. 2019)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps G_ema <- beta_t * G_ema + (1 - beta_t) * G after generator step t, with the warm-up
    beta_t = min(beta, (1 + t) / (10 + t)) (as TensorFlow's ExponentialMovingAverage with
    num_updates): without it, a 0.999 average still holds 0.999^t of the random initial weights
    (37% after 1,000 steps) and draws noise in short runs.

    Buffers (e.g. BatchNorm running statistics) are copied, not averaged. The copy is always in
    eval mode and never receives gradients; it is what sample grids and ``best.png`` show.
    """

    def __init__(self, G: nn.Module, beta: float):
        self.beta = beta
        self.G = copy.deepcopy(G).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, G: nn.Module, step: int) -> None:
        beta = min(self.beta, (1.0 + step) / (10.0 + step))
        ema_params, params = list(self.G.parameters()), list(G.parameters())
        torch._foreach_lerp_(ema_params, params, 1.0 - beta)
        for b_ema, b in zip(self.G.buffers(), G.buffers()):
            b_ema.copy_(b)
