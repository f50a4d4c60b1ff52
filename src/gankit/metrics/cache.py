"""Real-data features cached on disk, keyed by dataset + preprocessing + extractor + n."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from gankit.errors import WriteError
from gankit.run.rundir import atomic

#: $GANKIT_CACHE/stats (default ~/.cache/gankit/stats), beside the decoded-image cache
DEFAULT_ROOT = "default"


class RealFeatureCache:
    def __init__(self, dataset: dict, root: str | Path = DEFAULT_ROOT):
        if root == DEFAULT_ROOT:
            root = Path(os.environ.get("GANKIT_CACHE", "~/.cache/gankit")).expanduser() / "stats"
        self.dataset, self.root = dataset, Path(root).expanduser()

    def path(self, extractor_key: str, n: int) -> Path:
        # "uint8-seed0": real samples are the first n of a seed-0 permutation, quantised to uint8
        key = json.dumps(
            {"data": self.dataset, "n": n, "extractor": extractor_key, "samples": "uint8-seed0"},
            sort_keys=True,
            default=str,
        )
        return (
            self.root
            / f"{self.dataset.get('name', 'data')}-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npy"
        )

    def load(self, extractor_key: str, n: int) -> np.ndarray | None:
        path = self.path(extractor_key, n)
        try:
            return np.load(path) if path.is_file() else None
        except (OSError, ValueError):  # a damaged cache entry is recomputed
            return None

    def save(self, extractor_key: str, n: int, features: np.ndarray) -> None:
        """Best effort: an unwritable cache folder means recomputing next time, not failing now."""
        path = self.path(extractor_key, n)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic(path) as tmp:
                np.save(tmp, features)
        except (OSError, WriteError) as exc:
            warnings.warn(f"real-feature cache not written ({exc}); continuing without it")
