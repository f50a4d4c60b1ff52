"""The run directory: a stable on-disk contract that other tools and tests rely on.

    config.yaml        the full resolved config
    metrics.jsonl      one JSON object per logged step (step, loss_d, loss_g, ...)
    samples/           step-XXXXXXX.png fixed-noise frames (8x8 grids, or scatter plots)
    progress.gif       those frames animated
    losses.png         D and G loss curves in one image
    best.png           the best samples (and best.json saying where they came from)
    checkpoints/       latest.pt and step-XXXXXXX.pt
    summary.json       facts about the run (shape, timings, parameters)
    report.md          the short report
    tb/                TensorBoard events
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import yaml

from gankit.errors import GankitError


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
        self.tb = self.path / "tb"

    def check_new(self, overwrite: bool = False) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise GankitError(f"--out {self.path} is a file; pick a directory path")
        if self.path.is_dir() and any(self.path.iterdir()) and not overwrite:
            raise GankitError(f"run directory {self.path} already exists; pass --resume {self.path} to continue "
                              f"it, --overwrite to replace it, or --out to pick another")

    @classmethod
    def create(cls, path: str | Path, overwrite: bool = False) -> RunDir:
        run = cls(path)
        run.check_new(overwrite)
        if run.path.is_dir() and any(run.path.iterdir()):
            shutil.rmtree(run.path)
        for d in (run.path, run.samples, run.checkpoints):
            d.mkdir(parents=True, exist_ok=True)
        return run

    @classmethod
    def existing(cls, path: str | Path) -> RunDir:
        run = cls(path)
        if not run.config.is_file():
            raise GankitError(f"{run.path} is not a gankit run directory (no config.yaml); pass the --out of a run")
        return run

    # ---- config and summary
    def write_config(self, config: dict) -> None:
        write_text_atomic(self.config, yaml.safe_dump(config, sort_keys=False))

    def read_config(self) -> dict:
        return yaml.safe_load(self.config.read_text())

    def write_json(self, path: Path, data: dict) -> None:
        write_text_atomic(path, json.dumps(data, indent=2) + "\n")

    def read_json(self, path: Path) -> dict:
        return json.loads(path.read_text()) if path.is_file() else {}

    # ---- metrics
    def append_metrics(self, row: dict) -> None:
        with open(self.metrics, "a") as f:
            f.write(json.dumps(row) + "\n")

    def read_metrics(self) -> list[dict]:
        if not self.metrics.is_file():
            return []
        rows = []
        for line in self.metrics.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a crash
                continue
        return rows

    def train_rows(self) -> list[dict]:
        return [r for r in self.read_metrics() if "loss_d" in r]

    def eval_rows(self) -> list[dict]:
        return [r for r in self.read_metrics() if "eval" in r]

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
                raise GankitError(f"{self.path} has no best checkpoint yet (it needs eval.every > 0 during training)")
            return path
        return Path(which).expanduser()

    # ---- sample frames
    def frame_path(self, step: int) -> Path:
        return self.samples / f"step-{step:07d}.png"

    def frames(self) -> list[Path]:
        return sorted(self.samples.glob("step-*.png"))


def frame_step(path: Path) -> int:
    return int(path.stem.split("-")[1])


@contextmanager
def atomic(path: Path):
    """Yield a temporary path beside ``path``; rename it into place only once fully written, so
    an interrupt mid-write never leaves a truncated file behind (the old one stays intact)."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    with atomic(path) as tmp, open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
