"""The edge between config and trainer: turns a Config's train section into Trainer arguments."""

from __future__ import annotations

from gankit.build import Built, build
from gankit.build.schedules import schedules_for
from gankit.config import Config
from gankit.training import precision
from gankit.training.trainer import Trainer


def make_trainer(cfg: Config, built: Built | None = None, **options) -> Trainer:
    """The one way a Trainer is made: from a config (and its built objects, if a caller needs
    them first); ``options`` override Trainer arguments the config does not hold (tests)."""
    built = built if built is not None else build(cfg)
    t = cfg.train
    args = dict(
        batch_size=t.batch_size,
        ema=cfg.model.ema,
        seed=t.seed,
        precision=precision.choose(t.amp, built.device),
        channels_last=t.channels_last,
        cuda_graphs=t.cuda_graphs,
        schedules=schedules_for(cfg),
        total_steps=t.steps,
    )
    return Trainer(built.model, built.optimizers, built.data, built.device, **{**args, **options})
