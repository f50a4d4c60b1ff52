from gankit.checks import Positive
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, GStep, Regularizer
from gankit.regularizers.vector_field import d_field_norm, step_noise


@REGULARIZERS.register("locally_stable")
class LocallyStable(Regularizer):
    """Locally stable gradient descent (Nagarajan & Kolter 2017, "Gradient descent GAN
    optimization is locally stable"): the generator minimises L_G + weight * ||grad_phi L_D||^2,
    so it also moves to where the discriminator has nothing left to learn. D's update is
    unchanged. The norm is taken on the last real batch and the G step's own noise [N, z_dim]. Logs
    ``lsgd`` (the squared norm)."""

    differentiates_twice = ("G", "D")

    def __init__(self, weight: Positive = 0.5):
        if weight <= 0:
            raise GankitError(
                f"locally_stable.weight must be > 0, got {weight}; the paper uses 0.5"
            )
        self.weight = float(weight)

    def g_penalty(self, ctx: GStep):
        value = d_field_norm(ctx.D, ctx.G, ctx.loss, ctx.real, step_noise(ctx))
        return self.weight * value, {"lsgd": value.detach()}
