import torch

from gankit.checks import Positive
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, DStep, GStep, Regularizer


class RunningMean:
    """The mean of every past value of a list of parameters (1/t sum_i theta_i)."""

    def __init__(self):
        self.mean: list[torch.Tensor] | None = None
        self.count = 0

    @torch.no_grad()
    def update(self, params) -> None:
        params = [p.detach() for p in params]
        if self.mean is None:
            self.mean = [p.clone() for p in params]
        else:
            torch._foreach_lerp_(self.mean, params, 1.0 / (self.count + 1))
        self.count += 1

    def penalty(self, params) -> torch.Tensor:
        return sum(((p - m) ** 2).sum() for p, m in zip(params, self.mean))


@REGULARIZERS.register("historical_averaging")
class HistoricalAveraging(Regularizer):
    """Historical averaging (Salimans et al. 2016, "Improved Techniques for Training GANs"): each
    player's loss gets weight * ||theta - (1/t) sum_i theta_i||^2, the distance of its parameters
    from their average over all past steps, which damps oscillation. Logs ``ha_d`` and ``ha_g``."""

    def __init__(self, weight: Positive = 1e-3):
        if weight <= 0:
            raise GankitError(f"historical_averaging.weight must be > 0, got {weight}")
        self.weight = float(weight)
        self.d_mean, self.g_mean = RunningMean(), RunningMean()

    def d_penalty(self, ctx: DStep):
        return self._penalty(self.d_mean, list(ctx.D.parameters()), "ha_d")

    def g_penalty(self, ctx: GStep):
        return self._penalty(self.g_mean, list(ctx.G.parameters()), "ha_g")

    def _penalty(self, mean: RunningMean, params, name: str):
        if mean.mean is None:  # no history yet: start it from the current parameters
            mean.update(params)
        value = mean.penalty(params)
        return self.weight * value, {name: value.detach()}

    def after_d_step(self, D) -> None:
        self.d_mean.update(D.parameters())

    def after_g_step(self, G) -> None:
        self.g_mean.update(G.parameters())

    def state_dict(self) -> dict:
        return {
            f"{who}_{k}": v
            for who, m in (("d", self.d_mean), ("g", self.g_mean))
            for k, v in (("mean", m.mean), ("count", m.count))
        }

    def load_state_dict(self, state: dict) -> None:
        for who, m in (("d", self.d_mean), ("g", self.g_mean)):
            m.mean, m.count = state[f"{who}_mean"], int(state[f"{who}_count"])
