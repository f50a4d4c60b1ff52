"""A run's checkpoints: latest, numbered and best."""

from __future__ import annotations

from pathlib import Path

from gankit.run import checkpoint
from gankit.run.checkpoint import Checkpoint
from gankit.run.rundir import RunDir


class Checkpoints:
    """latest.pt, step-XXXXXXX.pt (the newest ``keep`` kept) and best.pt, all atomic."""

    def __init__(self, run: RunDir, keep: int):
        self.run, self.keep = run, keep

    def save(self, state: Checkpoint, step: int, numbered: bool) -> None:
        """latest.pt first, then the numbered copy: a crash between them leaves latest the newest."""
        data = checkpoint.serialise(state.to_dict())
        checkpoint.save_atomic(data, self.run.checkpoints / "latest.pt", step)
        self.run.discard_replaced()  # the run --overwrite replaced is only deleted now
        if numbered:
            checkpoint.save_atomic(data, self.run.checkpoints / f"step-{step:07d}.pt")
            checkpoint.prune(self.run.checkpoints, self.keep)

    def save_best(self, state: Checkpoint) -> None:
        checkpoint.save_atomic(
            checkpoint.serialise(state.to_dict()), self.run.checkpoints / "best.pt"
        )

    def newest_good(self) -> tuple[Checkpoint, Path]:
        return checkpoint.load_newest_good(self.run.checkpoints)
