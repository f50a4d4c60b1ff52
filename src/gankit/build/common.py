"""What every model family's build shares: optimisers, devices, seeds, size checks on the meta
device, speed-ups, and what the data section of a config says before anything is read."""

from __future__ import annotations

import inspect
import os
import random
import shutil
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from gankit.checks import NonNegative, Positive, Unit, check_value
from gankit.config import Component, Config, TrainConfig
from gankit.data import DATASETS, DataSource, ImageData
from gankit.errors import GankitError
from gankit.models import Model
from gankit.registry import Registry

OPTIMIZERS: Registry[torch.optim.Optimizer] = Registry("optimizer")
for _name, _cls in {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}.items():
    OPTIMIZERS.add(_name, _cls)


@dataclass
class Built:
    """Everything a run is made of, ready to train."""

    device: torch.device
    data: DataSource
    model: Model
    optimizers: dict[str, torch.optim.Optimizer]  # network name -> the optimiser that steps it


def labelled(cfg: Config) -> bool:
    return cfg.data.args.get("labels") is True


#: classes assumed when checking sizes before the data is read (only embeddings depend on it)
CLASSES_FOR_CHECKS = 10


#: what common optimiser options accept (torch checks some of them only at the first step)
OPTIMIZER_OPTIONS = {
    "lr": Positive,
    "betas": tuple[Unit, Unit],
    "eps": Positive,
    "weight_decay": NonNegative,
    "momentum": NonNegative,
    "alpha": Unit,
    "dampening": NonNegative,
}
#: networks beyond this many parameters are refused before anything is allocated
MAX_PARAMETERS = 2_000_000_000


def check_optimizer(spec: Component, where: str) -> None:
    """Options by type and range, then a trial optimiser over one dummy parameter."""
    for key, value in spec.args.items():
        if key in OPTIMIZER_OPTIONS:
            check_value(OPTIMIZER_OPTIONS[key], value, f"{where}.{key}")
    OPTIMIZERS.check_args(spec.name, spec.args, positional=1, where=where)
    build_optimizer(spec, [torch.zeros(1, requires_grad=True)])


def on_meta(make, what: str, where: str):
    """``make()`` on the meta device (options and shapes checked, nothing allocated); a
    constructor's own complaint about its options becomes a one-line error."""
    try:
        with torch.device("meta"):
            return make()
    except GankitError:
        raise
    except Exception as exc:  # noqa: BLE001 - a constructor's own complaint about its options
        raise GankitError(
            f"{what} cannot be built with these options ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:120]}); check {where}"
        ) from None


def check_size(nets) -> None:
    """Refuse networks too large to train here, before anything is allocated."""
    n = sum(p.numel() for net in nets for p in net.parameters())
    ram = (
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
    )
    if n > MAX_PARAMETERS or (ram and 16 * n > ram):  # weights, gradients and two Adam moments
        raise GankitError(
            f"the networks would have {n:,} parameters ({16 * n / 2**30:,.0f} GiB to train); "
            f"lower model.z_dim or the networks' width"
        )


def data_paths(cfg: Config) -> tuple[str, ...]:
    """The folder(s) the dataset reads, which --overwrite must never remove."""
    params = inspect.signature(DATASETS.get(cfg.data.name)).parameters
    default = params["path"].default if "path" in params else None
    path = cfg.data.args.get("path", default)
    paths = cfg.data.args.get("paths") or {}  # the domains dataset's {name: folder}
    found = [path, *(paths.values() if isinstance(paths, dict) else ())]
    return tuple(p for p in found if isinstance(p, str) and p)


def image_shape(data: Component) -> tuple[int, int, int] | None:
    """The (C, S, S) an image dataset will produce, read from its arguments and defaults."""
    cls = DATASETS.get(data.name)
    if not issubclass(cls, ImageData):
        return None
    params = inspect.signature(cls).parameters
    size = data.args.get("resolution", params["resolution"].default)
    channels = (
        data.args.get("channels", params["channels"].default)
        if "channels" in params
        else cls.channels
    )
    return (channels, size, size)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GankitError(
            f"train.device is '{name}' but no CUDA GPU is available; use --set train.device=cpu"
        )
    return torch.device(name)


def build_optimizer(spec: Component, params) -> torch.optim.Optimizer:
    args = dict(spec.args)
    if "betas" in args:
        args["betas"] = tuple(args["betas"])
    if spec.name in ("adam", "adamw") and not {"fused", "foreach"} & set(args):
        args["fused"] = True  # one kernel for all parameters (CPU and CUDA); same update
    try:
        return OPTIMIZERS.build(spec.name, params, **args)
    except (TypeError, ValueError) as exc:
        raise GankitError(
            f"optimizer '{spec.name}' rejected its options {spec.args}: {exc}"
        ) from None


def speed_up(train: TrainConfig, model: Model, device: torch.device) -> None:
    """Memory layout and compilation; neither changes what the networks compute."""
    if train.channels_last:
        for net in model.networks.values():
            net.to(memory_format=torch.channels_last)
    if not train.compile:
        return
    if not hasattr(torch, "compile") or (
        shutil.which("cc") is None and shutil.which("gcc") is None
    ):
        warnings.warn("train.compile: torch.compile needs a C compiler here; running eager")
        return
    if train.channels_last and device.type == "cuda":
        warnings.warn(
            "train.compile with train.channels_last hit an inductor stride assertion in the "
            "backward of a convolution on CUDA (torch 2.11); drop one of them if it fails"
        )
    twice = model.differentiates_twice()
    for name, net in model.networks.items():
        if name in twice:  # torch.compile cannot differentiate a compiled graph twice
            warnings.warn(
                f"train.compile: {name} stays eager (a penalty differentiates through it twice)"
            )
        else:
            net.compile()


def seed_everything(seed: int) -> None:
    """Net initialisation, noise and penalties draw from these; the data stream has its own."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def scaled(spec: Component, factor: float) -> Component:
    """``spec`` with its learning rate times ``factor`` (a network that trains slower)."""
    if factor == 1.0:
        return spec
    lr = spec.args.get("lr", inspect.signature(OPTIMIZERS.get(spec.name)).parameters["lr"].default)
    return Component(spec.name, {**spec.args, "lr": lr * factor})
