"""Hyperparameters that change over training (R3GAN's recipe: cosine decays of the learning
rate, Adam's beta2, the R1/R2 weight gamma and the EMA half-life).

A schedule is a pure function of the step, evaluated before every step, so a resumed run
follows it exactly. ``Schedule(start, end, until, shape, begin)``: ``start`` until
``begin * train.steps`` (0 by default), ``end`` from ``until * train.steps`` on, joined by half a
cosine (``shape: cosine``) or a line. ``optim.lr_decay: linear`` is the lr schedule from 1 to 0,
linear, beginning at ``optim.decay_from``: the learning rate has one factor, set here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gankit.errors import GankitError
from gankit.regularizers import REGULARIZERS

#: what a schedule may drive, and what its values mean
TARGETS = {
    "lr": "a factor on every optimiser's configured learning rate",
    "beta2": "Adam's beta2 of every optimiser",
    "gamma": "the weight of the r1 and r2 regularisers",
    "ema_half_life": "the EMA's half-life in images (beta = 0.5^(batch / half-life))",
}


@dataclass(frozen=True)
class Schedule:
    start: float
    end: float
    until: float = 1.0  # fraction of train.steps at which ``end`` is reached
    shape: str = "cosine"
    begin: float = 0.0  # fraction of train.steps before which ``start`` holds

    def __call__(self, step: int, total: int) -> float:
        first = int(self.begin * total)
        t = min(1.0, max(0.0, (step - first) / max(1.0, self.until * total - first)))
        mix = (1 - math.cos(math.pi * t)) / 2 if self.shape == "cosine" else t
        return self.start + mix * (self.end - self.start)


def parse_schedules(raw: dict) -> dict[str, Schedule]:
    """Config ``schedules: {target: {start, end, until, shape}}`` -> Schedules, checked."""
    out = {}
    for target, spec in raw.items():
        if target not in TARGETS:
            raise GankitError(
                f"schedules.{target}: unknown target; schedules drive {', '.join(TARGETS)}"
            )
        if (
            not isinstance(spec, dict)
            or not {"start", "end"} <= spec.keys()
            or set(spec) - {"start", "end", "until", "shape", "begin"}
        ):
            raise GankitError(
                f"schedules.{target} needs start and end (and optionally until, shape, begin), e.g. "
                f"--set schedules.{target}.start=1 --set schedules.{target}.end=0.25"
            )
        s = Schedule(**spec)
        numbers = all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in (s.start, s.end, s.until, s.begin)
        )
        if not numbers or not 0 <= s.begin < s.until <= 1 or s.shape not in ("cosine", "linear"):
            raise GankitError(
                f"schedules.{target}: start and end are numbers, 0 <= begin < until <= 1, shape "
                f"cosine or linear; got {spec}"
            )
        if min(s.start, s.end) < 0 or (target == "beta2" and max(s.start, s.end) >= 1):
            raise GankitError(f"schedules.{target}: {TARGETS[target]} cannot take {spec}")
        out[target] = s
    return out


def schedules_for(cfg) -> dict[str, Schedule]:
    """The run's schedules, checked against the rest of its config (lr_decay included)."""
    out = parse_schedules(cfg.schedules)
    if cfg.optim.lr_decay == "linear":
        if "lr" in out:
            raise GankitError(
                "optim.lr_decay=linear and schedules.lr both set the learning rate's factor; "
                "keep one (schedules.lr with shape: linear, begin: F does what lr_decay does)"
            )
        out["lr"] = Schedule(1.0, 0.0, 1.0, "linear", begin=cfg.optim.decay_from)
    if "gamma" in out and not any(REGULARIZERS.get(n).gamma_weighted for n in cfg.regularizers):
        raise GankitError(
            "schedules.gamma sets the weight of r1 and r2, but neither is on; add "
            "--set regularizers.r1.weight=1 (and r2), or drop schedules.gamma"
        )
    if "ema_half_life" in out and cfg.model.ema is None:
        raise GankitError(
            "schedules.ema_half_life drives the EMA of G, which is off; set model.ema (e.g. 0.999)"
        )
    if cfg.train.cuda_graphs and {"beta2", "gamma", "ema_half_life"} & out.keys():
        raise GankitError(
            "train.cuda_graphs replays one captured step, which cannot follow schedules of "
            "beta2, gamma or the EMA; drop one of them"
        )
    return out


def apply(trainer, schedules: dict[str, Schedule], total: int) -> None:
    """Set every scheduled hyperparameter for the trainer's next step."""
    setters = {
        "lr": trainer.set_lr_factor,
        "beta2": trainer.set_beta2,
        "gamma": trainer.set_gamma,
        "ema_half_life": trainer.set_ema_half_life,
    }
    for target, schedule in schedules.items():
        setters[target](schedule(trainer.step, total))
