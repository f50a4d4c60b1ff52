"""Decoded image folders, cached on disk as one uint8 array, so that later runs read no JPEGs.

The key covers everything the pixels depend on: the files (names, sizes, modification times;
a zip's size and time), the target resolution and channels, and the preprocessing version.
Arrays are memory-mapped on load: a batch reads only its own rows from the page cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from gankit.errors import WriteError
from gankit.run.rundir import atomic

#: bump when the decode/resize pipeline changes, so stale caches are not reused
PREPROCESSING = "short-side-bicubic-antialias-centre-crop-v1"


def cache_root() -> Path:
    return Path(os.environ.get("GANKIT_CACHE", "~/.cache/gankit")).expanduser() / "decoded"


def cache_key(root: Path, names: list[str], resolution: int, channels: int) -> str:
    # os.fsencode: file names need not be valid UTF-8 (Python keeps such bytes as surrogates)
    h = hashlib.sha256(
        os.fsencode(root.resolve()) + f"|{resolution}|{channels}|{PREPROCESSING}".encode()
    )
    if root.is_dir():
        for name in names:
            st = os.stat(name)
            h.update(os.fsencode(name) + f"|{st.st_size}|{st.st_mtime_ns}\n".encode())
    else:
        st = root.stat()
        h.update(f"{st.st_size}|{st.st_mtime_ns}|{len(names)}".encode())
    return h.hexdigest()[:24]


def load(key: str) -> tuple[torch.Tensor, dict] | None:
    array, meta = cache_root() / f"{key}.npy", cache_root() / f"{key}.json"
    if not (array.is_file() and meta.is_file()):
        return None
    try:
        images = np.load(array, mmap_mode="r")
        info = json.loads(meta.read_text())
        if not isinstance(info, dict) or not {"skipped", "upsampled"} <= info.keys():
            raise ValueError("its .json lacks skipped/upsampled")
    except (OSError, ValueError) as exc:  # a damaged cache is rebuilt, never fatal
        warnings.warn(f"the decoded-image cache {meta.name} is damaged ({exc}); decoding again")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # read-only memory map: torch warns, gankit never writes to it
        return torch.from_numpy(images), info


def save(key: str, images: torch.Tensor, info: dict) -> None:
    """Best effort: an unwritable or full cache folder only costs the next run a decode."""
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with atomic(root / f"{key}.npy") as tmp:
            with open(tmp, "wb") as f:
                np.save(f, images.numpy())
        with atomic(root / f"{key}.json") as tmp:
            Path(tmp).write_text(json.dumps(info))
    except (OSError, WriteError) as exc:
        warnings.warn(
            f"decoded-image cache not written ({exc}); continuing without it "
            f"(set GANKIT_CACHE to a writable folder to keep one)"
        )
