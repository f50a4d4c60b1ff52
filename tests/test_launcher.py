"""gankit.launcher: how a job under torchrun ends, in one line."""

import signal

from gankit import launcher

SUMMARY = """torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
Root Cause (first observed failure):
[0]:
  rank      : 1 (local_rank: 1)
  exitcode  : -9 (pid: 123)
"""


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
