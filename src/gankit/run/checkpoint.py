"""Checkpoints that survive crashes.

File layout: ``torch.save`` payload | sha256(payload) (32 bytes) | MAGIC (8 bytes). The payload
is serialised once in memory, then written to a temporary file, fsynced and renamed into place,
so a crash at any moment leaves the previous checkpoint intact; a truncated or corrupt file
fails its checksum and an older checkpoint is used instead. Payloads are read with
``weights_only=True``: a checkpoint that would run code when unpickled is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from gankit.errors import GankitError, WriteError, why
from gankit.run import faults

FORMAT = "gankit-checkpoint-2"  # 2: named networks and optimisers (1: G/D/opt_g/opt_d)
MAGIC = b"GANKIT01"
FOOTER = 32 + len(MAGIC)


def serialise(state: dict) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    payload = buf.getvalue()
    return payload + hashlib.sha256(payload).digest() + MAGIC


def save_atomic(data: bytes, path: Path, step: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            faults.kill_mid_write(step, f, data)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise WriteError(f"could not write checkpoint {path} ({why(exc)})") from None
    with contextlib.suppress(OSError):  # make the rename itself durable, where the OS allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@dataclass
class Checkpoint:
    """Everything a training checkpoint holds (format 2): the one description of its layout.

    The training loop fills it (the trainer's part from ``Trainer.state_dict``) and writes
    ``to_dict()``; resuming, sampling, translating, exporting and evaluating read it with
    ``load``. Tensors stay on the device ``load`` maps them to.
    """

    step: int  # iterations done
    config: dict  # the run's Config as plain data
    data_shape: list  # one sample's shape: [C, S, S] or [D]
    networks: dict  # network name -> state_dict
    ema: dict  # network name -> its EMA copy's state_dict ({} without model.ema)
    rng: dict  # the RNG states (rank 0's under torchrun; see rank_rng)
    fixed_z: torch.Tensor  # what the progress frames draw from
    stats: dict  # running means not logged yet
    guard: dict  # the NaN guard's rollback count (its learning-rate scale follows from it)
    train_seconds: float  # training time so far, over every resume
    optimizers: dict = field(default_factory=dict)  # network name -> optimiser state_dict
    counts: dict = field(default_factory=dict)  # phase name -> runs done
    #: what G reads (Latent.to_dict); None: plain z of model.z_dim, or no sampler (translation)
    latent: dict | None = None
    model: dict = field(default_factory=dict)  # the model's own state (regularisers, domains)
    data_stream: dict = field(default_factory=dict)  # where the data stream stands
    world_size: int = 1  # processes that trained it (a resume needs as many)
    precision: str | None = None  # fp32 or bf16 (None: written before train.amp=auto)
    rank_rng: list | None = None  # every rank's RNG states under torchrun
    best: dict | None = None  # the best evaluation so far {metric, value, step}

    #: the fields the trainer writes and restores (Trainer.state_dict)
    TRAINER = ("step", "counts", "latent", "networks", "optimizers", "ema", "model",
               "data_stream", "rng", "world_size", "precision", "rank_rng")  # fmt: skip

    def to_dict(self) -> dict:
        """What ``serialise`` writes: plain containers and tensors, and the format."""
        return {"format": FORMAT, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_dict(cls, state: dict, path: Path) -> Checkpoint:
        """A verified payload as a record; keys this version does not know are ignored."""
        wrong = [k for k, kind in CONTENTS.items() if not isinstance(state.get(k), kind)]
        if wrong:
            raise GankitError(
                f"{path} is not a gankit checkpoint of this run (no valid {', '.join(wrong)})"
            )
        known = {f.name for f in fields(cls)}
        record = cls(**{k: v for k, v in state.items() if k in known})
        if record.precision is None:  # written before train.amp=auto: its config says
            amp = record.config.get("train", {}).get("amp", "none")
            record.precision = "bf16" if amp == "bf16" else "fp32"
        return record

    def trainer_state(self) -> dict:
        """The part ``Trainer.load_state_dict`` restores."""
        return {name: getattr(self, name) for name in self.TRAINER}


def load(path: Path, map_location="cpu") -> Checkpoint:
    """Read and verify one run checkpoint (format, contents); any problem is one line."""
    state = read(path, map_location)
    found = state.get("format")
    if found == "gankit-checkpoint-1":
        state, found = upgrade_v1(state), FORMAT
    if isinstance(found, str) and found.startswith("gankit-checkpoint-") and found != FORMAT:
        raise GankitError(
            f"{path} is a checkpoint of format {found}, this gankit reads {FORMAT}; sample or "
            f"resume it with the gankit version that wrote it, or start a new run"
        )
    if found != FORMAT:
        raise GankitError(f"{path} is not a gankit checkpoint")
    return Checkpoint.from_dict(state, path)


def fingerprint(path: Path) -> str:
    """The sha256 of a checkpoint's payload, read from its footer (not the whole file): what
    identifies one saved state, e.g. to know whether scores computed from it still apply."""
    try:
        with open(path, "rb") as f:
            f.seek(-FOOTER, os.SEEK_END)
            footer = f.read(FOOTER)
    except OSError as exc:
        raise GankitError(f"cannot read checkpoint {path} ({why(exc)})") from None
    if footer[-len(MAGIC) :] != MAGIC:
        raise GankitError(f"{path} is not a gankit checkpoint (no checksum footer)")
    return footer[: -len(MAGIC)].hex()


def read(path: Path, map_location="cpu") -> dict:
    """Any file written by ``serialise``: checksum verified, unpickled with weights only."""
    if not path.is_file():
        raise GankitError(
            f"no checkpoint at {path}; was the run started with this directory as --out?"
        )
    blob = path.read_bytes()
    payload, digest, magic = blob[:-FOOTER], blob[-FOOTER : -len(MAGIC)], blob[-len(MAGIC) :]
    if magic != MAGIC or hashlib.sha256(payload).digest() != digest:
        raise GankitError(f"checkpoint {path} is truncated or corrupt (checksum mismatch)")
    try:
        state = torch.load(io.BytesIO(payload), map_location=map_location, weights_only=True)
    except Exception as exc:
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            raise GankitError(
                f"checkpoint {path} contains pickled objects that could run code; refusing "
                f"to load it (gankit checkpoints hold only tensors and plain data)"
            ) from None
        raise GankitError(f"checkpoint {path} cannot be read ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise GankitError(f"{path} is not a gankit checkpoint")
    return state


def upgrade_v1(state: dict) -> dict:
    """A format-1 checkpoint (one G and one D) in format 2's terms: the same tensors, renamed."""
    renamed = {"networks": {"G": state.get("G"), "D": state.get("D")},
               "optimizers": {"G": state.get("opt_g"), "D": state.get("opt_d")},
               "ema": {"G": state["G_ema"]} if state.get("G_ema") is not None else {},
               "model": {"regularizers": state.get("regularizers", [])},
               "counts": {"d": state.get("d_steps", 0), "g": state.get("step", 0)}}  # fmt: skip
    old = ("G", "D", "opt_g", "opt_d", "G_ema", "regularizers", "d_steps")
    return {**{k: v for k, v in state.items() if k not in old}, **renamed, "format": FORMAT}


#: what every checkpoint holds, and of what type (the rest is checked when it is restored)
CONTENTS = {
    "step": int,
    "config": dict,
    "networks": dict,
    "ema": dict,
    "data_shape": list,
    "rng": dict,
    "fixed_z": torch.Tensor,
    "stats": dict,
    "guard": dict,
    "train_seconds": (int, float),
}


def numbered(directory: Path) -> list[Path]:
    return sorted(directory.glob("step-*.pt"))


def load_newest_good(directory: Path, map_location="cpu") -> tuple[Checkpoint, Path]:
    """latest.pt, or else the newest numbered checkpoint that verifies (with a warning)."""
    candidates = [directory / "latest.pt"] + numbered(directory)[::-1]
    problems = []
    for path in candidates:
        if not path.is_file():
            continue
        try:
            state = load(path, map_location)
        except GankitError as exc:
            problems.append(str(exc))
            continue
        for problem in problems:
            warnings.warn(f"{problem}; using {path.name} (step {state.step}) instead")
        return state, path
    if not problems:
        raise NoCheckpoint(f"no checkpoint in {directory}")
    raise GankitError(
        f"no usable checkpoint in {directory}: {problems[-1]}; move the damaged files out of "
        f"{directory} and gankit train --resume {directory.parent} starts the run again from step 0"
    )


class NoCheckpoint(GankitError):
    """A run directory without any checkpoint file (killed before its first one)."""


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
        "numpy": [
            np_state[0],
            torch.from_numpy(np_state[1].astype(np.int64)),
            *map(float, np_state[2:]),
        ],
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
