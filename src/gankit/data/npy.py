"""Reading .npy arrays a user hands over: the header first, the data only if it is sane."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gankit.errors import GankitError, why

#: the most bytes an input array may hold (its header is read first; the data only if it fits)
MAX_ARRAY_BYTES = 4 * 2**30


def header_checked(path: Path, flag: str) -> np.ndarray:
    """A .npy memory-mapped, refused in one line if unreadable, an archive or too large."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise GankitError(f"{flag} {path} is not a readable .npy array ({why(exc)})") from None
    if not isinstance(array, np.ndarray):
        raise GankitError(f"{flag} {path} is an .npz archive; save one array with np.save as .npy")
    if array.nbytes > MAX_ARRAY_BYTES:
        raise GankitError(
            f"{flag} {path} claims {list(array.shape)} ({array.nbytes / 2**30:.0f} GiB), more "
            f"than {MAX_ARRAY_BYTES // 2**30} GiB; split it into several files"
        )
    return array
