"""What ``gankit train`` does, start to end: a new run or a resumed one.

The order is the safety contract: the config is validated and the data read before anything is
written; a new run directory is created (and locked) only then; a run that fails before its
first checkpoint is removed again (and the run ``--overwrite`` replaced is put back); a write
that fails later says which file and that the last checkpoint is intact.
"""

from __future__ import annotations

import sys
import time
import warnings

from gankit import config as C
from gankit import distributed
from gankit.build import build, data_paths, resolve_device
from gankit.distributed import World
from gankit.errors import GankitError, WriteError, out_of_memory
from gankit.run.checkpoint import NoCheckpoint, load_newest_good
from gankit.run.rundir import RunDir
from gankit.training.loop import Session
from gankit.training.setup import make_trainer

#: config keys a resume may change (prefixes); everything else must match the checkpoint
RESUMABLE_KEYS = (
    "train.steps",
    "train.max_minutes",
    "train.device",
    "train.nan_",
    "train.channels_last",
    "train.compile",
    "train.amp",
    "train.cuda_graphs",
    "log.",
    "eval.",
    "description",
)


def train(
    preset: str | None = None,
    config_file: str | None = None,
    flags: dict | None = None,
    sets: list[str] = (),
    out: str | None = None,
    overwrite: bool = False,
    resume: str | None = None,
    base: dict | None = None,
) -> RunDir:
    """Train a new run into ``out`` (or resume the run directory ``resume``); returns the run.
    ``base`` (a config dict) takes the place of the preset. Under torchrun, rank 0 does all
    of this and the other ranks follow (gankit.distributed)."""
    flags = flags or {}
    world = World.from_env()
    if not world.lead:
        return follow(world, preset, config_file, flags, sets, out, resume, base)
    if resume:
        check_resume_args(preset, config_file, base, out, overwrite)
        run, cfg, state = open_resume(resume, flags, sets)
    else:
        cfg = C.resolve(preset, config_file, flags, sets, base)
        run = RunDir(out or f"runs/{preset or C.DEFAULT_PRESET}-{time.strftime('%Y%m%d-%H%M%S')}")
        protect = data_paths(cfg)  # what --overwrite must never remove
        run.check_new(overwrite, protect)  # before any data is read
        state = None
    try:  # the lock (taken by open_resume or create) is released however this ends
        built = build_for(cfg, world)
        trainer = make_trainer(cfg, built, world=world)
        if not resume:  # everything is valid and the data is read: only now is anything written
            run = RunDir.create(run.path, cfg.to_dict(), overwrite, protect)
        distributed.barrier()  # the other ranks wait for the run directory
        _run_session(run, cfg, built, trainer, state, bool(resume))
    finally:
        run.lock.release()  # a Python caller may train again in this process
        distributed.stop()
    return run


def check_resume_args(preset, config_file, base, out, overwrite) -> None:
    """What a resume cannot apply is refused, never ignored: the run keeps its own config,
    directory and files."""
    if preset is not None or config_file or base is not None:
        raise GankitError("--resume continues a run with its own config; drop --preset/--config")
    if out is not None:
        raise GankitError(
            "--resume writes into the resumed run's own directory; drop --out (to branch a run, "
            "copy its directory first and resume the copy)"
        )
    if overwrite:
        raise GankitError("--resume keeps the run's files; drop --overwrite")


def build_for(cfg: C.Config, world: World):
    """build(cfg), first joining the job's process group when there is one."""
    if world.size > 1:
        distributed.start(world, resolve_device(cfg.train.device))
    built = build(cfg)
    distributed.sync_batchnorm(built.model, cfg.train.sync_batchnorm, world, built.device)
    return built


def follow(world: World, preset, config_file, flags, sets, out, resume, base) -> RunDir:
    """A rank > 0: the same config and checkpoint as rank 0, the same steps, no writes."""
    state = None
    if resume:
        run = RunDir.existing(resume)
        try:
            state, _ = load_newest_good(run.checkpoints)
            cfg = C.resolve(base=run.read_config() or state.config, flags=flags, sets=sets)
        except NoCheckpoint:
            cfg = C.resolve(base=run.read_config(), flags=flags, sets=sets)
    else:
        cfg = C.resolve(preset, config_file, flags, sets, base)
        run = RunDir(out)
    try:
        built = build_for(cfg, world)
        trainer = make_trainer(cfg, built, world=world)
        distributed.barrier()  # rank 0 has created (or locked) the run directory
        session = Session(trainer, run, cfg, built.data, lead=False)
        if state is not None:
            session.restore(state)
        session.train(cfg.train.steps)
    finally:
        distributed.stop()
    return run


def _run_session(run: RunDir, cfg: C.Config, built, trainer, state: dict | None, resumed: bool):
    """Train; a failure before the first checkpoint of a new run leaves nothing behind."""
    try:
        session = Session(trainer, run, cfg, built.data)
        if state is not None:
            session.restore(state)
        if resumed:  # a resume may change train.steps, log.* ...: config.yaml says what ran
            run.write_config(cfg.to_dict())
        print(
            f"gankit: {cfg.description or 'training'}\n  run: {run.path}  device: {built.device}  "
            f"precision: {trainer.precision}  data: {built.data.summary()}",
            file=sys.stderr,
        )
        if state is not None:
            print(
                f"gankit: resuming from step {trainer.step} of {cfg.train.steps}", file=sys.stderr
            )
        session.train(cfg.train.steps)
    except BaseException as exc:
        kept = (run.checkpoints / "latest.pt").is_file()
        replaced = run.replaced is not None
        if not kept:
            run.abandon()  # a new run without a checkpoint holds nothing worth keeping
        if isinstance(exc, WriteError):
            raise GankitError(
                f"{exc}; {_after_failure(run, kept, replaced, resumed, WRITE_FIX)}"
            ) from None
        if oom := out_of_memory(exc):
            raise GankitError(
                f"{oom} at step {trainer.step}; {_after_failure(run, kept, replaced, resumed, OOM_FIX)}"
            ) from None
        raise
    print(
        f"gankit: done, {trainer.step} steps in {session.train_seconds:.1f}s; report: {run.report}",
        file=sys.stderr,
    )


WRITE_FIX = "free space or fix permissions, then"
OOM_FIX = "free memory or lower train.batch_size (--set), then"


def _after_failure(run: RunDir, kept: bool, replaced: bool, resumed: bool, fix: str) -> str:
    if kept:
        return f"the last checkpoint in {run.checkpoints} is intact: {fix} gankit train --resume {run.path}"
    if resumed:
        return f"{fix} gankit train --resume {run.path}"
    back = " and the run it replaced is back in place" if replaced else ""
    return f"the run had no checkpoint yet, so nothing of it was kept{back}: {fix} start it again"


def open_resume(path: str, flags: dict, sets: list[str]) -> tuple[RunDir, C.Config, dict | None]:
    """The run, its config and its newest good checkpoint (None: restart it from step 0)."""
    run = RunDir.existing(path)
    run.lock.acquire()  # the first write: a read-only or busy run directory stops here
    try:
        return _resume_state(run, flags, sets)
    except BaseException:
        run.lock.release()
        raise


def _resume_state(
    run: RunDir, flags: dict, sets: list[str]
) -> tuple[RunDir, C.Config, dict | None]:
    on_disk = run.read_config()
    try:
        state, _ = load_newest_good(run.checkpoints)
    except NoCheckpoint:
        if on_disk is None:
            raise GankitError(
                f"{run.path} has neither a checkpoint nor a readable config.yaml, so there is "
                f"nothing to resume; start a new run with another --out"
            ) from None
        warnings.warn(
            f"{run.path} has no checkpoint yet (it stopped before its first one); starting it "
            f"again from step 0 with its config.yaml"
        )
        run.truncate_after(-1)
        return run, C.resolve(base=on_disk, flags=flags, sets=sets), None
    stored = C.normalised(state.config)
    if on_disk is not None:
        check_resumable(
            stored,
            C.normalised(on_disk),
            f"{run.config} was edited: ",
            "; the checkpoint's config is the truth, undo the edit",
        )
    cfg = C.resolve(base=on_disk or stored, flags=flags, sets=sets)
    check_resumable(stored, cfg.to_dict(), "cannot resume with a different ", "")
    done = int(state.step)
    if cfg.train.steps < done:
        raise GankitError(
            f"{run.path} is already at step {done}; --steps is the total to reach, so pass "
            f"--steps {done} or more (it was {cfg.train.steps})"
        )
    return run, cfg, state


def check_resumable(old: dict, new: dict, prefix: str, suffix: str) -> None:
    """Only RESUMABLE_KEYS may differ between a checkpoint's config and the one a resume uses."""
    old, new = _flat(old), _flat(new)
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key) and not key.startswith(RESUMABLE_KEYS):
            allowed = ", ".join(k + ("*" if k.endswith((".", "_")) else "") for k in RESUMABLE_KEYS)
            raise GankitError(
                f"{prefix}{key} ({old.get(key)!r} in the checkpoint -> {new.get(key)!r}){suffix}; "
                f"only {allowed} may change"
            )


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out
