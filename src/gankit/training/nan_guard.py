"""The NaN guard's rollback budget: a non-finite loss or weight sends the run back to its last
good checkpoint at a lower learning rate, a bounded number of times."""

from __future__ import annotations

from pathlib import Path

from gankit.errors import GankitError


class NaNGuard:
    """How often the run went back to its last good checkpoint: each rollback multiplies the
    learning rates by ``factor`` once more (``scale``, which the trainer applies), ``retries``
    at most."""

    def __init__(self, retries: int, factor: float):
        self.retries, self.factor, self.failures = retries, factor, 0

    @property
    def scale(self) -> float:
        """What the learning rates are multiplied by after the rollbacks so far."""
        return self.factor**self.failures

    def next_scale(self, step: int, where: Path) -> float:
        """Count one more failure; the learning-rate scale to retry with, or a one-line stop."""
        self.failures += 1
        if self.failures > self.retries:
            raise GankitError(
                f"training diverged: non-finite loss or weights by step {step}, {self.failures} "
                f"times, even at {self.factor ** (self.failures - 1):g}x the learning rate; lower "
                f"optim.*.lr or add a gradient penalty. The last good checkpoint is in {where}"
            )
        return self.scale

    def state_dict(self) -> dict:
        return {"nan_failures": self.failures}

    def load_state_dict(self, state: dict) -> None:
        # checkpoints written before the trainer owned the base rates also hold "base_lr": unused
        self.failures = int(state["nan_failures"])
