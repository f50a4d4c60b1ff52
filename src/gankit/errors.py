"""The one exception type users see: a clear one-line message, exit code 2."""


class GankitError(Exception):
    """A problem with the user's input, reported as one line naming the problem and the fix."""

    exit_code = 2


class Interrupted(GankitError):
    """The user stopped training (Ctrl-C); a checkpoint was saved first."""

    exit_code = 130
