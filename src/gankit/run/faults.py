"""Fault injection for crash tests. ``GANKIT_FAULT=step:N`` SIGKILLs the process right after
generator step N; ``GANKIT_FAULT=checkpoint:N`` SIGKILLs it halfway through writing the
checkpoint of step N. Under torchrun, ``GANKIT_FAULT_RANK=R`` arms them in rank R only. Unset
(always, outside tests), these are no-ops."""

from __future__ import annotations

import os
import signal


def armed(point: str, step: int) -> bool:
    rank = os.environ.get("GANKIT_FAULT_RANK")
    if rank is not None and rank != os.environ.get("RANK", "0"):
        return False
    return os.environ.get("GANKIT_FAULT") == f"{point}:{step}"


def kill_after_step(step: int) -> None:
    if armed("step", step):
        os.kill(os.getpid(), signal.SIGKILL)


def kill_mid_write(step: int | None, f, data: bytes) -> None:
    """Write half of ``data``, make it durable, then die: a crash inside a checkpoint write."""
    if step is not None and armed("checkpoint", step):
        f.write(data[: len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        os.kill(os.getpid(), signal.SIGKILL)


def interrupt_in_report() -> None:
    """``GANKIT_FAULT=report:sigint``: a Ctrl-C while the final pictures and report are drawn."""
    if os.environ.get("GANKIT_FAULT") == "report:sigint":
        os.kill(os.getpid(), signal.SIGINT)
