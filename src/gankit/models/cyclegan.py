"""CycleGAN (Zhu et al. 2017): unpaired translation between two domains A and B."""

from __future__ import annotations

from torch import nn

from gankit.checks import Count, Depth, NonNegative, Positive, Unit, Width, ints
from gankit.data.streams import Batch
from gankit.errors import GankitError
from gankit.losses import GANLoss
from gankit.models.base import MODELS, Context, Phase
from gankit.models.pool import ImagePool
from gankit.models.translation import Translation, l1
from gankit.nets.cyclegan import PatchDiscriminator, ResnetGenerator, patch_layers


def init_normal(net: nn.Module, std: float = 0.02) -> nn.Module:
    """The reference code's initialisation: conv weights ~ N(0, std), biases 0."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return net


@MODELS.register("cyclegan")
class CycleGAN(Translation):
    """G_ab: A -> B and G_ba: B -> A (ResNet generators), D_a and D_b (PatchGANs) scoring real
    against translated images of their domain; a = the first domain of the data, b the second.
    Batches: x [2n, C, S, S], n images of A then n of B.

    Phase ``g`` (G_ab, G_ba) minimises
        adversarial * (loss.g_loss(D_b(G_ab(a))) + loss.g_loss(D_a(G_ba(b))))
        + cycle * (|G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1)
        + identity * cycle * (|G_ab(b) - b|_1 + |G_ba(a) - a|_1)
    and phase ``d`` (D_a, D_b) minimises loss.d_loss(D_b(b), D_b(pool_b(G_ab(a)))) + the same
    for D_a, on that step's real images and fakes drawn through a history pool of ``pool``
    images. The paper: least-squares loss (gankit's is Mao et al.'s, with 1/2 on G's term, so
    ``adversarial`` 2 makes G's term the paper's E[(D(G(a)) - 1)^2]), cycle 10, identity 0.5,
    pool 50, Adam 2e-4 (0.5, 0.999), lr constant then linear to 0 over the second half.
    Scores are per patch [N, 1, H', W']; the loss averages over patches and images.
    """

    optim_groups = {"G_ab": "g", "G_ba": "g", "D_a": "d", "D_b": "d"}
    ema_nets = ("G_ab", "G_ba")

    def __init__(self, shape: tuple[int, ...], domains: list[str], loss: GANLoss,
                 blocks: Depth = 9, width: Width = 64, d_width: Width = 64,
                 d_layers: ints(0, 8) = 0, cycle: NonNegative = 10.0,
                 identity: NonNegative = 0.5, adversarial: Positive = 2.0,
                 pool: ints(0, 10_000) = 50, pool_p: Unit = 0.5, seed: Count = 1):  # fmt: skip
        self.check_options(shape, domains)
        c, layers = shape[0], d_layers or patch_layers(shape[1])
        nets = {
            "G_ab": init_normal(ResnetGenerator(c, width, blocks)),
            "G_ba": init_normal(ResnetGenerator(c, width, blocks)),
            "D_a": init_normal(PatchDiscriminator(c, d_width, layers)),
            "D_b": init_normal(PatchDiscriminator(c, d_width, layers)),
        }
        # d scores the translations g just made (and the pool's older ones)
        phases = [Phase("g", ("G_ab", "G_ba")),
                  Phase("d", ("D_a", "D_b"), reads_real=False, needs=("translations",))]  # fmt: skip
        super().__init__(nets, phases, 0, shape, domains, loss)
        self.cycle, self.identity, self.adversarial = cycle, identity, adversarial
        self.pools = {name: ImagePool(pool, pool_p, seed + i) for i, name in enumerate("ab")}

    @staticmethod
    def check_options(shape, domains, **options) -> None:
        if len(shape) != 3 or shape[1] != shape[2] or shape[1] % 4 or shape[1] < 16:
            raise GankitError(
                f"cyclegan translates square images with a side divisible by 4 (>= 16), not "
                f"{tuple(shape)}; set data.resolution (e.g. 64)"
            )
        if len(domains) != 2:
            raise GankitError(
                f"cyclegan translates between exactly two domains, the data has {len(domains)} "
                f"({', '.join(domains)}); use model.kind=starganv2 for more"
            )

    def objective(self, phase: Phase, real: Batch | None, ctx: Context):
        return self.g_loss(real, ctx.shared) if phase.name == "g" else self.d_loss(ctx.shared)

    def g_loss(self, real: Batch, shared: dict):
        n = self.networks
        a, b = self.split(real.x)
        fake_b, fake_a = n["G_ab"](a), n["G_ba"](b)
        adv = self.loss.g_loss(n["D_b"](fake_b).float()) + self.loss.g_loss(
            n["D_a"](fake_a).float()
        )
        cyc = l1(n["G_ba"](fake_b), a) + l1(n["G_ab"](fake_a), b)
        loss = self.adversarial * adv + self.cycle * cyc
        stats = {"g_adv": adv, "cycle": cyc}
        if self.identity > 0:  # G_ab should leave an image that is already in B alone
            idt = l1(n["G_ab"](b), b) + l1(n["G_ba"](a), a)
            loss = loss + self.identity * self.cycle * idt
            stats["identity"] = idt
        shared["translations"] = (a, b, fake_a.detach(), fake_b.detach())
        return loss, {"loss_g": loss, **stats}

    def d_loss(self, shared: dict):
        a, b, fake_a, fake_b = shared["translations"]
        n, loss, stats = self.networks, 0.0, {}
        for real, fake, name in ((a, fake_a, "a"), (b, fake_b, "b")):
            D = n[f"D_{name}"]
            real_out, fake_out = D(real).float(), D(self.pools[name].query(fake)).float()
            loss = loss + self.loss.d_loss(real_out, fake_out)
            stats[f"d_{name}_real"], stats[f"d_{name}_fake"] = real_out.mean(), fake_out.mean()
        return loss, {"loss_d": loss, **stats}

    def translate(self, nets, x, src, dst, z=None, ref=None):
        out = x.clone()
        for s, d, name in ((0, 1, "G_ab"), (1, 0, "G_ba")):
            rows = (src == s) & (dst == d)
            if rows.any():
                out[rows] = nets[name](x[rows]).to(out.dtype)
        return out

    def step_dependent(self) -> list[str]:
        return ["the history pool"] if self.pools["a"].size else []

    def state_dict(self) -> dict:
        return {**super().state_dict(), "pools": {k: p.state_dict() for k, p in self.pools.items()}}

    def load_state_dict(self, state: dict) -> None:
        device = next(self.networks["G_ab"].parameters()).device
        for key, pool in self.pools.items():
            pool.load_state_dict(state["pools"][key], device)
