"""Exponential moving average of a network's weights: G's (Karras et al. 2018; Yazici et al.
2019), and StarGAN v2's and CycleGAN's inference networks alike."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps net_ema <- beta_t * net_ema + (1 - beta_t) * net after training step t (``net`` is G,
    or any network the model averages: ``Model.ema_nets``), with the warm-up
    beta_t = min(beta, (1 + t) / (10 + t)) (as TensorFlow's ExponentialMovingAverage with
    num_updates): without it, a 0.999 average still holds 0.999^t of the random initial weights
    (37% after 1,000 steps) and draws noise in short runs.

    Buffers (e.g. BatchNorm running statistics) are copied, not averaged. The copy is always in
    eval mode and never receives gradients; it is what sample grids and ``best.png`` show.
    """

    def __init__(self, net: nn.Module, beta: float):
        self.beta = beta
        self.net = copy.deepcopy(net).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, net: nn.Module, step: int) -> None:
        beta = min(self.beta, (1.0 + step) / (10.0 + step))
        ema_params, params = list(self.net.parameters()), list(net.parameters())
        torch._foreach_lerp_(ema_params, params, 1.0 - beta)
        for b_ema, b in zip(self.net.buffers(), net.buffers()):
            b_ema.copy_(b)
