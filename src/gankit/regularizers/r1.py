import torch

from gankit.checks import Every, Positive
from gankit.regularizers.base import REGULARIZERS, DStep, LazyPenalty
from gankit.regularizers.gradient_penalty import grad_norm


def r1_penalty(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """0.5 * E_x[||grad_x D(x)||^2] from D's output ``out`` [N, ...] on inputs ``x`` [N, ...]
    (made with x.requires_grad), so a model that needs D(x) for its own loss too (StarGAN v2)
    shares one forward pass."""
    return 0.5 * (grad_norm(out, x) ** 2).mean()


@REGULARIZERS.register("r1")
class R1(LazyPenalty):
    """R1 penalty (Mescheder et al. 2018, "Which Training Methods for GANs do actually
    Converge?"): adds (weight / 2) * E_x[||grad_x D(x)||^2] on *real* data to D's loss, which makes
    training locally convergent where plain gradient descent circles the equilibrium. Inputs of
    any shape [N, ...]. ``every`` > 1 applies it lazily (scaled by every). Logs ``r1``."""

    gamma_weighted = True  # schedules.gamma sets its weight (R3GAN)
    name = "r1"

    def __init__(self, weight: Positive = 10.0, every: Every = 1):
        super().__init__(weight, every)

    def penalty(self, ctx: DStep):
        x = ctx.real.detach().requires_grad_(True)
        return r1_penalty(ctx.D(x), x)
