"""Drives a Trainer and writes the run directory on the log/sample/checkpoint cadence.

Safety, in order of what can go wrong:
- Ctrl-C / SIGTERM: the current step finishes, a checkpoint is written, the process exits 130
  with the resume command; a second signal exits at once (checkpoints are atomic, nothing breaks).
- NaN/Inf: checked on the log and checkpoint cadence (one host sync there, none per step); the
  run rolls back to the last good checkpoint and lowers both learning rates, up to
  ``train.nan_retries`` times. A non-finite checkpoint is never written.
- Crashes and SIGKILL: see gankit.run.checkpoint; a step-0 checkpoint means there is always one.
The parts, one job each: Logger (metrics.jsonl, TensorBoard), Pictures (frames, best.png),
InTrainingEval (metrics, best.pt), Checkpoints and NaNGuard.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import warnings

from gankit import distributed
from gankit.config import Config
from gankit.data import DataSource
from gankit.errors import GankitError, Interrupted
from gankit.progress import progress_bar
from gankit.run import faults
from gankit.run.checkpoint import Checkpoint
from gankit.run.report import render
from gankit.run.rundir import RunDir, write_text_atomic
from gankit.training.checkpoints import Checkpoints
from gankit.training.evaluation import make_evaluator
from gankit.training.logger import Logger
from gankit.training.nan_guard import NaNGuard
from gankit.training.pictures import make_pictures
from gankit.training.stats import RunningStats
from gankit.training.trainer import Trainer

#: what a checkpoint that does not fit this run raises while it is restored
NOT_THIS_RUN = (KeyError, TypeError, ValueError, IndexError, RuntimeError, AttributeError)


class Session:
    """One training process writing one run directory. Under torchrun the ranks > 0 run a
    session with ``lead=False``: the same steps, checks and rollbacks, and no writes."""

    def __init__(self, trainer: Trainer, run: RunDir, cfg: Config, data: DataSource,
                 lead: bool = True):  # fmt: skip
        self.trainer, self.run, self.cfg, self.data, self.lead = trainer, run, cfg, data, lead
        if lead:
            run.ensure_dirs()
            if data.skipped:  # the console names a few; the run keeps every one
                write_text_atomic(
                    run.path / "skipped.txt", "\n".join(map(str, data.skipped)) + "\n"
                )
        self.log = Logger(run, cfg.log.wandb, cfg.to_dict())
        self.pictures = make_pictures(run, data, trainer, cfg.train.seed)
        self.evaluator = make_evaluator(cfg, data, trainer) if cfg.eval.every and lead else None
        self.checkpoints = Checkpoints(run, cfg.log.keep_checkpoints)
        self.guard = NaNGuard(cfg.train.nan_retries, cfg.train.nan_lr_factor)
        self.stats = RunningStats()
        self.train_seconds = 0.0
        self.eval_seconds = 0.0  # wall time of in-training evaluation, not in train_seconds
        self.best: dict | None = None  # {"metric", "value", "step"} of checkpoints/best.pt
        self.stop_requested: str | None = None
        self.stopped: str | None = None  # why training ended before train.steps (a time budget)
        self.finishing = False  # a signal now skips the report instead of stopping training

    # ---- the loop
    def train(self, until: int) -> None:
        if self.trainer.step == 0:
            self.save_frame()
            self.save_checkpoint(numbered=False)  # a rollback/resume point before any update
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:  # a stop finishes the step: a system call it interrupts restarts,
            signal.siginterrupt(sig, False)  # so gloo's socket I/O never fails with EINTR
        # In a log file (no TTY) a redraw every few steps would flood it; refresh every 10 s there.
        refresh = 0.1 if sys.stderr.isatty() else 10.0
        bar = progress_bar(total=until, initial=self.trainer.step, desc="train", unit="step",
                   dynamic_ncols=True, mininterval=refresh, disable=not self.lead)  # fmt: skip
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
        clock = self._clock()
        while t.step < until:
            for stats in t.train_step():
                self.stats.add(stats)
            self.train_seconds = clock()
            faults.kill_after_step(t.step)
            out_of_time = self.out_of_time()
            # a spent budget makes this the last step: logged, drawn and saved as such
            last = t.step if out_of_time else until
            if not self.on_step(t.step, last, bar):  # rolled back: the clock restarts there
                clock = self._clock()
                bar.reset(total=until)
                bar.update(t.step)
                continue
            bar.update(1)
            if stop := self.agreed_stop():
                self.stop_requested = self.stop_requested or stop
                self.save_checkpoint(numbered=False)
                if t.world.size == 1:  # torchrun kills ranks that linger: the report can wait
                    self.finish()
                raise Interrupted(
                    f"at step {t.step} of {until} ({stop}); checkpoint saved. "
                    f"Resume with: gankit train --resume {self.run.path}"
                )
            if out_of_time:
                self.stopped = (f"the time budget of {self.cfg.train.max_minutes:g} min "
                                f"(train.max_minutes) ran out at step {t.step} of {until}")  # fmt: skip
                print(f"\ngankit: {self.stopped}", file=sys.stderr)
                return

    def _clock(self):
        """Training seconds from now on: the checkpointed count plus wall time since, less the
        evaluation pauses (measuring is not training: train.max_minutes and the logged time
        leave it out)."""
        start, base, paused = time.perf_counter(), self.train_seconds, self.eval_seconds
        return lambda: base + time.perf_counter() - start - (self.eval_seconds - paused)

    def agreed_stop(self) -> str | None:
        """Why training stops after this step, the same answer on every rank, or None. The flag
        is read once, before the ranks compare it: a signal that lands while they compare (a
        rank can wait there for a slower one) is left for the next step's comparison, so no
        rank goes on to save alone while the others train on."""
        requested = self.stop_requested
        if self.trainer.world.size == 1:
            return requested
        if distributed.any_rank(bool(requested), self.trainer.device):
            return requested or "a signal to another rank"
        return None

    def out_of_time(self) -> bool:
        """Whether train.max_minutes of training time are spent (on any rank: all stop together)."""
        limit = self.cfg.train.max_minutes
        if not limit:
            return False
        over = self.train_seconds >= 60.0 * limit
        if self.trainer.world.size > 1:
            over = distributed.any_rank(over, self.trainer.device)
        return over

    def _on_signal(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if self.finishing:  # training is over and saved: only the pictures and report are left
            raise KeyboardInterrupt
        if self.stop_requested:
            print(f"\ngankit: second {name}: exiting now; resume from the last checkpoint with "
                  f"gankit train --resume {self.run.path}", file=sys.stderr)  # fmt: skip
            os._exit(130)
        self.stop_requested = name
        print(f"\ngankit: {name}: finishing this step and saving a checkpoint (again to quit at "
              f"once)", file=sys.stderr)  # fmt: skip

    def on_step(self, step: int, until: int, bar) -> bool:
        """Cadence work after a step; False if the step was rolled back."""
        log = self.cfg.log

        def due(every: int) -> bool:
            return step % every == 0 or step == until

        is_log, is_ckpt = due(log.every), due(log.checkpoint_every)
        if (is_log or is_ckpt) and not self.healthy(check_weights=is_ckpt):
            self.roll_back(step)
            return False
        if is_log and not self.lead:
            self.stats.flush()
        elif is_log:
            row = self.log.train_row(step, self.stats.flush(), self.train_seconds,
                                     self.trainer.real_batches_per_step() * self.trainer.global_batch)  # fmt: skip
            shown = {k: f"{row[k]:.3g}" for k in ("loss_d", "loss_g", "wdist") if k in row}
            bar.set_postfix(shown, refresh=False)
        if due(log.sample_every) and self.lead:
            self.save_frame()
        if self.cfg.eval.every and due(self.cfg.eval.every):
            self.pause_to_evaluate(step)
        if is_ckpt:
            self.save_checkpoint(numbered=step % log.checkpoint_every == 0)
        return True

    # ---- the NaN guard
    def healthy(self, check_weights: bool) -> bool:
        """No NaN/Inf in the statistics since the last log, nor (before a checkpoint) in the weights."""
        return self.stats.all_finite() and (not check_weights or self.trainer.weights_finite())

    def roll_back(self, step: int) -> None:
        scale = self.guard.next_scale(step, self.run.checkpoints)
        guard = self.guard.state_dict()  # the restored checkpoint's count is older than ours
        state, path = self.checkpoints.newest_good()
        self.restore(state)
        self.guard.load_state_dict(guard)
        self.trainer.set_lr_scale(scale)
        warnings.warn(
            f"non-finite loss or weights by step {step}: rolled back to step {self.trainer.step} "
            f"({path.name}) with learning rates x{scale:g} (retry {self.guard.failures} of "
            f"{self.guard.retries})"
        )

    # ---- evaluation, pictures, checkpoints
    def pause_to_evaluate(self, step: int) -> None:
        """The lead evaluates while the other ranks wait at a barrier, so every rank's clock
        leaves out the same pause and all of them agree on when the time budget runs out."""
        start = time.perf_counter()
        if self.evaluator is not None:
            self.evaluate(step)
        distributed.barrier()  # a no-op in one process
        self.eval_seconds += time.perf_counter() - start

    def evaluate(self, step: int) -> None:
        """Metrics on the cadence; a new best is kept as checkpoints/best.pt and drawn as best.png."""
        results = self.evaluator(self.trainer)
        self.log.eval_row(step, results)
        best = self.evaluator.new_best(results, self.best, step)
        if best is not None:
            self.best = best
            self.checkpoints.save_best(self.checkpoint_state())
            why = f"the best {best['metric']} so far ({best['value']:.4g}, checkpoints/best.pt)"
            self.pictures.best(self.trainer, why, self.best)

    def save_frame(self) -> None:
        if self.lead:
            self.log.images(self.pictures.frame(self.trainer), self.trainer.step)

    def save_checkpoint(self, numbered: bool) -> None:
        state = self.checkpoint_state()  # a collective under torchrun: every rank builds it
        if self.lead:
            self.checkpoints.save(state, self.trainer.step, numbered)

    def checkpoint_state(self) -> Checkpoint:
        return Checkpoint(
            **self.trainer.state_dict(),
            config=self.cfg.to_dict(),
            data_shape=list(self.data.shape),
            fixed_z=self.pictures.frame_noise.cpu(),
            train_seconds=self.train_seconds,
            stats=self.stats.state_dict(),
            guard=self.guard.state_dict(),
            best=self.best,
        )

    def restore(self, state: Checkpoint) -> None:
        try:
            self.trainer.load_state_dict(state.trainer_state())
            self.pictures.frame_noise = state.fixed_z.to(self.trainer.device)
            self.train_seconds = float(state.train_seconds)
            self.stats.load_state_dict(state.stats)
            self.guard.load_state_dict(state.guard)
            self.trainer.set_lr_scale(self.guard.scale)  # a resumed rollback keeps its lower rates
        except NOT_THIS_RUN as exc:
            raise GankitError(
                f"the checkpoint is not a gankit checkpoint of this run ({type(exc).__name__}: "
                f"{str(exc)[:80]}); resume from another checkpoint or start a new run"
            ) from None
        self.best = state.best if isinstance(state.best, dict) else None
        if self.lead:
            self.run.truncate_after(self.trainer.step)

    # ---- the end
    def finish(self) -> None:
        """The pictures and the report, after the last checkpoint. A signal now skips them
        cleanly (every file is written atomically); ``gankit report`` rebuilds them."""
        if not self.lead:
            return
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
            why = (
                "the final weights (no quality metric is tracked: set eval.every to pick the best)"
            )
            self.pictures.best(t, why, None)
        self.run.write_json(self.run.summary, {
            "device": str(t.device), "precision": str(t.precision), "data": self.data.summary(), "data_shape": list(self.data.shape),
            **{f"params_{name.lower()}": sum(p.numel() for p in net.parameters())
               for name, net in t.model.networks.items()},
            "steps": t.step, "train_seconds": round(self.train_seconds, 2),
            "nan_rollbacks": self.guard.failures, "stopped_early": self.stopped,
        })  # fmt: skip
        try:
            faults.interrupt_in_report()
            render(self.run)
        finally:
            self.log.close(self.run.report_html)
