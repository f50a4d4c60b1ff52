"""Schedules (R3GAN's cosine decays): values by hand, applied to the trainer every step, exact
on resume, and refused where they cannot act."""

import copy
import math

import pytest
import torch

from gankit.build import build
from gankit.config import Schedule, resolve
from gankit.errors import GankitError
from gankit.training.setup import make_trainer

R3 = ("loss.name=relativistic", "regularizers.r1.weight=1", "regularizers.r2.weight=1",
      "model.discriminator.norm=none", "model.ema=0.999")  # fmt: skip
SCHEDULES = ("schedules.lr.start=1", "schedules.lr.end=0.25", "schedules.beta2.start=0.9",
             "schedules.beta2.end=0.99", "schedules.gamma.start=0.5", "schedules.gamma.end=0.05",
             "schedules.ema_half_life.start=0", "schedules.ema_half_life.end=500")  # fmt: skip


def test_cosine_and_linear_by_hand():
    s = Schedule(2.0, 1.0)
    assert [s(k, 100) for k in (0, 50, 100, 200)] == pytest.approx([2.0, 1.5, 1.0, 1.0])
    assert Schedule(0.0, 1.0, until=0.5, shape="linear")(25, 100) == pytest.approx(0.5)
    assert Schedule(0.0, 1.0)(25, 100) == pytest.approx((1 - math.cos(math.pi / 4)) / 2)


def test_trainer_follows_every_schedule(tiny_config):
    cfg = tiny_config(*R3, *SCHEDULES, steps=4)
    t = make_trainer(cfg, build(cfg))
    for _ in range(3):
        t.train_step()
    # the values of step 2 of 4 (applied before it): halfway along each cosine
    group = t.optimizers["G"].param_groups[0]
    assert group["lr"] == pytest.approx(cfg.optim.g.args["lr"] * 0.625)
    assert group["betas"][1] == pytest.approx(0.945)
    assert [r.weight for r in t.model.regularizers] == pytest.approx([0.275, 0.275])
    assert t.ema.beta == pytest.approx(0.5 ** (cfg.train.batch_size / 250))


def test_scheduled_run_resumes_exactly(tiny_config):
    cfg = tiny_config(*R3, *SCHEDULES, steps=6)
    a = make_trainer(cfg, build(cfg))
    for _ in range(2):
        a.train_step()
    state = copy.deepcopy(a.state_dict())
    later = [a.train_step() for _ in range(3)]
    b = make_trainer(cfg, build(cfg))
    b.load_state_dict(state)
    again = [b.train_step() for _ in range(3)]
    flat = [[{k: v.item() for k, v in r.items()} for s in run for r in s] for run in (later, again)]
    assert flat[0] == flat[1]
    assert all(torch.equal(x, y) for x, y in zip(a.ema.net.parameters(), b.ema.net.parameters()))


@pytest.mark.parametrize(
    "sets, message",
    [
        (["schedules.lr.start=1"], "'schedules.lr' needs end"),
        (["schedules.momentum.start=1", "schedules.momentum.end=0"], "unknown target"),
        (["schedules.gamma.start=1", "schedules.gamma.end=0.1"], "neither is on"),
        (["schedules.beta2.start=0.9", "schedules.beta2.end=1.5"], "cannot take"),
        (
            ["model.ema=null", "schedules.ema_half_life.start=0", "schedules.ema_half_life.end=9"],
            "EMA",
        ),
    ],
)
def test_bad_schedules_are_one_line_errors(tiny_config, sets, message):
    with pytest.raises(GankitError, match=message):
        build(tiny_config(*sets))


def test_a_full_spec_is_read_into_a_schedule():
    sets = ["schedules.lr={start: 1, end: 0, until: 0.5, shape: linear}"]
    assert resolve(sets=sets).schedules["lr"] == Schedule(1, 0, 0.5, "linear")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("{start: 1, end: 0, shape: cubic}", "shape must be one of cosine, linear"),
        ("{start: 1, end: 0, until: 0}", r"until must be a finite number in \(0, 1\]"),
        ("{start: 1, end: 0, begin: 0.6, until: 0.5}", "begin must be < until"),
        ("{start: 1, end: .nan}", "end must be a finite number"),
    ],
)
def test_a_bad_curve_is_refused_when_the_config_is_read(spec, message):
    with pytest.raises(GankitError, match=message):
        resolve(sets=[f"schedules.lr={spec}"])
