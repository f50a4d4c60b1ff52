"""``gankit train --nproc N``: torchrun under a launcher that forwards a stop once and turns a
failed job into one line.

torchrun's own report of a failure is a traceback (ChildFailedError) after the surviving ranks'
gloo tracebacks. The launcher passes the ranks' output through until the first traceback, keeps
everything from there in a log file, still passes on the ranks' own ``gankit:`` lines, and ends a
job that died without one with: which rank died and how, what the run kept, how to resume.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

#: the start of a traceback, from a rank ("[rank0]: Traceback") or from torchrun itself
TRACEBACK = re.compile(r"^(\[rank\d+\]: )?Traceback \(most recent call last\)")
#: torchrun's log lines (glog style: W1205 12:33:51.774000 ...)
ELASTIC_LOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d")
#: a rank's own message (a one-line error, a stop), possibly under torch's rank prefix
OWN = re.compile(r"^(\[rank\d+\]: )?(gankit: .*)")
#: where such a line, or torchrun's, starts inside another: the ranks and torchrun share one pipe,
#: and the lead's progress bar ends without a newline ("...step/s]gankit: stopped: ...")
GLUED = re.compile(r"(\[rank\d+\]: )?gankit: |[IWEF]\d{4} \d\d:\d\d:\d\d")


class StderrFilter:
    """Torchrun's stderr, line by line: what the user sees and what goes to the log."""

    def __init__(self, log):
        self.log, self.hiding, self.said = log, False, []

    def feed(self, line: str) -> None:
        glued = GLUED.search(line, 1)
        if glued and not (OWN.match(line) or ELASTIC_LOG.match(line)):
            self.feed(line[: glued.start()] + "\n")  # the bar's text, then the line after it
            self.feed(line[glued.start() :])
            return
        self.hiding = self.hiding or bool(TRACEBACK.match(line))
        own = OWN.match(line)
        if own:  # every rank says the same: each stop or error once
            text = own.group(2).rstrip("\r\n")
            if text.startswith(("gankit: error:", "gankit: stopped:")):
                if text in self.said:
                    return
                self.said.append(text)
            print(text, file=sys.stderr, flush=True)
        elif self.hiding or ELASTIC_LOG.match(line):
            self.log.write(line if line.endswith("\n") else line + "\n")
        else:
            sys.stderr.write(line)
            sys.stderr.flush()


def root_cause(text: str) -> str:
    """'rank 1 died (SIGKILL)' from torchrun's failure summary; 'a rank died' if not there."""
    cause = text.rsplit("Root Cause", 1)[-1] if "Root Cause" in text else ""
    rank = re.search(r"rank\s*:\s*(\d+)", cause)
    code = re.search(r"exitcode\s*:\s*(-?\d+)", cause)
    who = f"rank {rank.group(1)}" if rank else "a rank"
    if code is None:
        return f"{who} died"
    number = int(code.group(1))
    how = signal.Signals(-number).name if number < 0 and -number in signal.valid_signals() else ""
    return f"{who} died ({how or f'exit code {number}'})"


def kept(run: str | None, nproc: int) -> str:
    """What a resume can start from, for the one line."""
    if run is None:
        return f"resume its run directory with gankit train --resume RUN --nproc {nproc}"
    if (Path(run) / "checkpoints" / "latest.pt").is_file():
        return (
            f"the last checkpoint in {Path(run) / 'checkpoints'} is intact: "
            f"gankit train --resume {run} --nproc {nproc}"
        )
    return f"it had no checkpoint yet: start it again (gankit train ... --out {run} --overwrite)"


def launch(argv: list[str], nproc: int, run: str | None) -> int:
    """``gankit train --nproc N ...`` = ``torchrun --standalone --nproc_per_node N -m gankit ...``;
    ``run`` is the run directory when the command names it (--out or --resume)."""
    if nproc < 1:
        print(f"gankit: error: --nproc must be >= 1, got {nproc}", file=sys.stderr)
        return 2
    rest = [
        a for i, a in enumerate(argv) if a != "--nproc" and (i == 0 or argv[i - 1] != "--nproc")
    ]
    rest = [a for a in rest if not a.startswith("--nproc=")]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={nproc}", "-m", "gankit.cli", *rest]  # fmt: skip
    log = tempfile.NamedTemporaryFile("w", prefix="gankit-torchrun-", suffix=".log", delete=False)
    with log:
        code, sent, said = _supervise(command, StderrFilter(log))
    if code == 0 or said:  # done, or a rank said how it ended (its stop or its error)
        Path(log.name).unlink(missing_ok=True)
        return 128 + sent[0] if sent else 0 if code == 0 else 2
    if sent:  # asked to stop, but no rank reported its stop checkpoint
        print(f"gankit: error: stopped by {signal.Signals(sent[0]).name}, but no rank confirmed "
              f"its stop checkpoint ({root_cause(Path(log.name).read_text())}); "
              f"{kept(run, nproc)} (torchrun's report: {log.name})", file=sys.stderr)  # fmt: skip
        return 128 + sent[0]
    print(f"gankit: error: {root_cause(Path(log.name).read_text())}; {kept(run, nproc)} "
          f"(torchrun's report: {log.name})", file=sys.stderr)  # fmt: skip
    return 2


def _supervise(command: list[str], filtered: StderrFilter) -> tuple[int, list[int], list[str]]:
    """Run torchrun in its own session (its shutdown signals its process group, which must not be
    ours), forwarding the first SIGTERM/SIGINT once: a second would make the ranks quit before
    their checkpoint."""
    child = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE)
    sent = []

    def forward(signum, frame):
        if not sent:
            sent.append(signum)
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for line in _lines(child.stderr):
            filtered.feed(line)
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code, sent, filtered.said


def _lines(stream):
    """Decoded pieces each ending at a newline or a carriage return, so progress bars move."""
    piece = b""
    while chunk := stream.read1(4096):
        for part in re.split(rb"(?<=[\r\n])", piece + chunk):
            if part.endswith((b"\n", b"\r")):
                yield part.decode(errors="replace")
            piece = part  # the last part is unfinished (or empty)
        if piece.endswith((b"\n", b"\r")):
            piece = b""
    if piece:
        yield piece.decode(errors="replace")
