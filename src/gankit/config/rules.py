"""The rules no single field's annotation can say: settings that must agree with each other
(schedules, CUDA graphs, lr_decay), and the free-form mappings (log.wandb, optimiser lr)."""

from __future__ import annotations

from gankit.checks import Positive, check_value
from gankit.config.schema import SCHEDULE_TARGETS, Config
from gankit.errors import GankitError


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise GankitError(message)


def validate(cfg: Config) -> None:
    """The rules no single field's annotation can say (types and ranges were checked as the
    dataclasses were filled in, by from_dict); before any data is read."""
    t, log = cfg.train, cfg.log
    _require(
        not t.cuda_graphs or t.device == "auto" or t.device.startswith("cuda"),
        f"train.cuda_graphs needs a CUDA device, not '{t.device}'; set train.device=cuda or drop train.cuda_graphs",
    )
    if log.wandb:
        check_wandb(log.wandb)
    check_schedules(cfg)
    for who in ("g", "d"):  # optimiser options are free-form: the lr is the one every one has
        lr = getattr(cfg.optim, who).args.get("lr")
        if lr is not None:
            check_value(Positive, lr, f"optim.{who}.lr")


def check_schedules(cfg: Config) -> None:
    """Targets that exist, curves that fit them and the rest of the run."""
    for target, s in cfg.schedules.items():
        _require(
            target in SCHEDULE_TARGETS,
            f"schedules.{target}: unknown target; schedules drive {', '.join(SCHEDULE_TARGETS)}",
        )
        _require(s.begin < s.until, f"schedules.{target}: begin must be < until, got {s}")
        _require(
            min(s.start, s.end) >= 0 and (target != "beta2" or max(s.start, s.end) < 1),
            f"schedules.{target}: {SCHEDULE_TARGETS[target]} cannot take {s.start} to {s.end}",
        )
    _require(
        cfg.optim.lr_decay == "none" or "lr" not in cfg.schedules,
        "optim.lr_decay=linear and schedules.lr both set the learning rate's factor; keep one "
        "(schedules.lr with shape: linear, begin: F does what lr_decay does)",
    )
    _require(
        "ema_half_life" not in cfg.schedules or cfg.model.ema is not None,
        "schedules.ema_half_life drives the EMA of G, which is off; set model.ema (e.g. 0.999)",
    )
    _require(
        not cfg.train.cuda_graphs or not {"beta2", "gamma", "ema_half_life"} & cfg.schedules.keys(),
        "train.cuda_graphs replays one captured step, which cannot follow schedules of beta2, "
        "gamma or the EMA; drop one of them",
    )


#: the keys of log.wandb (passed to wandb.init) and its modes (None: W&B's own, or WANDB_MODE)
WANDB_KEYS = ("project", "entity", "mode", "group", "tags", "notes")
WANDB_MODES = (None, "online", "offline", "disabled")


def check_wandb(settings: dict) -> None:
    unknown = sorted(set(settings) - set(WANDB_KEYS))
    _require(
        not unknown,
        f"unknown log.wandb key(s) {', '.join(unknown)}; known: {', '.join(WANDB_KEYS)}",
    )
    _require(
        settings.get("mode") in WANDB_MODES,
        f"log.wandb.mode must be online, offline or disabled, got {settings.get('mode')!r}",
    )
    project = settings.get("project")
    _require(
        isinstance(project, str) and bool(project),
        "log.wandb needs a project name: --set log.wandb.project=NAME",
    )
