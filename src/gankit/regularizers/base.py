"""Regularisers: terms added to a player's loss, and constraints applied after its step.

Once, before optimisers are built:
    reg.prepare(G, D)                        # e.g. reparametrise D's weights (spectral norm)
Then, for every discriminator step,
    x = reg.d_input(x, step)                 # what D sees, real and fake (e.g. instance noise)
    penalty, stats = reg.d_penalty(ctx)      # added to D's loss (None: nothing to add)
    reg.after_d_step(D)                      # e.g. project weights back into a box
and for every generator step (D's input passes d_input there too)
    penalty, stats = reg.g_penalty(ctx)      # added to G's loss
    reg.after_g_step(G)
A regulariser implements whichever hooks it needs; state it keeps goes in state_dict.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from gankit.checks import Every, Positive
from gankit.errors import GankitError
from gankit.registry import Registry


@dataclass
class DStep:
    """What a discriminator step has computed so far."""

    D: nn.Module
    real: torch.Tensor  # [N, ...] real batch
    fake: torch.Tensor  # [N, ...] generated batch (detached from G)
    real_out: torch.Tensor  # [N] D(real)
    fake_out: torch.Tensor  # [N] D(fake)
    index: int = 0  # how many D steps came before this one (for lazy regularisation)
    G: nn.Module | None = None
    z: torch.Tensor | None = None  # [N, z_dim] the noise behind ``fake``
    loss: object = None  # the GANLoss both players use


@dataclass
class GStep:
    """What a generator step has computed so far."""

    G: nn.Module
    D: nn.Module
    fake: torch.Tensor  # [N, ...] G(z), with graph
    fake_out: torch.Tensor  # [N] D(fake)
    index: int = 0  # generator steps before this one
    real: torch.Tensor | None = None  # [N, ...] the last real batch D saw
    loss: object = None  # the GANLoss both players use
    next_real: Callable[[], torch.Tensor] | None = None  # draws a fresh real batch
    sample_z: Callable[[int], torch.Tensor] | None = (
        None  # n -> fresh noise [n, z_dim] on the device
    )
    opt_d: object = None  # D's optimiser (its state, for look-ahead steps)
    z: torch.Tensor | None = None  # [N, z_dim] the noise behind ``fake``


class Regularizer:
    #: True if this keeps the critic (approximately) Lipschitz, as Wasserstein losses require.
    constrains_lipschitz = False
    #: True if ``g_penalty`` is G's whole adversarial objective (the loss's g_loss is dropped).
    replaces_g_loss = False
    #: True if ``prepare`` changes D's layers; those run before the others (e.g. spectral norm).
    edits_architecture = False
    #: players the term differentiates through twice (torch.compile cannot: they stay eager)
    differentiates_twice: tuple[str, ...] = ()
    #: True if every step does the same work whatever the step number (a CUDA graph can replay it)
    graph_safe = False
    #: False if it draws its own real batches, whose labels it cannot hand to a conditional D
    handles_labels = True
    #: False if it evaluates G's loss on fakes alone (a relativistic loss also needs reals)
    handles_paired_losses = True
    #: True if ``schedules.gamma`` drives its ``weight`` (R3GAN's R1 and R2)
    gamma_weighted = False
    #: train.batch_size must be a multiple of this (packing scores m samples at a time)
    batch_multiple = 1

    def prepare(self, G: nn.Module, D: nn.Module) -> None:
        pass

    def d_input(self, x: torch.Tensor, step: int) -> torch.Tensor:
        return x

    def d_penalty(self, ctx: DStep) -> tuple[torch.Tensor, dict[str, torch.Tensor]] | None:
        return None

    def g_penalty(self, ctx: GStep) -> tuple[torch.Tensor, dict[str, torch.Tensor]] | None:
        return None

    @torch.no_grad()
    def after_d_step(self, D: nn.Module) -> None:
        pass

    @torch.no_grad()
    def after_g_step(self, G: nn.Module) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


@contextmanager
def trainable(module: nn.Module):
    """Temporarily let autograd differentiate w.r.t. ``module``'s parameters (the generator step
    freezes D, but penalties on D's gradient field need it)."""
    flags = [p.requires_grad for p in module.parameters()]
    module.requires_grad_(True)
    try:
        yield
    finally:
        for p, flag in zip(module.parameters(), flags):
            p.requires_grad_(flag)


REGULARIZERS: Registry[Regularizer] = Registry("regularizer")


class LazyPenalty(Regularizer):
    """A gradient penalty applied every ``every`` D steps and scaled by ``every`` (lazy
    regularisation, Karras et al. 2020, StyleGAN2), so its average strength is unchanged."""

    name = "penalty"
    differentiates_twice = ("D",)

    def __init__(self, weight: Positive, every: Every = 1):
        if weight <= 0 or every < 1:
            raise GankitError(
                f"{self.name} needs weight > 0 and every >= 1, got weight={weight}, every={every}"
            )
        self.weight, self.every = float(weight), int(every)

    @property
    def graph_safe(self) -> bool:
        return self.every == 1  # lazy: whether it runs depends on the step

    def d_penalty(self, ctx: DStep):
        if ctx.index % self.every:
            return None
        value = self.penalty(ctx)
        return self.weight * self.every * value, {self.name: value.detach()}

    def penalty(self, ctx: DStep) -> torch.Tensor:
        raise NotImplementedError
