"""StarGAN v2 (Choi et al. 2020): diverse translation between many domains with one generator."""

from __future__ import annotations

import torch
from torch import nn

from gankit.checks import Count, NonNegative, Width, ints
from gankit.data.streams import Batch
from gankit.errors import GankitError
from gankit.losses import GANLoss
from gankit.models.base import MODELS, Context, Phase
from gankit.models.translation import Translation, l1
from gankit.nets.starganv2 import Generator, MappingNetwork, MultiDomainDiscriminator, StyleEncoder
from gankit.regularizers.r1 import r1_penalty


def init_he(net: nn.Module) -> nn.Module:
    """The reference code's initialisation: He (fan-in) normal weights, zero biases."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return net


@MODELS.register("starganv2")
class StarGANv2(Translation):
    """G(x, s) translates image x to the domain of style s; F(z, y) maps noise z [N, latent_dim]
    to a style of domain y, E(x, y) reads the style [N, style_dim] of image x in domain y, and
    D(x, y) gives one logit [N] per (image, domain). Each iteration draws sources (x, y_src),
    targets y_trg with two reference images x_ref, x_ref2 of y_trg, and noise z, z2, then runs

        d_latent, d_ref (D):  loss.d_loss(D(x, y_src), D(G(x, s), y_trg)) + r1 * R1(x),
                              R1 = 1/2 E ||grad_x D(x, y_src)||^2 on the real images
        g_latent (G, F, E), g_ref (G):  the objective of lecture 004,
            L_adv + style * L_sty - diversity * L_ds + cycle * L_cyc, with
            L_adv = loss.g_loss(D(G(x, s), y_trg)),   L_sty = |s - E(G(x, s), y_trg)|_1,
            L_ds  = |G(x, s) - G(x, s2)|_1 (G(x, s2) held constant),
            L_cyc = |x - G(G(x, s), E(x, y_src))|_1,

    with s, s2 = F(z, y_trg), F(z2, y_trg) in the ``latent`` phases and E(x_ref, y_trg),
    E(x_ref2, y_trg) in the ``ref`` ones. The diversity weight falls linearly to 0 at step
    ``diversity_steps``; its minus sign makes G *maximise* the difference between two styles'
    outputs. The paper: all weights 1 (diversity 2 on AFHQ), nonsaturating loss, Adam 1e-4
    (0, 0.99) with weight decay 1e-4, F's learning rate 1e-6 (``lr_factors``), EMA 0.999 of
    G, F and E, which pictures, metrics and ``gankit translate`` use.
    """

    optim_groups = {"G": "g", "F": "g", "E": "g", "D": "d"}
    ema_nets = ("G", "F", "E")
    multimodal = True
    translates_within_domain = True  # the same domain in another style (reference or noise)

    def __init__(self, shape: tuple[int, ...], domains: list[str], loss: GANLoss,
                 style_dim: Count = 64, latent_dim: Count = 16, width: Width = 64,
                 max_width: Width = 512, mapping_width: Width = 512, style: NonNegative = 1.0,
                 diversity: NonNegative = 1.0, diversity_steps: ints(1) = 100_000,
                 cycle: NonNegative = 1.0, r1: NonNegative = 1.0, f_lr: NonNegative = 0.01):  # fmt: skip
        self.check_options(shape, domains)
        c, size, k = shape[0], shape[1], len(domains)
        nets = {
            "G": init_he(Generator(c, size, style_dim, width, max_width)),
            "F": init_he(MappingNetwork(latent_dim, style_dim, k, mapping_width)),
            "E": init_he(StyleEncoder(c, size, k, style_dim, width, max_width)),
            "D": init_he(MultiDomainDiscriminator(c, size, k, width, max_width)),
        }
        phases = [
            Phase("d_latent", "D"),
            Phase("d_ref", "D", reads_real=False, needs=("inputs",)),
            Phase("g_latent", ("G", "F", "E"), reads_real=False, needs=("inputs",)),
            Phase("g_ref", "G", reads_real=False, needs=("inputs",)),
        ]
        super().__init__(nets, phases, latent_dim, shape, domains, loss)
        self.lr_factors = {"F": f_lr}  # the paper's 1e-6 for F against 1e-4 for the rest
        self.weights = {"style": style, "diversity": diversity, "cycle": cycle, "r1": r1}
        self.diversity_steps = diversity_steps

    @staticmethod
    def check_options(shape, domains, **options) -> None:
        size = shape[1] if len(shape) == 3 else 0
        if len(shape) != 3 or shape[1] != shape[2] or size < 16 or size & (size - 1):
            raise GankitError(
                f"starganv2 translates square images with a power-of-two side >= 16, not "
                f"{tuple(shape)}; set data.resolution (e.g. 32 or 64)"
            )

    # ---- one iteration's inputs, shared by its four phases
    def draw_inputs(self, real: Batch, ctx: Context) -> dict:
        refs, refs2 = ctx.next_real(), ctx.next_real()  # same domain order, batch by batch
        perm = torch.randperm(len(refs.x), device=refs.x.device)
        z = torch.randn(2, len(real.x), self.style_dim, device=real.x.device)
        return {"x": real.x, "y": real.y, "y_trg": refs.y[perm], "ref": refs.x[perm],
                "ref2": refs2.x[perm], "z": z[0], "z2": z[1]}  # fmt: skip

    def objective(self, phase: Phase, real: Batch | None, ctx: Context):
        if phase.name == "d_latent":
            ctx.shared["inputs"] = self.draw_inputs(real, ctx)
        guide, inputs = "latent" if phase.name.endswith("latent") else "ref", ctx.shared["inputs"]
        if phase.name.startswith("d"):
            return self.d_loss(inputs, guide)
        return self.g_loss(inputs, guide, ctx.step)

    def styles(self, inp: dict, guide: str) -> tuple[torch.Tensor, torch.Tensor]:
        F, E, y = self.networks["F"], self.networks["E"], inp["y_trg"]
        if guide == "latent":
            return F(inp["z"], y), F(inp["z2"], y)
        return E(inp["ref"], y), E(inp["ref2"], y)

    def d_loss(self, inp: dict, guide: str):
        G, D = self.networks["G"], self.networks["D"]
        x = inp["x"].detach().requires_grad_(True)
        real_out = D(x, inp["y"])
        with torch.no_grad():
            fake = G(inp["x"], self.styles(inp, guide)[0])
        fake_out = D(fake, inp["y_trg"])
        r1 = r1_penalty(real_out, x)  # R1 on the same forward pass as the adversarial term
        real_out, fake_out = real_out.float(), fake_out.float()
        loss = self.loss.d_loss(real_out, fake_out) + self.weights["r1"] * r1
        return loss, {
            "loss_d": loss,
            "d_real": real_out.mean(),
            "d_fake": fake_out.mean(),
            "r1": r1,
        }

    def diversity_weight(self, step: int) -> float:
        return self.weights["diversity"] * max(0.0, 1.0 - step / self.diversity_steps)

    def g_loss(self, inp: dict, guide: str, step: int):
        G, E, D, w = self.networks["G"], self.networks["E"], self.networks["D"], self.weights
        s, s2 = self.styles(inp, guide)
        fake = G(inp["x"], s)
        adv = self.loss.g_loss(D(fake, inp["y_trg"]).float())
        sty = l1(E(fake, inp["y_trg"]), s)
        ds = l1(fake, G(inp["x"], s2).detach())
        cyc = l1(G(fake, E(inp["x"], inp["y"])), inp["x"])
        lam_ds = self.diversity_weight(step)
        # minus: the diversity-sensitive term rewards G for making two styles look different
        loss = adv + w["style"] * sty - lam_ds * ds + w["cycle"] * cyc
        return loss, {"loss_g": loss, "g_adv": adv, "style": sty, "diversity": ds, "cycle": cyc}

    def translate(self, nets, x, src, dst, z=None, ref=None):
        if ref is not None:
            s = nets["E"](ref, dst)
        else:
            z = z if z is not None else torch.randn(len(x), self.style_dim, device=x.device)
            s = nets["F"](z, dst)
        return nets["G"](x, s)

    def step_dependent(self) -> list[str]:
        return ["StarGAN v2's reference batches and decaying diversity weight"]

    def differentiates_twice(self) -> set[str]:
        return {"D"} if self.weights["r1"] else set()
