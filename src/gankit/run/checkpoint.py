"""Checkpoints: written atomically (temp file, fsync, rename), read with weights_only=True."""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from gankit.errors import GankitError

FORMAT = "gankit-checkpoint-1"


def save_atomic(state: dict, path: Path) -> None:
    """A crash mid-write leaves the previous file at ``path`` intact."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def load(path: Path, map_location="cpu") -> dict:
    if not path.is_file():
        raise GankitError(f"no checkpoint at {path}; was the run started with this directory as --out?")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise GankitError(f"checkpoint {path} cannot be loaded safely ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:120]}); use another checkpoint") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GankitError(f"{path} is not a gankit checkpoint")
    return state


def numbered(directory: Path) -> list[Path]:
    return sorted(directory.glob("step-*.pt"))


def prune(directory: Path, keep: int) -> None:
    """Keep the newest ``keep`` numbered checkpoints (latest.pt is separate)."""
    old = numbered(directory)
    for path in old[: max(0, len(old) - keep)]:
        path.unlink()


def rng_state() -> dict:
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *map(float, np_state[2:])],
    }


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    random.setstate(_tuples(state["python"]))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), cached))


def _tuples(x):
    return tuple(_tuples(v) for v in x) if isinstance(x, (list, tuple)) else x
