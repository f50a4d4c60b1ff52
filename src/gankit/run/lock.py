"""One process per run directory: an OS-level lock (flock) on ``RUN/.lock``.

The kernel drops a flock when its process dies, however it dies, so a SIGKILLed trainer never
leaves a stale lock behind; the file itself stays (deleting lock files races with other lockers).
"""

from __future__ import annotations

import os
from pathlib import Path

from gankit.errors import GankitError, why

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no locking
    fcntl = None


class RunLock:
    """Held from ``acquire`` until ``release`` or the end of the process."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / ".lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None or self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise GankitError(
                f"cannot write in run directory {self.path.parent} ({why(exc)}); "
                f"training needs a writable run directory"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise GankitError(
                f"run directory {self.path.parent} is in use by another gankit process "
                f"(PID {holder}); wait for it to finish or stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def holder(self) -> int | None:
        """The PID holding the lock now, or None when nobody does."""
        if fcntl is None or not self.path.is_file():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        finally:
            os.close(fd)
