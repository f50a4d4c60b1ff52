"""train.max_minutes: a wall-clock budget ends a run as cleanly as train.steps does."""

import json
import time

import pytest

from gankit.app import train
from gankit.errors import GankitError
from gankit.run.checkpoint import load
from gankit.training import loop
from tests.conftest import TINY

SETS = [*TINY, "log.every=5", "log.sample_every=5", "log.checkpoint_every=5"]


def rows(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_a_spent_budget_ends_the_run_at_that_step_with_everything_written(tmp_path):
    run = tmp_path / "run"
    # 1e-9 minutes are spent by the first step: the run stops there, far short of its 20 steps
    train(sets=[*SETS, "train.steps=20", "train.max_minutes=1e-9"], out=str(run))
    assert load(run / "checkpoints" / "latest.pt").step == 1
    assert rows(run)[-1]["step"] == 1  # the last step is logged though off the cadence
    assert (run / "samples" / "step-0000001.png").is_file()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 1
    assert "ran out at step 1 of 20" in summary["stopped_early"]
    assert "stopped early: the time budget of 1e-09 min" in (run / "report.md").read_text()
    assert (run / "progress.gif").is_file() and (run / "best.png").is_file()


def test_a_run_stopped_by_its_budget_resumes_to_its_steps_without_it(tmp_path):
    run = tmp_path / "run"
    train(sets=[*SETS, "train.steps=7", "train.max_minutes=1e-9"], out=str(run))
    train(resume=str(run), sets=["train.max_minutes=0"])
    assert load(run / "checkpoints" / "latest.pt").step == 7
    assert [r["step"] for r in rows(run)] == [1, 5, 7]
    assert json.loads((run / "summary.json").read_text())["stopped_early"] is None


def test_a_generous_budget_changes_nothing(tmp_path):
    run = tmp_path / "run"
    train(sets=[*SETS, "train.steps=6", "train.max_minutes=600"], out=str(run))
    assert load(run / "checkpoints" / "latest.pt").step == 6
    assert json.loads((run / "summary.json").read_text())["stopped_early"] is None


def test_a_negative_budget_is_a_one_line_error(tmp_path):
    with pytest.raises(
        GankitError,
        match=r"train.max_minutes must be a finite number in \[0, 1e7\] \(0: no time budget\), got -1",
    ):
        train(sets=[*SETS, "train.max_minutes=-1"], out=str(tmp_path / "run"))


def test_evaluation_is_not_training_time(tmp_path, monkeypatch):
    """In-training evaluation (an hour for 10k Inception images on a CPU) counted against
    train.max_minutes: a 100-minute CIFAR-10 budget lost 30 minutes to one evaluation."""
    monkeypatch.setattr(loop, "make_evaluator", lambda *a: object())
    monkeypatch.setattr(loop.Session, "evaluate", lambda self, step: time.sleep(2.0))
    run = tmp_path / "run"
    # 2 s of evaluation after every step against a 3 s budget: only training may spend it
    train(sets=[*SETS, "train.steps=4", "train.max_minutes=0.05", "eval.every=1"], out=str(run))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["stopped_early"] is None
    assert summary["train_seconds"] < 3.0
