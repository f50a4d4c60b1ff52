"""The unconditional GAN: one generator, one discriminator, a GAN loss and the toolbox's
regularisers, trained as d (n_critic times) then g."""

from __future__ import annotations

import torch
from torch import nn

from gankit.losses import GANLoss
from gankit.models.base import Context, Model, Phase
from gankit.nets.layers import independent_samples
from gankit.regularizers import DStep, GStep, Regularizer


class GAN(Model):
    """Goodfellow et al. 2014 and its descendants (DCGAN, WGAN, WGAN-GP, LSGAN, hinge/SNGAN, EBGAN).

    G: z [N, z_dim] ~ N(0, I) -> x [N, *shape]; D: x -> [N] scores (high on real data) or
    energies (EBGAN). Phase ``d`` (``n_critic`` times) draws a real batch and minimises
    ``loss.d_loss`` plus the regularisers' D terms; phase ``g`` minimises ``loss.g_loss`` on
    fresh noise plus their G terms (a term that needs real data uses the last batch D saw, or
    draws fresh ones). Both reported losses are the full objectives minimised, penalties included.
    """

    def __init__(self, G: nn.Module, D: nn.Module, loss: GANLoss, regularizers: list[Regularizer],
                 z_dim: int, n_critic: int = 1, fuse_d: bool = True):  # fmt: skip
        phases = [Phase("d", "D", repeat=n_critic), Phase("g", "G", reads_real=False)]
        super().__init__({"G": G, "D": D}, phases)
        self.G, self.D, self.loss, self.regularizers = G, D, loss, regularizers
        self.z_dim = z_dim
        # one D forward over [real; fake] computes the same as two when D scores samples independently
        self.fuse_d = fuse_d and independent_samples(D)
        self.g_loss_replaced = any(reg.replaces_g_loss for reg in regularizers)
        self.last_real: torch.Tensor | None = None  # for G-side terms that need real data

    # ---- the two phases
    def objective(self, phase: Phase, real: torch.Tensor | None, ctx: Context):
        return self.d_loss(real, ctx) if phase.name == "d" else self.g_loss(ctx)

    def d_loss(self, real: torch.Tensor, ctx: Context):
        z = self.sample_z(len(real))
        # Fakes come from the current G without building its graph: D's step never updates G.
        with torch.no_grad():
            fake = self.G(z)
        self.last_real = real
        real, fake = self.d_input(real, ctx.step), self.d_input(fake.to(real.dtype), ctx.step)
        real_out, fake_out = self.d_outputs(real, fake)
        loss = self.loss.d_loss(real_out, fake_out)
        stats = {"d_real": real_out.mean(), "d_fake": fake_out.mean()}
        if self.loss.estimates_wasserstein:
            stats["wdist"] = -loss
        step = DStep(
            self.D, real, fake, real_out, fake_out, ctx.index, G=self.G, z=z, loss=self.loss
        )
        loss = self._add_terms(loss, stats, (reg.d_penalty(step) for reg in self.regularizers))
        return loss, {"loss_d": loss, **stats}

    def g_loss(self, ctx: Context):
        # fresh noise: reusing the fakes D just trained on would bias G's gradient towards them
        fake = self.G(self.sample_z(ctx.batch_size))
        fake_out = self.D(self.d_input(fake, ctx.step)).float()
        loss = 0.0 if self.g_loss_replaced else self.loss.g_loss(fake_out)
        step = GStep(self.G, self.D, fake, fake_out, ctx.step, real=self.last_real, loss=self.loss,
                     next_real=ctx.next_real, sample_z=self.sample_z, opt_d=ctx.optimizers["D"])  # fmt: skip
        stats: dict[str, torch.Tensor] = {}
        loss = self._add_terms(loss, stats, (reg.g_penalty(step) for reg in self.regularizers))
        return loss, {**stats, "loss_g": loss}

    def after(self, phase: Phase) -> None:
        for reg in self.regularizers:
            if phase.name == "d":
                reg.after_d_step(self.D)
            else:
                reg.after_g_step(self.G)

    # ---- pieces
    @staticmethod
    def _add_terms(loss, stats: dict, terms):
        for out in terms:
            if out is not None:
                loss = loss + out[0]
                stats.update(out[1])
        return loss

    def sample_z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, device=next(self.G.parameters()).device)

    def d_input(self, x: torch.Tensor, step: int) -> torch.Tensor:
        """What D sees: regularisers may transform its inputs (e.g. instance noise)."""
        for reg in self.regularizers:
            x = reg.d_input(x, step)
        return x

    def d_outputs(self, real: torch.Tensor, fake: torch.Tensor):
        if self.fuse_d:
            out = self.D(torch.cat([real, fake])).float()
            return out.split([len(real), len(fake)])
        return self.D(real).float(), self.D(fake).float()

    def step_dependent(self) -> list[str]:
        return [type(reg).__name__ for reg in self.regularizers if not reg.graph_safe]

    def differentiates_twice(self) -> set[str]:
        return {p for reg in self.regularizers for p in reg.differentiates_twice}

    def state_dict(self) -> dict:
        return {"regularizers": [reg.state_dict() for reg in self.regularizers]}

    def load_state_dict(self, state: dict) -> None:
        for reg, reg_state in zip(self.regularizers, state.get("regularizers", [])):
            reg.load_state_dict(reg_state)
