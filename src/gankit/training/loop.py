"""Drives a Trainer and writes the run directory on the log/sample/checkpoint cadence.

Safety, in order of what can go wrong:
- Ctrl-C / SIGTERM: the current step finishes, a checkpoint is written, the process exits 130
  with the resume command; a second signal exits at once (checkpoints are atomic, nothing breaks).
- NaN/Inf: checked on the log and checkpoint cadence (one host sync there, none per step); the
  run rolls back to the last good checkpoint and lowers both learning rates, up to
  ``train.nan_retries`` times. A non-finite checkpoint is never written.
- Crashes and SIGKILL: see gankit.run.checkpoint; a step-0 checkpoint means there is always one.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import warnings

import torch
from tqdm import tqdm

from gankit.config import Config
from gankit.data import DataSource
from gankit.errors import GankitError, Interrupted
from gankit.metrics import FEATURES
from gankit.metrics.evaluate import evaluate, parse_metrics, primary
from gankit.run import checkpoint, faults
from gankit.run.artifacts import save_samples
from gankit.run.report import render
from gankit.run.rundir import RunDir
from gankit.training.stats import RunningStats
from gankit.training.trainer import Trainer


def fixed_noise(shape: tuple[int, ...], z_dim: int, seed: int, device) -> torch.Tensor:
    """The noise every progress frame is drawn from: 64 images (8x8 grid) or 1,000 points."""
    n = 64 if len(shape) == 3 else 1000
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed + 1)).to(device)


class Session:
    """One training process writing one run directory."""

    def __init__(self, trainer: Trainer, run: RunDir, cfg: Config, data: DataSource):
        self.trainer, self.run, self.cfg, self.data = trainer, run, cfg, data
        self.fixed_z = fixed_noise(data.shape, cfg.model.z_dim, cfg.train.seed, trainer.device)
        self.real = None if data.is_image else data.real_sample(2000, seed=cfg.train.seed)
        self.stats = RunningStats()
        self.train_seconds = 0.0
        self.guard = {"nan_failures": 0, "base_lr": list(trainer.base_lr)}
        self.stop_requested: str | None = None
        self.finishing = False  # a signal now skips the report instead of stopping training
        self.best: dict | None = None  # {"metric", "value", "step"} of checkpoints/best.pt
        self._writer = self._extractor = None
        self._tb_failed = False
        run.ensure_dirs()

    def tensorboard(self, method: str, *args) -> None:
        """TensorBoard is a convenience copy of metrics.jsonl: if it cannot write, warn once and stop."""
        if self._tb_failed:
            return
        try:
            if self._writer is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # TensorBoard's own deprecation chatter
                    from torch.utils.tensorboard import SummaryWriter
                self._writer = SummaryWriter(str(self.run.tb))
            getattr(self._writer, method)(*args)
        except Exception as exc:  # noqa: BLE001 - its writer thread raises whatever the OS gave it
            self._tb_failed = True
            warnings.warn(
                f"TensorBoard logging stopped: could not write {self.run.tb} ({exc}); "
                f"metrics.jsonl still has every row"
            )

    # ---- the loop
    def train(self, until: int) -> None:
        t = self.trainer
        if t.step == 0:
            self.save_frame()
            self.save_checkpoint(numbered=False)  # a rollback/resume point before any update
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        # In a log file (no TTY) a redraw every few steps would flood it; refresh every 10 s there.
        bar = tqdm(
            total=until,
            initial=t.step,
            desc="train",
            unit="step",
            dynamic_ncols=True,
            mininterval=0.1 if sys.stderr.isatty() else 10.0,
        )
        try:
            self._loop(until, bar)
            bar.close()
            self.finish()
        finally:
            bar.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _loop(self, until: int, bar) -> None:
        t = self.trainer
        start, base = time.perf_counter(), self.train_seconds
        while t.step < until:
            for stats in t.train_step():
                self.stats.add(stats)
            self.train_seconds = base + time.perf_counter() - start
            faults.kill_after_step(t.step)
            if not self.on_step(t.step, until, bar):
                start, base = time.perf_counter(), self.train_seconds
                bar.reset(total=until)
                bar.update(t.step)
                continue
            bar.update(1)
            if self.stop_requested:
                self.save_checkpoint(numbered=False)
                self.finish()
                raise Interrupted(
                    f"stopped by {self.stop_requested} at step {t.step}; checkpoint saved. "
                    f"Resume with: gankit train --resume {self.run.path}"
                )

    def _on_signal(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if self.finishing:  # training is over and saved: only the pictures and report are left
            raise KeyboardInterrupt
        if self.stop_requested:
            print(
                f"\ngankit: second {name}: exiting now; resume from the last checkpoint with "
                f"gankit train --resume {self.run.path}",
                file=sys.stderr,
            )
            os._exit(130)
        self.stop_requested = name
        print(
            f"\ngankit: {name}: finishing this step and saving a checkpoint (again to quit at once)",
            file=sys.stderr,
        )

    def on_step(self, step: int, until: int, bar) -> bool:
        """Cadence work after a step; False if the step was rolled back."""
        log, last = self.cfg.log, step == until
        is_log, is_ckpt = step % log.every == 0 or last, step % log.checkpoint_every == 0 or last
        if (is_log or is_ckpt) and not self.healthy(check_weights=is_ckpt):
            self.roll_back(step)
            return False
        if is_log:
            row = self.log_row(step)
            shown = {k: f"{row[k]:.3g}" for k in ("loss_d", "loss_g", "wdist") if k in row}
            bar.set_postfix(shown, refresh=False)
        if step % log.sample_every == 0 or last:
            self.save_frame()
        if self.cfg.eval.every and (step % self.cfg.eval.every == 0 or last):
            self.evaluate(step)
        if is_ckpt:
            self.save_checkpoint(numbered=step % log.checkpoint_every == 0)
        return True

    def healthy(self, check_weights: bool) -> bool:
        """No NaN/Inf in the statistics since the last log, nor (before a checkpoint) in the weights."""
        return self.stats.all_finite() and (not check_weights or self.trainer.weights_finite())

    def roll_back(self, step: int) -> None:
        g = self.guard
        g["nan_failures"] += 1
        if g["nan_failures"] > self.cfg.train.nan_retries:
            raise GankitError(
                f"training diverged: non-finite loss or weights by step {step}, "
                f"{g['nan_failures']} times, even at {self.cfg.train.nan_lr_factor ** (g['nan_failures'] - 1):g}x "
                f"the learning rate; lower optim.*.lr or add a gradient penalty. The last good "
                f"checkpoint is in {self.run.checkpoints}"
            )
        failures, base_lr = g["nan_failures"], list(g["base_lr"])
        state, path = checkpoint.load_newest_good(self.run.checkpoints)
        self.restore(state)
        self.guard = {"nan_failures": failures, "base_lr": base_lr}
        scale = self.cfg.train.nan_lr_factor**failures
        self.trainer.scale_lr(base_lr[0], base_lr[1], scale)
        warnings.warn(
            f"non-finite loss or weights by step {step}: rolled back to step {self.trainer.step} "
            f"({path.name}) with learning rates x{scale:g} (retry {failures} of {self.cfg.train.nan_retries})"
        )

    def log_row(self, step: int) -> dict:
        seconds = self.train_seconds
        row = {
            "step": step,
            **self.stats.flush(),
            "time": round(seconds, 3),
            "steps_per_s": step / seconds if seconds else 0.0,
            "samples_per_s": step * self.trainer.n_critic * self.trainer.batch_size / seconds
            if seconds
            else 0.0,
        }
        self.run.append_metrics(row)
        for key, value in row.items():
            if key != "step":
                self.tensorboard("add_scalar", f"train/{key}", value, step)
        return row

    # ---- evaluation
    def evaluate(self, step: int) -> None:
        """Metrics on the cadence; a new best is kept as checkpoints/best.pt and drawn as best.png."""
        ev, t = self.cfg.eval, self.trainer
        names = parse_metrics(ev.metrics)
        if self._extractor is None and self.data.is_image:
            self._extractor = FEATURES.build(ev.extractor).to(t.device)
        z = torch.randn(
            ev.n, t.z_dim, generator=torch.Generator().manual_seed(self.cfg.train.seed + 3)
        ).to(t.device)
        results = evaluate(
            self.data,
            lambda n: t.generate(z[:n]).cpu(),
            names,
            ev.n,
            self._extractor or ev.extractor,
            dataset_key=self.cfg.data.to_dict(),
        )
        self.run.append_metrics({"step": step, "eval": results})
        for key, value in results.items():
            self.tensorboard("add_scalar", f"eval/{key}", value, step)
        key, higher = primary(names)
        value, best = results[key], self.best
        if best is None or (value > best["value"] if higher else value < best["value"]):
            self.best = {"metric": key, "value": value, "step": step}
            checkpoint.save_atomic(
                checkpoint.serialise(self.checkpoint_state()), self.run.checkpoints / "best.pt"
            )
            self.save_best(f"the best {key} so far ({value:.4g}, checkpoints/best.pt)")

    # ---- artifacts
    def save_frame(self) -> None:
        step = self.trainer.step
        samples = self.trainer.generate(self.fixed_z)
        save_samples(
            samples,
            self.run.frame_path(step),
            self.real,
            title=f"step {step}",
            caption=f"fixed noise, step {step}",
        )
        if samples.dim() == 4:
            self.tensorboard("add_images", "samples", samples.add(1).div(2).clamp(0, 1).cpu(), step)

    def checkpoint_state(self) -> dict:
        return {
            "format": checkpoint.FORMAT,
            **self.trainer.state_dict(),
            "config": self.cfg.to_dict(),
            "data_shape": list(self.data.shape),
            "fixed_z": self.fixed_z.cpu(),
            "train_seconds": self.train_seconds,
            "stats": self.stats.state_dict(),
            "guard": dict(self.guard),
            "best": self.best,
        }

    def save_checkpoint(self, numbered: bool) -> None:
        """latest.pt first, then the numbered copy: a crash between them leaves latest the newest."""
        step = self.trainer.step
        data = checkpoint.serialise(self.checkpoint_state())
        checkpoint.save_atomic(data, self.run.checkpoints / "latest.pt", step)
        self.run.discard_replaced()  # the run --overwrite replaced is only deleted now
        if numbered:
            checkpoint.save_atomic(data, self.run.checkpoints / f"step-{step:07d}.pt")
            checkpoint.prune(self.run.checkpoints, self.cfg.log.keep_checkpoints)

    def restore(self, state: dict) -> None:
        try:
            self.trainer.load_state_dict(state)
            self.fixed_z = state["fixed_z"].to(self.trainer.device)
            self.train_seconds = float(state["train_seconds"])
            self.stats.load_state_dict(state["stats"])
            self.guard = {
                "nan_failures": int(state["guard"]["nan_failures"]),
                "base_lr": [float(v) for v in state["guard"]["base_lr"]],
            }
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError, AttributeError) as exc:
            raise GankitError(
                f"the checkpoint is not a gankit checkpoint of this run ({type(exc).__name__}: "
                f"{str(exc)[:80]}); resume from another checkpoint or start a new run"
            ) from None
        self.best = state.get("best") if isinstance(state.get("best"), dict) else None
        self.run.truncate_after(self.trainer.step)

    def save_best(self, why: str) -> None:
        """best.png and best.json from the current sampler (EMA generator if there is one)."""
        t = self.trainer
        z = torch.randn(
            64 if self.data.is_image else 2500,
            t.z_dim,
            generator=torch.Generator().manual_seed(self.cfg.train.seed + 2),
        ).to(t.device)
        who = "EMA generator" if t.ema is not None else "generator"
        source = f"{who} at step {t.step}: {why}"
        save_samples(
            t.generate(z),
            self.run.best,
            self.real,
            title=f"best: {who}, step {t.step}",
            caption=source,
        )
        self.run.write_json(
            self.run.best_info, {"source": source, "step": t.step, **(self.best or {})}
        )

    def finish(self) -> None:
        """The pictures and the report, after the last checkpoint. A signal now skips them
        cleanly (every file is written atomically); ``gankit report`` rebuilds them."""
        self.finishing = True
        try:
            self._render()
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted while writing the report; training is saved (step "
                f"{self.trainer.step}). Rebuild the report with: gankit report {self.run.path}"
            ) from None
        finally:
            self.finishing = False

    def _render(self) -> None:
        """best.png (unless evaluation picked one), summary.json, GIF, plots and report.md."""
        t = self.trainer
        if self.best is None:
            self.save_best(
                "the final weights (no quality metric is tracked: set eval.every to pick the best)"
            )
        self.run.write_json(
            self.run.summary,
            {
                "device": str(t.device),
                "data": self.data.summary(),
                "data_shape": list(self.data.shape),
                "params_g": sum(p.numel() for p in t.G.parameters()),
                "params_d": sum(p.numel() for p in t.D.parameters()),
                "steps": t.step,
                "train_seconds": round(self.train_seconds, 2),
                "nan_rollbacks": self.guard["nan_failures"],
            },
        )
        if self._writer is not None:
            self.tensorboard("close")
        faults.interrupt_in_report()
        render(self.run)
