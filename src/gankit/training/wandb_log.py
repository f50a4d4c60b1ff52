"""Weights & Biases, beside TensorBoard (``log.wandb: {project: ...}``, extra ``gankit[wandb]``):
the run's scalars, its fixed-noise frames, its config and, at the end, its report. Files stay in
the run directory (``RUN/wandb/``); W&B's offline mode (``mode: offline`` or WANDB_MODE=offline)
writes them without a network, for ``wandb sync`` later. A resumed run continues the same W&B
run (its id is kept in ``RUN/wandb.id``)."""

from __future__ import annotations

import importlib.util
import secrets
import sys
from pathlib import Path


class WandbLog:
    """A W&B run, started at the first row written (ranks > 0 of torchrun never write one)."""

    name = "W&B"

    def __init__(self, run_dir: Path, settings: dict, config: dict):
        self.run_dir, self.settings, self.config = run_dir, settings, config
        self.where = run_dir / "wandb"
        self.run = None

    def _started(self):
        if self.run is None:
            if importlib.util.find_spec("wandb") is None:
                raise RuntimeError("wandb is not installed (pip install 'gankit[wandb]')")
            import wandb

            self.run = wandb.init(
                dir=str(self.run_dir), id=self._id(), resume="allow", name=self.run_dir.name,
                config=self.config, settings=wandb.Settings(console="off", x_disable_stats=True, silent=True),
                **{k: v for k, v in self.settings.items() if v is not None},
            )  # fmt: skip
        return self.run

    def _id(self) -> str:
        from gankit.run.rundir import write_text_atomic

        path = self.run_dir / "wandb.id"
        if path.is_file():
            return path.read_text().strip()
        new = secrets.token_hex(4)  # W&B ids: lower-case letters and digits
        write_text_atomic(path, new + "\n")
        return new

    def scalars(self, prefix: str, values: dict, step: int) -> None:
        self._started().log({f"{prefix}/{k}": v for k, v in values.items()}, step=step)

    def images(self, images, step: int) -> None:
        """[N, C, H, W] in [0, 1] -> one grid image, as the run's frames show it."""
        import wandb
        from torchvision.utils import make_grid

        grid = make_grid(images, nrow=8, padding=2)
        self._started().log({"samples": wandb.Image(grid)}, step=step)

    def close(self, report: Path | None) -> None:
        """The report (its HTML page, pictures embedded) and the run's end; nothing if no row
        was ever written."""
        if self.run is None:
            return
        if report is not None and report.is_file():
            import wandb

            self.run.log({"report": wandb.Html(report.read_text())})
        folder = Path(self.run.dir).parent
        self.run.finish()
        self.run = None
        print(f"gankit: W&B run written to {folder} (an offline one uploads with: wandb sync "
              f"{folder})", file=sys.stderr)  # fmt: skip
