"""The run directory: a stable on-disk contract that other tools and tests rely on.

    config.yaml        the full resolved config (the checkpoint's copy is the truth on resume)
    metrics.jsonl      one JSON object per logged step (step, loss_d, loss_g, ...)
    samples/           step-XXXXXXX.png fixed-noise frames (8x8 grids, or scatter plots)
    progress.gif       those frames animated
    losses.png         D and G loss curves in one image
    best.png           the best samples (and best.json saying where they came from)
    checkpoints/       latest.pt and step-XXXXXXX.pt
    summary.json       facts about the run (shape, timings, parameters)
    report.md          the short report
    report.html        the same as one self-contained page (images embedded)
    tb/                TensorBoard events
    wandb/, wandb.id   Weights & Biases files and run id, where log.wandb is set
    skipped.txt        the data files that could not be read, where any
    .lock              held (flock) by the process training in the directory

Everything here is written atomically; a write that fails (full disk, read-only folder) is a
one-line WriteError. Reading is forgiving: damaged rows, files and frames are skipped with a
warning, so a damaged run can still be resumed, sampled, evaluated and reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path

import yaml

from gankit.errors import GankitError, WriteError, why
from gankit.run.checkpoint import load_newest_good
from gankit.run.lock import RunLock

FRAME = re.compile(r"step-(\d{7,})\.png")
#: what a run directory may hold (besides hidden temporary files), folder -> allowed names
LAYOUT = {
    ".": re.compile(
        r"config\.yaml|metrics\.jsonl|samples|checkpoints|tb|progress\.gif|losses\.png|"
        r"metrics\.png|best\.png|best\.json|summary\.json|report\.md|report\.html|eval\.json|\.lock|"
        r"skipped\.txt|wandb|wandb\.id"
    ),
    "samples": FRAME,
    "checkpoints": re.compile(r"latest\.pt|best\.pt|step-\d+\.pt"),
    "tb": re.compile(r"events\.out\.tfevents\..+"),
}


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self.config = self.path / "config.yaml"
        self.metrics = self.path / "metrics.jsonl"
        self.samples = self.path / "samples"
        self.checkpoints = self.path / "checkpoints"
        self.gif = self.path / "progress.gif"
        self.losses = self.path / "losses.png"
        self.best = self.path / "best.png"
        self.best_info = self.path / "best.json"
        self.summary = self.path / "summary.json"
        self.report = self.path / "report.md"
        self.report_html = self.path / "report.html"
        self.tb = self.path / "tb"
        self.lock = RunLock(self.path)
        self.replaced: Path | None = None  # an older run moved aside by --overwrite
        self._fresh = self._made = False  # set by create: only a new run may be abandoned

    # ---- creating, replacing, finding
    def check_new(self, overwrite: bool = False, protect: tuple[str | Path, ...] = ()) -> None:
        """May a new run be started here? Raises before anything is touched."""
        if self.path.exists() and not self.path.is_dir():
            raise GankitError(f"--out {self.path} is a file; pick a directory path")
        if self.is_empty():
            return
        if not overwrite:
            raise GankitError(
                f"run directory {self.path} already exists; pass --resume {self.path} to continue "
                f"it, --overwrite to replace it, or --out to pick another"
            )
        reason = self._not_replaceable(protect)
        if reason:
            raise GankitError(
                f"--overwrite refuses to replace {self.path}: {reason}; nothing was touched, "
                f"pick another --out"
            )

    def _not_replaceable(self, protect) -> str | None:
        """Why --overwrite must not remove this directory, or None when it is a gankit run."""
        if self.path.is_symlink():
            return "it is a symbolic link"
        real = self.path.resolve()
        guarded = [
            (Path.cwd(), "the current directory"),
            (Path.home(), "the home directory"),
            *((Path(p).expanduser(), f"the data folder {p}") for p in protect),
        ]
        for place, what in guarded:
            place = place.resolve()
            if real == place or real in place.parents:
                return f"it is or contains {what}"
        if not (self.config.is_file() and self.checkpoints.is_dir()):
            return "it is not a gankit run (no config.yaml and checkpoints/)"
        stray = self.unexpected()
        return f"it holds {stray}, which is not part of a gankit run" if stray else None

    def unexpected(self) -> str | None:
        """The first entry that a gankit run does not write, if any."""
        for folder, allowed in LAYOUT.items():
            where = self.path / folder
            for entry in sorted(where.iterdir()) if where.is_dir() else []:
                if entry.name.startswith(".") and ".tmp" in entry.name:
                    continue  # an interrupted atomic write
                if not allowed.fullmatch(entry.name) or (folder != "." and not entry.is_file()):
                    return str(entry.relative_to(self.path))
        return None

    def is_empty(self) -> bool:
        """No files at all (empty folders and a lock left by a run killed while starting are fine)."""
        if not self.path.is_dir():
            return True
        return all(p.is_dir() or p.name == ".lock" for p in self.path.rglob("*"))

    @classmethod
    def create(
        cls, path: str | Path, config: dict, overwrite: bool = False, protect: tuple = ()
    ) -> RunDir:
        """Make, lock and describe (config.yaml) a new run directory. A replaced run is moved
        aside, and deleted only once the new run has a checkpoint (``discard_replaced``)."""
        run = cls(path)
        run.check_new(overwrite, protect)
        if not run.is_empty():
            run.replaced = run._move_aside()
        run._fresh, run._made = True, not run.path.exists()
        try:
            for d in (run.path, run.samples, run.checkpoints):
                d.mkdir(parents=True, exist_ok=True)
            run.lock.acquire()
            run.write_config(config)
        except (OSError, GankitError) as exc:
            back = " and the run it replaced is back in place" if run.replaced is not None else ""
            run.abandon()
            if isinstance(exc, WriteError):
                raise GankitError(
                    f"{exc}; nothing of the new run was kept{back}: free space or fix "
                    f"permissions, then start it again"
                ) from None
            reason = why(exc) if isinstance(exc, OSError) else str(exc)
            raise GankitError(
                f"cannot create run directory {run.path} ({reason}){back}; pick a writable --out"
            ) from None
        return run

    def _move_aside(self) -> Path:
        old = RunLock(self.path)
        old.acquire()  # refuses if a trainer is still writing there
        n = 1
        while self.path.with_name(f"{self.path.name}.old-{n}").exists():
            n += 1
        aside = self.path.with_name(f"{self.path.name}.old-{n}")
        try:
            os.rename(self.path, aside)
        except OSError as exc:
            raise GankitError(
                f"--overwrite could not move the old run {self.path} aside ({why(exc)}); "
                f"nothing was touched"
            ) from None
        finally:
            old.release()
        warnings.warn(
            f"--overwrite: the old run is kept as {aside} until the new one has its first checkpoint"
        )
        return aside

    def discard_replaced(self) -> None:
        """The new run has a checkpoint: the run it replaced can go."""
        if self.replaced is not None:
            shutil.rmtree(self.replaced, ignore_errors=True)
            self.replaced = None

    def abandon(self) -> None:
        """A new run failed before its first checkpoint: remove it and put back what it replaced."""
        if not self._fresh:
            return
        self.lock.release()
        if self._made:
            shutil.rmtree(self.path, ignore_errors=True)
        else:  # the user's own (empty) folder stays; only what this run put there goes
            for entry in list(self.path.iterdir()) if self.path.is_dir() else []:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        if self.replaced is not None and not self.path.exists():
            os.rename(self.replaced, self.path)
            self.replaced = None

    @classmethod
    def existing(cls, path: str | Path) -> RunDir:
        run = cls(path)
        if not (run.config.is_file() or run.checkpoints.is_dir()):
            raise GankitError(
                f"{run.path} is not a gankit run directory (no config.yaml or checkpoints/); "
                f"pass the --out of a run"
            )
        return run

    def ensure_dirs(self) -> None:
        """Recreate samples/ or checkpoints/ if someone deleted them."""
        for d in (self.samples, self.checkpoints):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WriteError(f"could not create {d} ({why(exc)})") from None

    # ---- config and summary
    def write_config(self, config: dict) -> None:
        write_text_atomic(self.config, yaml.safe_dump(config, sort_keys=False))

    def read_config(self) -> dict | None:
        """config.yaml as a mapping, or None (with a warning) when it is missing or damaged."""
        try:
            data = yaml.safe_load(self.config.read_bytes().decode("utf-8"))
            problem = None if isinstance(data, dict) and data else "it is empty or not a mapping"
        except FileNotFoundError:
            data, problem = None, "it is missing"
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
            data, problem = None, f"it cannot be read ({type(exc).__name__})"
        if problem:
            warnings.warn(
                f"{self.config} is unusable ({problem}); using the config stored in the checkpoint"
            )
            return None
        return data

    def config_dict(self) -> dict:
        """The run's config: config.yaml, else the one its latest checkpoint was saved with."""
        return self.read_config() or load_newest_good(self.checkpoints)[0]["config"]

    def write_json(self, path: Path, data: dict) -> None:
        write_text_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")

    def read_json(self, path: Path) -> dict:
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict):
            warnings.warn(f"{path} is damaged; ignoring it (gankit train/report writes it again)")
            return {}
        return data

    # ---- metrics
    def append_metrics(self, row: dict) -> None:
        try:
            with open(self.metrics, "a") as f:
                f.write(json.dumps(row) + "\n")
        except OSError as exc:
            raise WriteError(f"could not write {self.metrics} ({why(exc)})") from None

    def read_metrics(self) -> list[dict]:
        """Logged rows; lines that are not a JSON object with an integer step are skipped."""
        if not self.metrics.is_file():
            return []
        rows, bad = [], []
        lines = self.metrics.read_bytes().decode("utf-8", errors="replace").splitlines()
        for i, line in enumerate(lines):
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if isinstance(row, dict) and type(row.get("step")) is int:
                rows.append(row)
            elif line.strip():
                bad.append(i)
        if bad and bad != [len(lines) - 1]:  # a last line cut short by a crash is expected
            warnings.warn(f"skipped {len(bad)} damaged line(s) in {self.metrics}")
        return rows

    def train_rows(self) -> list[dict]:
        return [
            r for r in self.read_metrics() if _number(r.get("loss_d")) and _number(r.get("loss_g"))
        ]

    def eval_rows(self) -> list[dict]:
        return [
            r
            for r in self.read_metrics()
            if isinstance(r.get("eval"), dict)
            and r["eval"]
            and all(v is None or _number(v) for v in r["eval"].values())
        ]

    def truncate_after(self, step: int) -> None:
        """Forget what was logged or drawn after ``step`` (the checkpoint a resume starts from)."""
        rows = [r for r in self.read_metrics() if r["step"] <= step]
        write_text_atomic(self.metrics, "".join(json.dumps(r) + "\n" for r in rows))
        for frame in self.frames():
            if frame_step(frame) > step:
                frame.unlink()

    # ---- checkpoints
    def checkpoint_file(self, which: str) -> Path:
        """``last``/``latest``, ``best`` or a path."""
        if which in ("last", "latest"):
            return self.checkpoints / "latest.pt"
        if which == "best":
            path = self.checkpoints / "best.pt"
            if not path.is_file():
                raise GankitError(
                    f"{self.path} has no best checkpoint yet (it needs eval.every > 0 during training)"
                )
            return path
        return Path(which).expanduser()

    # ---- sample frames
    def frame_path(self, step: int) -> Path:
        return self.samples / f"step-{step:07d}.png"

    def frames(self) -> list[Path]:
        """Frames in step order; files that only look like frames (step-abc.png, folders) are ignored."""
        if not self.samples.is_dir():
            return []
        found = [p for p in self.samples.iterdir() if FRAME.fullmatch(p.name) and p.is_file()]
        return sorted(found, key=frame_step)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def frame_step(path: Path) -> int:
    return int(FRAME.fullmatch(path.name).group(1))


@contextmanager
def atomic(path: Path):
    """Yield a temporary path beside ``path``; rename it into place only once fully written, so
    an interrupt mid-write never leaves a truncated file behind (the old one stays intact).
    A failed write (full disk, read-only folder) is a one-line WriteError."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise WriteError(f"could not write {path} ({why(exc)})") from None
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write bytes serialised in memory first: library writers in C++ or Rust (TorchScript,
    safetensors) abort the process or raise their own errors on a full disk, Python's file
    writes raise an OSError that ``atomic`` turns into one line."""
    with atomic(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
