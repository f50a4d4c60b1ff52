"""The run directory contract, end to end through the command line."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml
from PIL import Image

from gankit.cli import main
from tests.conftest import TINY


def train(out, *extra):
    return main(["train", "--out", str(out), *[a for s in TINY for a in ("--set", s)], *extra])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    assert train(out, "--steps", "4") == 0
    return out


def frames(run):
    return sorted((run / "samples").glob("step-*.png"))


def gif_frames(run) -> int:
    """What progress.gif must hold: the frames from the first with visible content on (a few
    steps of a tiny G can still be flat grey; the last frame always stays). The rule itself is
    checked on known frames in tests/run/test_report.py."""
    from gankit.run.artifacts import _is_flat

    found = frames(run)
    first = next((i for i, f in enumerate(found[:-1]) if not _is_flat(Image.open(f))), None)
    return len(found) - (len(found) - 1 if first is None else first)


def test_every_artefact_exists_and_is_valid(run_dir):
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert cfg["train"]["steps"] == 4 and cfg["data"]["resolution"] == 16
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4]
    assert all({"loss_d", "loss_g", "d_real", "d_fake", "time"} <= r.keys() for r in rows)
    assert [f.name for f in frames(run_dir)] == [
        "step-0000000.png",
        "step-0000002.png",
        "step-0000004.png",
    ]
    for png in frames(run_dir) + [run_dir / "best.png"]:
        assert Image.open(png).size == (
            8 * 18 + 2,
            8 * 18 + 2,
        )  # 8x8 grid of 16px tiles, 2px padding
    gif = Image.open(run_dir / "progress.gif")
    assert gif.n_frames == gif_frames(run_dir) >= 1
    assert Image.open(run_dir / "losses.png").size[0] >= 400
    assert "EMA generator" in json.loads((run_dir / "best.json").read_text())["source"]
    assert {p.name for p in (run_dir / "checkpoints").iterdir()} == {
        "latest.pt",
        "step-0000002.pt",
        "step-0000004.pt",
    }
    assert any((run_dir / "tb").glob("events.out.tfevents.*"))


def test_report_links_resolve(run_dir):
    report = (run_dir / "report.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", report)
    assert {"losses.png", "progress.gif", "best.png", "config.yaml", "metrics.jsonl"} <= set(links)
    assert all((run_dir / link).exists() for link in links)
    assert "generator steps done: 4" in report


def test_resume_continues_without_duplicates(run_dir, tmp_path):
    import shutil

    run = tmp_path / "resumed"
    shutil.copytree(run_dir, run)
    assert main(["train", "--resume", str(run), "--steps", "6"]) == 0
    rows = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert rows == [2, 4, 6]
    assert len(frames(run)) == 4 and Image.open(run / "progress.gif").n_frames == gif_frames(run)
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["steps"] == 6


def test_resume_refuses_a_changed_loss(run_dir, capsys):
    assert main(["train", "--resume", str(run_dir), "--set", "loss.name=hinge"]) == 2
    assert "cannot resume with a different loss.name" in capsys.readouterr().err


def test_existing_run_dir_is_refused(run_dir, capsys):
    assert train(run_dir, "--steps", "2") == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--resume" in err and err.count("\n") == 1


def test_sample_png_and_npy(run_dir, tmp_path):
    assert main(["sample", str(run_dir), "--n", "10", "--out", str(tmp_path / "s.npy")]) == 0
    x = np.load(tmp_path / "s.npy")
    assert x.shape == (10, 1, 16, 16) and x.dtype == np.float32 and -1 <= x.min() and x.max() <= 1
    assert main(["sample", str(run_dir), "--n", "9", "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size == (3 * 18 + 2, 3 * 18 + 2)


def test_report_rerenders(run_dir):
    (run_dir / "progress.gif").unlink()
    (run_dir / "report.md").unlink()
    assert main(["report", str(run_dir)]) == 0
    assert Image.open(run_dir / "progress.gif").n_frames == gif_frames(run_dir)
    assert (run_dir / "report.md").exists()


def test_toy_run_draws_scatter_frames_and_points(tmp_path):
    out = tmp_path / "ring"
    assert (
        main(
            [
                "train",
                "--preset",
                "ring8-wgan-gp",
                "--out",
                str(out),
                "--steps",
                "3",
                "--set",
                "log.sample_every=1",
                "--set",
                "log.every=1",
                "--set",
                "train.batch_size=32",
            ]
        )
        == 0
    )
    assert len(frames(out)) == 4 and Image.open(out / "progress.gif").n_frames == 4
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert all("wdist" in r and "gp" in r for r in rows)
    assert main(["sample", str(out), "--n", "100", "--out", str(tmp_path / "p.npy")]) == 0
    assert np.load(tmp_path / "p.npy").shape == (100, 2)


def test_module_entry_point_lists_presets():
    out = subprocess.run(
        [sys.executable, "-m", "gankit", "presets"], capture_output=True, text=True, check=True
    )
    assert "celeba64-wgan-gp" in out.stdout and "(default)" in out.stdout


def test_a_reader_that_stops_early_is_not_an_error(monkeypatch, capsys):
    import io

    class ClosedPipe(io.StringIO):  # `gankit presets | head -1` once head has gone
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["presets"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_ctrl_c_saves_a_resumable_checkpoint(tmp_path):
    import os
    import signal
    import time

    out = tmp_path / "interrupted"
    args = [
        sys.executable,
        "-m",
        "gankit",
        "train",
        "--out",
        str(out),
        "--steps",
        "100000",
        *[a for s in TINY for a in ("--set", s)],
        "--set",
        "log.checkpoint_every=100000",
    ]
    env = {**os.environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[1] / "src")}
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    while not (out / "metrics.jsonl").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert "--resume" in err.splitlines()[-1]
    from gankit.run.checkpoint import load

    step = load(out / "checkpoints" / "latest.pt").step
    assert step >= 2 and (out / "report.md").exists()
    assert main(["train", "--resume", str(out), "--steps", str(step + 2)]) == 0
    rows = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows == sorted(set(rows)) and rows[-1] == step + 2


def test_a_config_typo_is_reported_before_torch_is_imported(tmp_path):
    """Issue 28: a misspelt key took about 7 s to report, torch being imported first."""
    import subprocess
    import sys

    code = ("import sys; from gankit.cli import main; rc = main(['train', '--set', 'train.stpes=3', "
            "'--out', 'x']); print('torch' in sys.modules); sys.exit(rc)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)  # fmt: skip
    assert proc.returncode == 2 and "did you mean 'steps'" in proc.stderr
    assert proc.stdout.strip() == "False"


def test_eval_help_lists_every_registered_metric(capsys):
    """Issue 28: --help named six metrics; the registry has more (class_accuracy, fid_intra...)."""
    from gankit.metrics import METRICS

    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in METRICS.names())
