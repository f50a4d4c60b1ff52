from gankit.checks import Every, Positive
from gankit.regularizers.base import REGULARIZERS, DStep, LazyPenalty
from gankit.regularizers.gradient_penalty import input_grad_norm


@REGULARIZERS.register("r2")
class R2(LazyPenalty):
    """R2 penalty (Mescheder et al. 2018): like R1 but on *generated* samples,
    (weight / 2) * E_z[||grad D(G(z))||^2]. ``every`` > 1 applies it lazily. Logs ``r2``."""

    gamma_weighted = True  # schedules.gamma sets its weight (R3GAN)
    name = "r2"

    def __init__(self, weight: Positive = 10.0, every: Every = 1):
        super().__init__(weight, every)

    def penalty(self, ctx: DStep):
        return 0.5 * (input_grad_norm(ctx.D, ctx.fake) ** 2).mean()
