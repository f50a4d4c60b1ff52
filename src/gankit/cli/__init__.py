"""Command line: ``gankit train | sample | translate | eval | nearest | export | report | presets
| sweep | demo``: ``parsers`` (the grammar), ``commands`` (what each does) and ``main``, which
turns every failure into one line and an exit code."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings

from gankit.cli.commands import COMMANDS, check_train_config
from gankit.cli.parsers import parser
from gankit.errors import GankitError, Interrupted, Terminated, interrupted, out_of_memory


def _warning(message, category, filename, lineno, file=None, line=None):
    return f"gankit: warning: {message}\n"


def _terminated(signum, frame):
    raise Terminated("by SIGTERM; no half-written file was left behind")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    if args.command == "train" and args.nproc != 1 and "WORLD_SIZE" not in os.environ:
        return _launch(args, argv)
    warnings.formatwarning = _warning
    previous = _on_sigterm(_terminated)  # training installs its own handler while it runs
    try:
        from gankit.plugins import load

        load(args.imports)
        COMMANDS[args.command](args)
    except GankitError as exc:
        # a user's stop is not an error: training was saved and says how to go on
        kind = "stopped" if isinstance(exc, Interrupted) else "error"
        print(f"gankit: {kind}: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `gankit presets | head`: the reader has what it wanted
        with contextlib.suppress(OSError, ValueError):  # no second error as Python exits
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # anything but these is a bug: its traceback stays
        return _failed(exc)
    except KeyboardInterrupt:  # before training started: nothing to save
        print("gankit: interrupted", file=sys.stderr)
        return 130
    finally:
        _on_sigterm(previous)
    return 0


def _launch(args, argv: list[str]) -> int:
    """``gankit train --nproc N``: check the config once, then one process per rank."""
    try:  # a config error is one line here, not N ranks' tracebacks under torchrun
        check_train_config(args)
    except GankitError as exc:
        print(f"gankit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    from gankit.launcher import launch

    return launch(argv, args.nproc, args.out or args.resume)


def _failed(exc: Exception) -> int:
    """An interrupt or out-of-memory deep inside a command is one line; anything else re-raises."""
    if interrupted(exc):
        print("gankit: interrupted", file=sys.stderr)
        return 130
    if (oom := out_of_memory(exc)) is None:
        raise exc
    print(f"gankit: error: {oom}; ask for less (a smaller --n, batch or image size) or "
          f"free memory", file=sys.stderr)  # fmt: skip
    return 2


def _on_sigterm(handler):
    """Install a SIGTERM handler (the main thread only can); the previous one."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, TypeError):  # another thread, or no handler to restore
        return handler
