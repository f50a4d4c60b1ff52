"""A full disk or a read-only folder at every place a run writes (issue 18): one line naming the
file, exit code 2, the last checkpoint intact, and a resume that finishes the run."""

import builtins
import errno
import io
import os

import pytest

from gankit.cli import main
from gankit.run import checkpoint as ckpt
from tests.conftest import FOLDER_ARGS, TINY

TINY_ARGS = [a for s in TINY for a in ("--set", s)]


def fail_writes(monkeypatch, site: str, occurrence: int = 1, code: int = errno.ENOSPC) -> list:
    """Make the ``occurrence``-th opening for writing of a file named ``site`` (or of its
    temporary twin) raise OSError(code). Returns the list of failures raised."""
    real_open = builtins.open
    state = {"seen": 0}
    raised = []

    def opener(file, mode="r", *args, **kwargs):
        name = (
            os.path.basename(os.fsdecode(file))
            if isinstance(file, (str, bytes, os.PathLike))
            else ""
        )
        final = name.lstrip(".").replace(
            ".tmp", ""
        )  # .config.tmp.yaml / .latest.pt.tmp -> the real name
        if any(c in mode for c in "wax+") and (
            final == site or (site.endswith("*") and final.startswith(site[:-1]))
        ):
            state["seen"] += 1
            if state["seen"] == occurrence:
                raised.append(final)
                raise OSError(code, os.strerror(code), os.fsdecode(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", opener)
    monkeypatch.setattr(io, "open", opener)
    return raised


# site, occurrence, whether a checkpoint exists by then (else the new run is removed)
SITES = [
    ("config.yaml", 1, False),
    ("step-0000000.png", 1, False),  # the first frame comes before the step-0 checkpoint
    ("latest.pt", 1, False),
    ("metrics.jsonl", 1, True),
    ("step-0000002.png", 1, True),
    ("latest.pt", 2, True),
    ("step-0000002.pt", 1, True),
    ("best.png", 1, True),
    ("best.json", 1, True),
    ("summary.json", 1, True),
    ("progress.gif", 1, True),
    ("losses.png", 1, True),
    ("report.md", 1, True),
]


@pytest.mark.parametrize("site,occurrence,kept", SITES, ids=[f"{s}#{o}" for s, o, _ in SITES])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS], ids=["full", "read-only"])
def test_a_failed_write_is_one_line_and_the_run_resumes(
    site, occurrence, kept, code, tmp_path, monkeypatch, capsys
):
    run = tmp_path / "run"
    raised = fail_writes(monkeypatch, site, occurrence, code)
    status = main(["train", "--out", str(run), "--steps", "4", *TINY_ARGS])
    monkeypatch.undo()
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("gankit: error:")]
    assert raised == [site] and status == 2 and len(errors) == 1, err
    reason = "the disk is full" if code == errno.ENOSPC else os.strerror(code)
    assert "could not write" in errors[0] and site in errors[0] and reason in errors[0], errors[0]
    assert "Traceback" not in err
    if not kept:  # nothing of a run without a checkpoint is left behind
        assert "nothing of" in errors[0] and "was kept" in errors[0] and not run.exists()
        return
    assert (
        "the last checkpoint" in errors[0]
        and "is intact" in errors[0]
        and f"--resume {run}" in errors[0]
    )
    ckpt.load(run / "checkpoints" / "latest.pt")  # verifies
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    assert main(["train", "--resume", str(run)]) == 0, capsys.readouterr().err
    assert ckpt.load(run / "checkpoints" / "latest.pt").step == 4 and (run / "report.md").is_file()


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_tensorboard_that_cannot_write_only_warns(tmp_path, monkeypatch, capsys):
    fail_writes(monkeypatch, "events.out.tfevents*")
    with pytest.warns(UserWarning, match="TensorBoard logging stopped"):
        assert main(["train", "--out", str(tmp_path / "run"), "--steps", "2", *TINY_ARGS]) == 0


def test_read_only_out_is_one_line(tmp_path, monkeypatch, capsys):
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):
        if "ro" in os.fsdecode(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    assert main(["train", "--out", str(tmp_path / "ro" / "run"), "--steps", "2", *TINY_ARGS]) == 2
    err = capsys.readouterr().err
    assert (
        "cannot create run directory" in err
        and "Read-only file system" in err
        and "Traceback" not in err
    )


@pytest.fixture
def finished(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--steps", "2", *TINY_ARGS]) == 0
    capsys.readouterr()
    return run


def test_read_only_run_for_resume_report_and_eval(finished, monkeypatch, capsys):
    before = {p: p.read_bytes() for p in finished.rglob("*") if p.is_file()}
    real_os_open = os.open

    def os_open(path, flags, *args):
        if str(finished) in os.fsdecode(path) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_os_open(path, flags, *args)

    monkeypatch.setattr(os, "open", os_open)
    assert main(["train", "--resume", str(finished), "--steps", "4"]) == 2
    assert "cannot write in run directory" in capsys.readouterr().err
    fail_writes(monkeypatch, "report.md", code=errno.EROFS)
    assert main(["report", str(finished)]) == 2
    assert "could not write" in capsys.readouterr().err
    fail_writes(monkeypatch, "eval.json", code=errno.EROFS)
    assert (
        main(["eval", str(finished), "--metrics", "kid", "--n", "8", "--extractor", "random_conv"])
        == 2
    )
    out, err = capsys.readouterr()
    assert "kid" in out and "could not write" in err and "the results are printed above" in err
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in finished.rglob("*") if p.is_file()} == before


def test_unwritable_cache_falls_back_with_a_warning(tmp_path, monkeypatch, capsys):
    from PIL import Image

    (tmp_path / "imgs").mkdir()
    for i in range(4):
        Image.new("RGB", (20, 20), (60 * i, 0, 0)).save(tmp_path / "imgs" / f"{i}.png")
    (tmp_path / "a_file").write_text("x")
    monkeypatch.setenv(
        "GANKIT_CACHE", str(tmp_path / "a_file" / "cache")
    )  # under a file: never writable
    with pytest.warns(UserWarning, match="cache not written"):
        assert (
            main(
                [
                    "train",
                    "--data",
                    str(tmp_path / "imgs"),
                    "--out",
                    str(tmp_path / "run"),
                    "--steps",
                    "1",
                    *FOLDER_ARGS,
                ]
            )
            == 0
        )


def test_ctrl_c_while_the_report_is_drawn_is_clean_and_report_rebuilds(tmp_path):
    import subprocess
    import sys

    run = tmp_path / "run"
    env = {**os.environ, "GANKIT_FAULT": "report:sigint"}
    proc = subprocess.run(
        [sys.executable, "-m", "gankit", "train", "--out", str(run), "--steps", "2", *TINY_ARGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and f"gankit report {run}" in proc.stderr
    assert (
        not (run / "report.md").exists() and ckpt.load(run / "checkpoints" / "latest.pt").step == 2
    )
    assert not list(run.glob(".*tmp*"))  # no half-written file left behind
    assert main(["report", str(run)]) == 0 and (run / "report.md").is_file()


@pytest.mark.parametrize("occurrence,kept", [(1, False), (2, True)], ids=["first", "second"])
def test_out_of_memory_at_a_checkpoint_is_one_line_and_resumable(
    occurrence, kept, tmp_path, monkeypatch, capsys
):
    """A memory limit hit while a checkpoint is serialised: one line naming the fix, no second
    error, and the run either removed (no checkpoint yet) or resumable to the end."""
    real, calls = ckpt.serialise, []

    def serialise(state):
        calls.append(state["step"])
        if len(calls) == occurrence:
            raise MemoryError
        return real(state)

    monkeypatch.setattr(ckpt, "serialise", serialise)
    run = tmp_path / "run"
    status = main(["train", "--out", str(run), "--steps", "4", *TINY_ARGS])
    monkeypatch.undo()
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("gankit: error:")]
    assert status == 2 and len(errors) == 1 and "Traceback" not in err, err
    assert f"out of memory at step {calls[-1]}" in errors[0] and "train.batch_size" in errors[0]
    if not kept:
        assert "nothing of it was kept" in errors[0] and not run.exists()
        return
    assert f"--resume {run}" in errors[0]
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    assert main(["train", "--resume", str(run)]) == 0, capsys.readouterr().err
    assert ckpt.load(run / "checkpoints" / "latest.pt").step == 4


def test_out_of_memory_outside_training_is_one_line(tmp_path, monkeypatch, capsys):
    import torch

    def refuse(*args, **kwargs):
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
            "memory: you tried to allocate 153600000 bytes. Error code 12 (Cannot allocate memory)"
        )

    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--steps", "2", *TINY_ARGS]) == 0
    monkeypatch.setattr(torch, "randn", refuse)
    assert main(["sample", str(run), "--n", "8", "--out", str(tmp_path / "s.npy")]) == 2
    err = capsys.readouterr().err
    assert "gankit: error: out of memory (an allocation of 146 MiB failed)" in err
    assert "Traceback" not in err and not (tmp_path / "s.npy").exists()
