"""log.wandb: Weights & Biases beside TensorBoard, tested in W&B's offline mode by the files it
writes (no network): scalars, frames, config and report; a resume continues the same W&B run;
a missing package is a warning, a bad setting one line."""

import importlib.util

import pytest

from gankit.cli import main
from tests.conftest import TINY

pytest.importorskip("wandb")

SETS = [a for s in [*TINY, "log.wandb.project=gankit-test", "log.wandb.mode=offline"]
        for a in ("--set", s)]  # fmt: skip


def records(run) -> bytes:
    """Every .wandb log of the run (W&B's protobuf records: keys and values are plain bytes)."""
    import wandb

    # W&B's service process writes the log after run.finish() returns: on a loaded machine the
    # file held only its header when read at once (CI, stop 39); teardown waits for the service
    wandb.teardown()
    return b"".join(p.read_bytes() for p in sorted((run / "wandb").glob("offline-run-*/*.wandb")))


def test_offline_run_holds_scalars_frames_config_and_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "elsewhere"))  # the run's folder wins
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--steps", "4", *SETS]) == 0
    (folder,) = (run / "wandb").glob("offline-run-*")
    run_id = (run / "wandb.id").read_text().strip()
    assert folder.name.endswith(run_id) and len(run_id) == 8
    data = records(run)
    for key in (b"train/loss_d", b"train/loss_g", b"train/steps_per_s", b"nonsaturating",
                b"gankit-test"):  # fmt: skip
        assert key in data, key
    media = folder / "files" / "media"
    assert len(list((media / "images").glob("samples_*.png"))) == 3  # the frames of steps 0, 2, 4
    (page,) = (media / "html").glob("report_*.html")
    assert "gankit run" in page.read_text()
    assert f"wandb sync {folder}" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--steps", "6"]) == 0
    assert len(list((run / "wandb").glob(f"offline-run-*-{run_id}"))) == 2  # the same W&B run
    assert main(["train", "--out", str(run), "--overwrite", "--steps", "2", *SETS]) == 0


def test_a_missing_package_only_warns(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "wandb" else real(name, *a))  # fmt: skip
    with pytest.warns(UserWarning, match=r"W&B logging stopped: .*pip install 'gankit\[wandb\]'"):
        assert main(["train", "--out", str(tmp_path / "run"), "--steps", "2", *SETS]) == 0
    assert (tmp_path / "run" / "report.md").is_file()


@pytest.mark.parametrize("setting,message", [
    ("log.wandb.projekt=x", "unknown log.wandb key(s) projekt"),
    ("log.wandb.mode=offlne", "log.wandb.mode must be online, offline or disabled"),
], ids=["typo", "mode"])  # fmt: skip
def test_bad_settings_are_one_line(tmp_path, capsys, setting, message):
    sets = [*SETS, "--set", setting]
    assert main(["train", "--out", str(tmp_path / "run"), "--steps", "2", *sets]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "run").exists()
