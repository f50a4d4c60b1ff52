from gankit.checks import Positive
from gankit.errors import GankitError
from gankit.nets.base import Discriminator
from gankit.regularizers.base import REGULARIZERS, GStep, Regularizer


@REGULARIZERS.register("feature_matching")
class FeatureMatching(Regularizer):
    """Feature matching (Salimans et al. 2016, "Improved Techniques for Training GANs"): the
    generator matches the mean of D's penultimate features f = D.embed(x) [N, F],
    weight * ||E_real f(x) - E_z f(G(z))||_2^2, instead of fooling D. With ``replace`` (the
    paper's form) this is G's whole objective; otherwise it is added to the loss's g_loss.
    D trains as usual. Logs ``fm``."""

    graph_safe = True

    def __init__(self, weight: Positive = 1.0, replace: bool = True):
        if weight <= 0:
            raise GankitError(f"feature_matching.weight must be > 0, got {weight}")
        self.weight, self.replaces_g_loss = float(weight), bool(replace)

    def prepare(self, G, D) -> None:
        if not isinstance(D, Discriminator):
            raise GankitError(
                f"feature_matching needs a discriminator with features (dcgan, textbook, mlp), "
                f"not {type(D).__name__}"
            )

    def g_penalty(self, ctx: GStep):
        real_mean = ctx.D.embed(ctx.real).detach().mean(0)
        value = (real_mean - ctx.D.embed(ctx.fake).mean(0)).pow(2).sum()
        return self.weight * value, {"fm": value.detach()}
