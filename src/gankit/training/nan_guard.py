"""The NaN guard's rollback budget: a non-finite loss or weight sends the run back to its last
good checkpoint at a lower learning rate, a bounded number of times."""

from __future__ import annotations

from pathlib import Path

from gankit.errors import GankitError


class NaNGuard:
    """How often the run went back to its last good checkpoint, and the learning rates it
    started from: each rollback multiplies them by ``factor`` once more, ``retries`` at most."""

    def __init__(self, retries: int, factor: float, base_lr: list[float]):
        self.retries, self.factor = retries, factor
        self.failures, self.base_lr = 0, list(base_lr)

    def next_scale(self, step: int, where: Path) -> float:
        """Count one more failure; the learning-rate scale to retry with, or a one-line stop."""
        self.failures += 1
        if self.failures > self.retries:
            raise GankitError(
                f"training diverged: non-finite loss or weights by step {step}, {self.failures} "
                f"times, even at {self.factor ** (self.failures - 1):g}x the learning rate; lower "
                f"optim.*.lr or add a gradient penalty. The last good checkpoint is in {where}"
            )
        return self.factor**self.failures

    def state_dict(self) -> dict:
        return {"nan_failures": self.failures, "base_lr": list(self.base_lr)}

    def load_state_dict(self, state: dict) -> None:
        self.failures = int(state["nan_failures"])
        self.base_lr = [float(v) for v in state["base_lr"]]
