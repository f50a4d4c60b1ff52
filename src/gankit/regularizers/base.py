"""Regularisers: terms added to a player's loss, and constraints applied after its step.

The trainer calls, for every discriminator step,
    penalty, stats = reg.d_penalty(ctx)      # added to D's loss (None: nothing to add)
    reg.after_d_step(D)                      # e.g. project weights back into a box
A regulariser implements whichever hooks it needs.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gankit.registry import Registry


@dataclass
class DStep:
    """What a discriminator step has computed so far."""

    D: nn.Module
    real: torch.Tensor       # [N, ...] real batch
    fake: torch.Tensor       # [N, ...] generated batch (detached from G)
    real_out: torch.Tensor   # [N] D(real)
    fake_out: torch.Tensor   # [N] D(fake)


class Regularizer:
    #: True if this keeps the critic (approximately) Lipschitz, as Wasserstein losses require.
    constrains_lipschitz = False

    def d_penalty(self, ctx: DStep) -> tuple[torch.Tensor, dict[str, torch.Tensor]] | None:
        return None

    @torch.no_grad()
    def after_d_step(self, D: nn.Module) -> None:
        pass

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


REGULARIZERS: Registry[Regularizer] = Registry("regularizer")
