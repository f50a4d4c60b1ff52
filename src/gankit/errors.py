"""The one exception type users see: a clear one-line message, exit code 2."""


def one_line(text: str) -> str:
    """Escape newlines and control characters, which user input may carry into a message."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class GankitError(Exception):
    """A problem with the user's input, reported as one line naming the problem and the fix."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(one_line(str(message)))


class Interrupted(GankitError):
    """The user stopped training (Ctrl-C); a checkpoint was saved first."""

    exit_code = 130


class Terminated(Interrupted):
    """SIGTERM outside training: raised where the process stands, so every file being written
    is removed by its ``atomic`` block on the way out (exit code 143)."""

    exit_code = 143


class TranslationRun(GankitError):
    """The run translates images between domains: it has no generator that samples from noise
    (export takes the translation path on it)."""


class WriteError(GankitError):
    """A file of a run (or a cache) could not be written: a full disk, a read-only folder."""


def why(exc: Exception) -> str:
    """A short reason for an OSError, e.g. 'the disk is full' or 'Read-only file system' (the
    first line of the message for any other error)."""
    import errno

    if not isinstance(exc, OSError):
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    # numpy's tofile raises an OSError with no errno ("640 requested and 0 written")
    other = exc.strerror or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded"}.get(
        exc.errno, other
    )


def out_of_memory(exc: BaseException) -> str | None:
    """'out of memory (...)' when ``exc`` is an allocation failure (Python's MemoryError, the
    CPU allocator's RuntimeError, CUDA's OutOfMemoryError), else None."""
    import re

    text = str(exc)
    cpu = isinstance(exc, RuntimeError) and "can't allocate memory" in text
    cuda = type(exc).__name__ == "OutOfMemoryError"
    if not (isinstance(exc, MemoryError) or cpu or cuda):
        return None
    asked = re.search(r"allocate (\d+) bytes", text) or re.search(
        r"allocate ([\d.]+ [KMGT]iB)", text
    )
    if asked is None:
        return "out of memory"
    size = asked.group(1)
    size = f"{int(size) / 2**20:.0f} MiB" if size.isdigit() else size
    return f"out of memory (an allocation of {size} failed)"


def interrupted(exc: BaseException) -> bool:
    """Whether a Ctrl-C lies behind ``exc``: libraries re-raise one caught mid-import or
    mid-export as their own error (an ImportError, an exporter error)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
