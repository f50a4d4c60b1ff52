import torch

from gankit.checks import NonNegative, ints
from gankit.distributed import per_rank
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, Regularizer


@REGULARIZERS.register("instance_noise")
class InstanceNoise(Regularizer):
    """Instance noise (Sonderby et al. 2017; Arjovsky & Bottou 2017): D sees x + sigma(t) * eps,
    eps ~ N(0, I), for real and generated samples alike, so the two distributions overlap and D's
    gradients stay informative early on. sigma(t) = std * max(0, 1 - t / anneal_steps), t the
    generator step: linear annealing to no noise. Inputs of any shape [N, ...]. std 0 is the plain
    GAN exactly (no noise is drawn), the check that the technique is wired in correctly."""

    def __init__(self, std: NonNegative = 0.1, anneal_steps: ints(1) = 10000):
        if std < 0 or anneal_steps < 1:
            raise GankitError(
                f"instance_noise needs std >= 0 and anneal_steps >= 1, got {std}, {anneal_steps}"
            )
        self.std, self.anneal_steps = float(std), int(anneal_steps)

    def std_at(self, step: int) -> float:
        return self.std * max(0.0, 1.0 - step / self.anneal_steps)

    def d_input(self, x: torch.Tensor, step: int) -> torch.Tensor:
        sigma = self.std_at(step)
        if sigma <= 0:
            return x
        noise = per_rank(
            lambda m: torch.randn(m, *x.shape[1:], device=x.device, dtype=x.dtype), len(x)
        )
        return x + sigma * noise
