"""Training logs: one JSON object per logged step in metrics.jsonl, mirrored to TensorBoard."""

from __future__ import annotations

import threading
import traceback
import warnings

import torch

from gankit.run.rundir import RunDir


class Logger:
    """metrics.jsonl is the record; TensorBoard is a convenience copy that warns once and stops
    if it cannot write (its writer thread raises whatever the OS gave it)."""

    def __init__(self, run: RunDir):
        self.run = run
        self._writer = None
        self._failed = False
        self._previous_hook = None

    def train_row(self, step: int, stats: dict, seconds: float, samples_per_step: int) -> dict:
        steps_per_s = step / seconds if seconds else 0.0
        row = {"step": step, **stats, "time": round(seconds, 3), "steps_per_s": steps_per_s,
               "samples_per_s": steps_per_s * samples_per_step}  # fmt: skip
        self.run.append_metrics(row)
        for key, value in row.items():
            if key != "step":
                self._tensorboard("add_scalar", f"train/{key}", value, step)
        return row

    def eval_row(self, step: int, results: dict) -> None:
        self.run.append_metrics({"step": step, "eval": results})
        for key, value in results.items():
            self._tensorboard("add_scalar", f"eval/{key}", value, step)

    def images(self, samples: torch.Tensor, step: int) -> None:
        """A batch of images in [-1, 1] (points are not logged)."""
        if samples.dim() == 4:
            images = samples.add(1).div(2).clamp(0, 1).cpu()
            self._tensorboard("add_images", "samples", images, step)

    def close(self) -> None:
        if self._writer is not None:
            self._tensorboard("close")
            self._writer = None
        if self._previous_hook is not None:
            threading.excepthook, self._previous_hook = self._previous_hook, None

    def _thread_failed(self, args) -> None:
        """TensorBoard writes from a thread of its own: a failure there (a full disk) becomes our
        one-line warning instead of a thread traceback on stderr."""
        frames = traceback.extract_tb(args.exc_traceback) if args.exc_traceback else []
        if not any("tensorboard" in frame.filename for frame in frames):
            return self._previous_hook(args)
        self._stop(args.exc_value)

    def _tensorboard(self, method: str, *args) -> None:
        if self._failed:
            return
        try:
            if self._writer is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # TensorBoard's own deprecation chatter
                    from torch.utils.tensorboard import SummaryWriter
                self._previous_hook, threading.excepthook = (
                    threading.excepthook,
                    self._thread_failed,
                )
                self._writer = SummaryWriter(str(self.run.tb))
            getattr(self._writer, method)(*args)
        except Exception as exc:  # noqa: BLE001
            self._stop(exc)

    def _stop(self, exc: BaseException) -> None:
        if not self._failed:
            self._failed = True
            warnings.warn(
                f"TensorBoard logging stopped: could not write {self.run.tb} ({exc}); "
                f"metrics.jsonl still has every row"
            )
