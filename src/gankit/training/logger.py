"""Training logs: one JSON object per logged step in metrics.jsonl (the record), mirrored to
TensorBoard and, where ``log.wandb`` is set, to Weights & Biases. A mirror that fails (a full
disk, a missing package, a service that refuses) warns once and stops; the run goes on."""

from __future__ import annotations

import threading
import traceback
import warnings
from pathlib import Path

import torch

from gankit.run.rundir import RunDir


class TensorBoardLog:
    """``RUN/tb``. Its writer thread raises whatever the OS gave it: that becomes the mirror's
    one warning instead of a thread traceback on stderr."""

    name = "TensorBoard"

    def __init__(self, path: Path, on_failure):
        self.path, self.where, self.on_failure = path, path, on_failure
        self.writer, self.previous_hook = None, None

    def _started(self):
        if self.writer is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # TensorBoard's own deprecation chatter
                from torch.utils.tensorboard import SummaryWriter
            self.previous_hook, threading.excepthook = threading.excepthook, self._thread_failed
            self.writer = SummaryWriter(str(self.path))
        return self.writer

    def _thread_failed(self, args) -> None:
        frames = traceback.extract_tb(args.exc_traceback) if args.exc_traceback else []
        if not any("tensorboard" in frame.filename for frame in frames):
            return self.previous_hook(args)
        self.on_failure(self, args.exc_value)

    def scalars(self, prefix: str, values: dict, step: int) -> None:
        writer = self._started()
        for key, value in values.items():
            writer.add_scalar(f"{prefix}/{key}", value, step)

    def images(self, images: torch.Tensor, step: int) -> None:
        self._started().add_images("samples", images, step)

    def close(self, report: Path | None) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.previous_hook is not None:
            threading.excepthook, self.previous_hook = self.previous_hook, None


class Logger:
    """metrics.jsonl, and the same rows to each mirror."""

    def __init__(self, run: RunDir, wandb: dict | None = None, config: dict | None = None):
        self.run = run
        self.mirrors = [TensorBoardLog(run.tb, self._stop)]
        if wandb:
            from gankit.training.wandb_log import WandbLog

            self.mirrors.append(WandbLog(run.path, wandb, config or {}))
        self.failed: set[str] = set()

    def train_row(self, step: int, stats: dict, seconds: float, samples_per_step: int) -> dict:
        steps_per_s = step / seconds if seconds else 0.0
        row = {"step": step, **stats, "time": round(seconds, 3), "steps_per_s": steps_per_s,
               "samples_per_s": steps_per_s * samples_per_step}  # fmt: skip
        self.run.append_metrics(row)
        self._mirror("scalars", "train", {k: v for k, v in row.items() if k != "step"}, step)
        return row

    def eval_row(self, step: int, results: dict) -> None:
        self.run.append_metrics({"step": step, "eval": results})
        self._mirror("scalars", "eval", results, step)

    def images(self, samples: torch.Tensor, step: int) -> None:
        """A batch of images in [-1, 1] (points are not logged)."""
        if samples.dim() == 4:
            self._mirror("images", samples.add(1).div(2).clamp(0, 1).cpu(), step)

    def close(self, report: Path | None = None) -> None:
        """End every mirror; ``report`` (report.html) goes to those that keep one."""
        self._mirror("close", report)

    def _mirror(self, method: str, *args) -> None:
        for mirror in self.mirrors:
            if mirror.name not in self.failed:
                try:
                    getattr(mirror, method)(*args)
                except Exception as exc:  # noqa: BLE001
                    self._stop(mirror, exc)

    def _stop(self, mirror, exc: BaseException) -> None:
        if mirror.name not in self.failed:
            self.failed.add(mirror.name)
            warnings.warn(
                f"{mirror.name} logging stopped: could not write {mirror.where} ({exc}); "
                f"metrics.jsonl still has every row"
            )
