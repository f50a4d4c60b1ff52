"""The NaN/Inf guard: roll back to the last good checkpoint with lower learning rates."""

import json

import pytest
import torch

from gankit.build import build
from gankit.errors import GankitError
from gankit.run.rundir import RunDir
from gankit.training.loop import Session
from gankit.training.setup import make_trainer


class NaNAt:
    """Wraps a loss; its D loss is NaN on the listed calls (counted across rollbacks)."""

    def __init__(self, loss, bad_calls):
        self.loss, self.bad_calls, self.calls = loss, set(bad_calls), 0
        self.estimates_wasserstein = loss.estimates_wasserstein

    def d_loss(self, real, fake):
        self.calls += 1
        out = self.loss.d_loss(real, fake)
        return out * float("nan") if self.calls in self.bad_calls else out

    def g_loss(self, fake):
        return self.loss.g_loss(fake)


def session(cfg, tmp_path, bad_calls):
    built = build(cfg)
    built.model.loss = NaNAt(built.model.loss, bad_calls)
    trainer = make_trainer(cfg, built)
    run = RunDir.create(tmp_path / "run", cfg.to_dict())
    return Session(trainer, run, cfg, built.data), built


def test_one_nan_rolls_back_and_lowers_the_learning_rate(tiny_config, tmp_path):
    cfg = tiny_config("log.checkpoint_every=4", "log.every=2", steps=8)
    s, built = session(cfg, tmp_path, bad_calls={6})  # NaN in step 6; logged (and caught) at step 6
    with pytest.warns(UserWarning, match="rolled back to step 4"):
        s.train(8)
    assert s.trainer.step == 8 and s.guard.failures == 1
    assert built.optimizers["G"].param_groups[0]["lr"] == pytest.approx(2e-4 * 0.5)
    assert all(torch.isfinite(p).all() for p in built.model.G.parameters())
    rows = [
        json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["step"] for r in rows] == [2, 4, 6, 8]
    assert all(r["loss_d"] == r["loss_d"] for r in rows)  # no NaN row was kept
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["nan_rollbacks"] == 1


def test_persistent_nan_stops_with_an_explanation(tiny_config, tmp_path):
    cfg = tiny_config("train.nan_retries=2", steps=8)
    s, _ = session(cfg, tmp_path, bad_calls=range(3, 10_000))
    with (
        pytest.warns(UserWarning, match="rolled back"),
        pytest.raises(GankitError, match="training diverged.*3 times"),
    ):
        s.train(8)


def test_nan_weights_are_never_checkpointed(tiny_config, tmp_path):
    cfg = tiny_config("log.every=100", "log.checkpoint_every=2", steps=4)
    s, built = session(cfg, tmp_path, bad_calls=set())
    s.train(2)
    with torch.no_grad():
        next(built.model.G.parameters()).fill_(float("inf"))
    with pytest.warns(UserWarning, match="rolled back to step 2"):
        s.train(4)
    from gankit.run.checkpoint import load

    state = load(tmp_path / "run" / "checkpoints" / "latest.pt")
    assert all(
        torch.isfinite(v).all() for v in state.networks["G"].values() if v.is_floating_point()
    )


def test_a_resume_after_a_rollback_keeps_the_lowered_learning_rate(tiny_config, tmp_path):
    """A run that rolled back once continues at half the rate (its decay schedule included);
    stopped and resumed from its checkpoint, it must continue at that rate too, bit for bit as
    the run that never stopped."""
    from gankit.run.checkpoint import load

    cfg = tiny_config("log.checkpoint_every=4", "log.every=2", "optim.lr_decay=linear", steps=12)
    whole, built_whole = session(cfg, tmp_path / "whole", bad_calls={6})
    with pytest.warns(UserWarning, match="rolled back to step 4"):
        whole.train(12)
    first, _ = session(cfg, tmp_path / "first", bad_calls={6})
    with pytest.warns(UserWarning, match="rolled back to step 4"):
        first.train(8)
    resumed, built = session(cfg, tmp_path / "resumed", bad_calls=set())
    resumed.restore(load(tmp_path / "first" / "run" / "checkpoints" / "latest.pt"))
    resumed.train(12)
    # linear decay to 0 at step 12: 1/12 of the base rate is left for the last step, halved
    assert built.optimizers["G"].param_groups[0]["lr"] == pytest.approx(2e-4 * 0.5 / 12)
    for a, b in zip(built_whole.model.G.parameters(), built.model.G.parameters()):
        assert torch.equal(a, b)
