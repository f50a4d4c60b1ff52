"""gankit.launcher: how a job under torchrun ends, in one line."""

import signal
import tempfile

import pytest

from gankit import launcher

SUMMARY = """torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
Root Cause (first observed failure):
[0]:
  rank      : 1 (local_rank: 1)
  exitcode  : -9 (pid: 123)
"""


@pytest.fixture(autouse=True)
def reports_in_tmp_path(monkeypatch, tmp_path):
    """The launcher keeps torchrun's report of a failed job in the temporary folder: here the
    test's own, not the machine's /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def supervised(code: int, sent: list[int], said: list[str]):
    def fake(command, filtered):
        filtered.log.write(SUMMARY)
        return code, sent, said

    return fake


def test_a_stop_no_rank_confirmed_names_the_cause_and_the_kept_checkpoint(monkeypatch, tmp_path,
                                                                          capsys):  # fmt: skip
    """A SIGTERM whose ranks died before saying 'stopped' was a silent exit 143: the user could
    not tell whether the stop checkpoint was written."""
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "latest.pt").write_bytes(b"x")
    monkeypatch.setattr(launcher, "_supervise", supervised(-15, [signal.SIGTERM], []))
    assert launcher.launch(["train", "--nproc", "2"], 2, str(tmp_path)) == 128 + signal.SIGTERM
    line = capsys.readouterr().err.strip()
    assert line.startswith(
        "gankit: error: stopped by SIGTERM, but no rank confirmed its stop checkpoint (rank 1 died "
        f"(SIGKILL)); the last checkpoint in {tmp_path / 'checkpoints'} is intact: gankit train "
        f"--resume {tmp_path} --nproc 2 (torchrun's report: "
    )
    assert "\n" not in line


def test_a_confirmed_stop_is_the_ranks_own_line(monkeypatch, tmp_path, capsys):
    said = ["gankit: stopped: at step 12 of 100 (SIGTERM); checkpoint saved."]
    monkeypatch.setattr(launcher, "_supervise", supervised(1, [signal.SIGTERM], said))
    assert launcher.launch(["train"], 2, str(tmp_path)) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == ""  # the filter already passed the rank's line on


def test_a_line_glued_to_the_progress_bar_is_still_recognised(tmp_path, capsys):
    """The lead's bar ends without a newline, so the next line in the shared pipe was appended to
    it: torchrun's log line reached the user and a rank's 'stopped' went unrecognised."""
    bar = "train:   0%|          | 11/1000000 [00:00<17:17:42, 16.06step/s]"
    with open(tmp_path / "log", "w") as log:
        filtered = launcher.StderrFilter(log)
        filtered.feed(f"{bar}W1206 15:32:14.430000 1954 api.py:753] Received 15 death signal\n")
        filtered.feed(f"{bar}gankit: stopped: at step 11 of 1000000 (SIGTERM); checkpoint saved.\n")
    assert filtered.said == ["gankit: stopped: at step 11 of 1000000 (SIGTERM); checkpoint saved."]
    assert capsys.readouterr().err == f"{bar}\n{bar}\n{filtered.said[0]}\n"
    assert (tmp_path / "log").read_text() == (
        "W1206 15:32:14.430000 1954 api.py:753] Received 15 death signal\n"
    )
