import torch

from gankit.checks import Every, Finite, Positive
from gankit.regularizers.base import REGULARIZERS, DStep, LazyPenalty
from gankit.regularizers.gradient_penalty import input_grad_norm


def perturb(real: torch.Tensor, c: float) -> torch.Tensor:
    """x + c * std(x) * u with u ~ U[0, 1] elementwise (the DRAGAN reference perturbation)."""
    return real + c * real.std() * torch.rand_like(real)


@REGULARIZERS.register("dragan")
class DRAGAN(LazyPenalty):
    """DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs"): a gradient penalty
    weight * E[(||grad D(x + delta)|| - k)^2] in a neighbourhood of the *real* data
    (delta = c * std(x) * U[0, 1]), against the sharp discriminator gradients around real
    samples that accompany mode collapse. Paper defaults: weight 10, k 1, c 0.5. Logs ``dragan``."""

    name = "dragan"

    def __init__(
        self, weight: Positive = 10.0, k: Finite = 1.0, c: Positive = 0.5, every: Every = 1
    ):
        super().__init__(weight, every)
        self.k, self.c = float(k), float(c)

    def penalty(self, ctx: DStep):
        return ((input_grad_norm(ctx.D, perturb(ctx.real, self.c)) - self.k) ** 2).mean()
