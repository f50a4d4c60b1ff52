from gankit.checks import Every, Positive
from gankit.regularizers.base import REGULARIZERS, DStep, LazyPenalty
from gankit.regularizers.gradient_penalty import input_grad_norm


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
        return 0.5 * (input_grad_norm(ctx.D, ctx.real) ** 2).mean()
