"""The GAN: one generator, one discriminator, a GAN loss and the toolbox's regularisers, trained
as d (n_critic times) then g; class-conditional when the data carries labels."""

from __future__ import annotations

import torch
from torch import nn

from gankit.data.streams import Batch
from gankit.distributed import per_rank
from gankit.losses import GANLoss, generator_loss
from gankit.models.base import MODELS, Context, Model, Phase
from gankit.models.latent import Draw, Latent
from gankit.nets.layers import independent_samples
from gankit.regularizers import DStep, GStep, Regularizer


class Bound(nn.Module):
    """``net`` with its label fixed: net(x) -> net(x, y). Regularisers call D(x), D.embed(x) and
    G(z) as for an unconditional GAN and so act on the conditional pair unchanged."""

    def __init__(self, net: nn.Module, y: torch.Tensor):
        super().__init__()
        self.net, self.y = net, y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, self.y)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.embed(x, self.y)


def bind(net: nn.Module, y: torch.Tensor | None) -> nn.Module:
    return Bound(net, y) if y is not None and getattr(net, "num_classes", 0) else net


@MODELS.register("gan")
class GAN(Model):
    """Goodfellow et al. 2014 and its descendants (DCGAN, WGAN, WGAN-GP, LSGAN, hinge/SNGAN, EBGAN),
    and with labelled data the class-conditional GAN (cGAN, Mirza & Osindero 2014; the
    projection discriminator, Miyato & Koyama 2018), as the networks' ``conditioning`` says.

    G: latent [N, latent.dim] (z ~ N(0, I)) and label y [N] -> x [N, *shape]; D: x (, y) -> [N]
    scores (high on real data) or energies (EBGAN). Phase ``d`` (``n_critic`` times) draws a real
    batch and minimises ``loss.d_loss`` plus the regularisers' D terms; phase ``g`` minimises
    ``loss.g_loss`` on fresh noise plus their G terms (a term that needs real data uses the last
    batch D saw, or draws fresh ones). Fakes take the labels of the last real batch, so both
    players see the data's class frequencies and every term sees one label per sample. Both
    reported losses are the full objectives minimised, penalties included.
    """

    #: networks that read the label when the data has one (ACGAN: G only; InfoGAN: neither)
    label_nets: tuple[str, ...] = ("G", "D")
    #: True if the model cannot train without labels (ACGAN); the GAN uses them if present
    needs_labels = False

    def __init__(self, G: nn.Module, D: nn.Module, loss: GANLoss, regularizers: list[Regularizer],
                 latent: Latent, n_critic: int = 1, fuse_d: bool = True):  # fmt: skip
        phases = [Phase("d", "D", repeat=n_critic), Phase("g", "G", reads_real=False)]
        super().__init__({"G": G, "D": D}, phases, latent)
        self.G, self.D, self.loss, self.regularizers = G, D, loss, regularizers
        # one D forward over [real; fake] computes the same as two when D scores samples independently
        self.fuse_d = fuse_d and independent_samples(D)
        self.g_loss_replaced = any(reg.replaces_g_loss for reg in regularizers)

    @classmethod
    def make_latent(cls, z_dim: int, num_classes: int, args: dict) -> Latent:
        """What G reads, given the model's options (``model.kind``) and the data's classes."""
        return Latent(z_dim, num_classes if "G" in cls.label_nets else 0)

    @property
    def z_dim(self) -> int:
        return self.latent.z_dim

    # ---- the two phases
    def objective(self, phase: Phase, real: Batch | None, ctx: Context):
        return self.d_loss(real, ctx) if phase.name == "d" else self.g_loss(ctx)

    def d_loss(self, real: Batch, ctx: Context):
        draw = self.draw(len(real.x), real.y)
        # Fakes come from the current G without building its graph: D's step never updates G.
        with torch.no_grad():
            fake = self.generate(self.G, draw)
        ctx.shared["real"] = real  # for G-side terms that need real data
        x, fake = self.d_input(real.x, ctx.step), self.d_input(fake.to(real.x.dtype), ctx.step)
        real_out, fake_out = self.d_outputs(x, fake, real.y, ctx.shared)
        loss = self.loss.d_loss(real_out, fake_out)
        stats = {"d_real": real_out.mean(), "d_fake": fake_out.mean()}
        if self.loss.estimates_wasserstein:
            stats["wdist"] = -loss
        step = DStep(bind(self.D, real.y), x, fake, real_out, fake_out, ctx.index,
                     G=bind(self.G, real.y), z=draw.z, loss=self.loss)  # fmt: skip
        loss = self._add_terms(loss, stats, (reg.d_penalty(step) for reg in self.regularizers))
        loss, stats = self.d_extra(loss, stats, draw, real.y, ctx.shared)
        return loss, {"loss_d": loss, **stats}

    def g_loss(self, ctx: Context):
        last_real = ctx.shared.get("real")  # None if no d phase ran this iteration
        y = last_real.y if last_real is not None else None
        # fresh noise: reusing the fakes D just trained on would bias G's gradient towards them
        draw = self.draw(ctx.batch_size, y)
        fake = self.generate(self.G, draw)
        D = bind(self.D, y)
        fake_out = self.g_scores(D, self.d_input(fake, ctx.step), ctx.shared)
        real = last_real.x if last_real is not None else None
        loss = 0.0 if self.g_loss_replaced else self.adversarial_g(D, fake_out, real, ctx)
        step = GStep(bind(self.G, y), D, fake, fake_out, ctx.step, real=real, loss=self.loss,
                     next_real=lambda: ctx.next_real().x, sample_z=lambda n: self.draw(n, y).z,
                     opt_d=ctx.optimizers["D"], z=draw.z)  # fmt: skip
        stats: dict[str, torch.Tensor] = {}
        loss = self._add_terms(loss, stats, (reg.g_penalty(step) for reg in self.regularizers))
        loss, stats = self.g_extra(loss, stats, draw, fake, ctx.shared)
        return loss, {**stats, "loss_g": loss}

    def adversarial_g(self, D: nn.Module, fake_out: torch.Tensor, real, ctx: Context):
        """G's adversarial loss; a relativistic loss pairs each fake with the last real batch."""
        real_out = None
        if getattr(self.loss, "pairs_with_real", False):  # duck-typed losses pair nothing
            real = real if real is not None else ctx.next_real().x
            real_out = D(self.d_input(real, ctx.step)).float()
        return generator_loss(self.loss, fake_out, real_out)

    def g_scores(self, D: nn.Module, fake: torch.Tensor, shared: dict) -> torch.Tensor:
        """D's scores [N] of G's samples in the g phase (a model with heads on D's features
        keeps those in ``shared``)."""
        return D(fake).float()

    def d_extra(self, loss, stats: dict, draw: Draw, y, shared: dict):
        """Terms a richer model adds to D's objective (ACGAN's classifier, InfoGAN's Q)."""
        return loss, stats

    def g_extra(self, loss, stats: dict, draw: Draw, fake: torch.Tensor, shared: dict):
        return loss, stats

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

    def draw(self, n: int, y: torch.Tensor | None) -> Draw:
        """G's inputs for n fakes (labels: the given ones, first n; none if G reads no label)."""
        device = next(self.G.parameters()).device
        y = y[:n] if y is not None and self.latent.num_classes else None
        # under torchrun: this rank's rows of the global batch's draw (gankit.distributed); in one
        # process (m == n) exactly the plain draw, which a CUDA graph can capture
        draw = per_rank(lambda m: self.latent.sample(m, device, y=y if m == n else None), n)
        return draw._replace(y=y) if y is not None else draw

    def sample_z(self, n: int) -> torch.Tensor:
        return self.draw(n, None).z

    def d_input(self, x: torch.Tensor, step: int) -> torch.Tensor:
        """What D sees: regularisers may transform its inputs (e.g. instance noise)."""
        for reg in self.regularizers:
            x = reg.d_input(x, step)
        return x

    def d_outputs(self, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor | None,
                  shared: dict):  # fmt: skip
        """D's scores [N] of the real and the fake batch (one forward when ``fuse_d``)."""
        y = y if getattr(self.D, "num_classes", 0) else None
        if self.fuse_d:
            both = torch.cat([y, y]) if y is not None else None
            out = (self.D(torch.cat([real, fake])) if both is None
                   else self.D(torch.cat([real, fake]), both)).float()  # fmt: skip
            return out.split([len(real), len(fake)])
        return bind(self.D, y)(real).float(), bind(self.D, y)(fake).float()

    def step_dependent(self) -> list[str]:
        return [type(reg).__name__ for reg in self.regularizers if not reg.graph_safe]

    def differentiates_twice(self) -> set[str]:
        return {p for reg in self.regularizers for p in reg.differentiates_twice}

    def state_dict(self) -> dict:
        return {"regularizers": [reg.state_dict() for reg in self.regularizers]}

    def load_state_dict(self, state: dict) -> None:
        for reg, reg_state in zip(self.regularizers, state.get("regularizers", [])):
            reg.load_state_dict(reg_state)
