from gankit.checks import Positive
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, DStep, GStep, Regularizer
from gankit.regularizers.vector_field import field_norm, step_noise


@REGULARIZERS.register("consensus")
class Consensus(Regularizer):
    """Consensus optimisation (Mescheder, Nowozin & Geiger 2017, "The Numerics of GANs"): both
    players minimise their loss plus weight * L with L = 1/2 ||v||^2, v = (grad_phi L_D,
    grad_theta L_G) the gradient field. Following -grad L pulls both towards points where v = 0,
    damping the rotation that makes plain gradient descent circle (or spiral out of) an
    equilibrium. The paper uses simultaneous updates; here each player's step adds the term
    evaluated at the current point (alternating updates), on the step's own batch (real, z). Costs a double backward through both
    nets per step. Logs ``consensus`` (= L)."""

    graph_safe = True

    differentiates_twice = ("G", "D")

    def __init__(self, weight: Positive = 10.0):
        if weight <= 0:
            raise GankitError(f"consensus.weight must be > 0, got {weight}; the paper uses 10")
        self.weight = float(weight)

    def _term(self, D, G, loss, real, z):
        value = 0.5 * field_norm(D, G, loss, real, z)
        return self.weight * value, {"consensus": value.detach()}

    def d_penalty(self, ctx: DStep):
        return self._term(ctx.D, ctx.G, ctx.loss, ctx.real, step_noise(ctx))

    def g_penalty(self, ctx: GStep):
        return self._term(ctx.D, ctx.G, ctx.loss, ctx.real, step_noise(ctx))
