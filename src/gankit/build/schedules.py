"""The run's schedules as the trainer follows them: ``schedules`` of the config (checked there)
and ``optim.lr_decay: linear``, which is the lr schedule from 1 to 0, linear, beginning at
``optim.decay_from``; the learning rate has one factor, and this is where it is made."""

from __future__ import annotations

from gankit.config import Config, Schedule
from gankit.errors import GankitError
from gankit.regularizers import REGULARIZERS


def schedules_for(cfg: Config) -> dict[str, Schedule]:
    """target -> Schedule for the trainer; gamma only where a regulariser it weights is on."""
    out = dict(cfg.schedules)
    if cfg.optim.lr_decay == "linear":
        out["lr"] = Schedule(1.0, 0.0, 1.0, "linear", begin=cfg.optim.decay_from)
    if "gamma" in out and not any(REGULARIZERS.get(n).gamma_weighted for n in cfg.regularizers):
        raise GankitError(
            "schedules.gamma sets the weight of r1 and r2, but neither is on; add "
            "--set regularizers.r1.weight=1 (and r2), or drop schedules.gamma"
        )
    return out
