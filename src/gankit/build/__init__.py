"""Config -> objects. The only package that turns names into classes; the trainer never sees a
string. ``build(cfg)`` checks everything first (``check_components``: names, options, sizes,
nothing allocated), then reads the data and lets the model kind's family (``family``) build the
model; the optimisers come last, one per network."""

from __future__ import annotations

import inspect

from gankit.build import gan, translation  # noqa: F401 - registers the two families
from gankit.build.common import (
    OPTIMIZERS,
    Built,
    build_optimizer,
    check_optimizer,
    data_paths,
    image_shape,
    resolve_device,
    scaled,
    seed_everything,
    speed_up,
)
from gankit.build.family import FAMILIES, Family, family_of
from gankit.build.schedules import schedules_for
from gankit.config import Config
from gankit.data import DATASETS
from gankit.errors import GankitError

__all__ = ["OPTIMIZERS", "Built", "FAMILIES", "Family", "build", "check_components",
           "data_paths", "family_of", "image_shape", "resolve_device"]  # fmt: skip


def check_components(cfg: Config) -> None:
    """Every name exists and every argument is one its class accepts (nothing is built)."""
    schedules_for(cfg)
    params = inspect.signature(DATASETS.get(cfg.data.name)).parameters
    if (
        "path" in params
        and params["path"].default is inspect.Parameter.empty
        and "path" not in cfg.data.args
    ):
        raise GankitError(
            f"dataset '{cfg.data.name}' needs a data path: pass --data PATH "
            f"(a folder or .zip of images)"
        )
    DATASETS.check_args(cfg.data.name, cfg.data.args, where="data")
    for who in ("g", "d"):
        check_optimizer(getattr(cfg.optim, who), f"optim.{who}")
    family_of(cfg.model.kind.name).check(cfg)


def build(cfg: Config) -> Built:
    check_components(cfg)  # names and options, before anything is read or allocated
    seed_everything(cfg.train.seed)
    device = resolve_device(cfg.train.device)
    data = DATASETS.build(cfg.data.name, **cfg.data.args)
    model = family_of(cfg.model.kind.name).build(cfg, data, device)
    speed_up(cfg.train, model, device)
    optimizers = {
        name: build_optimizer(
            scaled(getattr(cfg.optim, model.optim_groups[name]), model.lr_factors.get(name, 1.0)),
            net.parameters(),
        )
        for name, net in model.networks.items()
    }
    return Built(device=device, data=data, model=model, optimizers=optimizers)
