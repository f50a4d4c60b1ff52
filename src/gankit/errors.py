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
