"""Config -> objects. The only module that turns names into classes; the trainer never sees a
string."""

from __future__ import annotations

import inspect
import os
import random
import shutil
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gankit.checks import NonNegative, Positive, Unit, check_value
from gankit.config import Component, Config, TrainConfig
from gankit.data import DATASETS, DataSource, ImageData
from gankit.data.domains import DomainData
from gankit.errors import GankitError
from gankit.losses import LOSSES
from gankit.metrics import FEATURES
from gankit.metrics.evaluate import parse_metrics
from gankit.models import MODELS, Latent, Model
from gankit.nets import DISCRIMINATORS, GENERATORS, build_player
from gankit.registry import Registry
from gankit.regularizers import REGULARIZERS
from gankit.training.schedules import schedules_for

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
    if translating(cfg):
        check_translation(cfg)
        return
    GENERATORS.check_args(
        cfg.model.generator.name, cfg.model.generator.args, positional=2, where="model.generator"
    )
    DISCRIMINATORS.check_args(
        cfg.model.discriminator.name,
        cfg.model.discriminator.args,
        positional=1,
        where="model.discriminator",
    )
    LOSSES.check_args(cfg.loss.name, cfg.loss.args, where="loss")
    check_model_kind(cfg)
    kind = {True: "energies (low on real data)", False: "scores (high on real data)"}
    wants, gives = (
        LOSSES.get(cfg.loss.name).expects_energy,
        DISCRIMINATORS.get(cfg.model.discriminator.name).outputs_energy,
    )
    if wants != gives:
        raise GankitError(
            f"loss '{cfg.loss.name}' reads {kind[wants]} but discriminator "
            f"'{cfg.model.discriminator.name}' gives {kind[gives]}; pair ebgan with autoencoder"
        )
    for name, args in cfg.regularizers.items():
        REGULARIZERS.check_args(name, args, where=f"regularizers.{name}")
    replacing = [
        n for n, a in cfg.regularizers.items() if REGULARIZERS.build(n, **a).replaces_g_loss
    ]
    if len(replacing) > 1:
        raise GankitError(
            f"regularizers {' and '.join(replacing)} each replace the generator's loss; keep one of them"
        )
    if labelled(cfg):
        for name in cfg.regularizers:
            if not REGULARIZERS.get(name).handles_labels:
                raise GankitError(
                    f"regularizer {name} draws its own unlabelled batches and cannot train a "
                    f"class-conditional run; drop it or set data.labels=false"
                )
    shape = image_shape(cfg.data)
    if shape is None:  # points: the toy distributions are cheap to build
        shape = DATASETS.build(cfg.data.name, **cfg.data.args).shape
    check_net_shapes(cfg, shape)
    check_model_size(cfg, shape)
    if cfg.eval.every:
        parse_metrics(cfg.eval.metrics)
        FEATURES.get(cfg.eval.extractor)
    if LOSSES.get(cfg.loss.name).pairs_with_real:
        for name in cfg.regularizers:
            if not REGULARIZERS.get(name).handles_paired_losses:
                raise GankitError(
                    f"regularizer {name} scores fakes without reals, which loss "
                    f"{cfg.loss.name} pairs; drop one of them"
                )
    lipschitz = any(REGULARIZERS.get(n).constrains_lipschitz for n in cfg.regularizers)
    if LOSSES.get(cfg.loss.name).estimates_wasserstein and not lipschitz:
        warnings.warn(
            f"loss '{cfg.loss.name}' without a Lipschitz constraint: the critic is unbounded; add "
            f"--set regularizers.gradient_penalty.weight=10 (or regularizers.weight_clip.clip=0.01)"
        )


def translating(cfg: Config) -> bool:
    """Is the model an image-to-image translation model (models.translation)?"""
    return MODELS.get(cfg.model.kind.name).translates


def check_translation(cfg: Config) -> None:
    """A translation model reads domain data, builds its own networks and takes no regulariser."""
    kind, t = cfg.model.kind, cfg.train
    MODELS.check_args(kind.name, kind.args, positional=3, where="model.kind")
    LOSSES.check_args(cfg.loss.name, cfg.loss.args, where="loss")
    if LOSSES.get(cfg.loss.name).pairs_with_real:
        raise GankitError(
            f"model.kind={kind.name} scores translations alone; loss {cfg.loss.name} pairs them "
            f"with reals: use least_squares or nonsaturating"
        )
    if not issubclass(DATASETS.get(cfg.data.name), DomainData):
        raise GankitError(
            f"model.kind={kind.name} translates between image domains; set data.name to "
            f"domains (a folder per domain), mnist-invert or mnist-colors"
        )
    if cfg.regularizers:
        raise GankitError(
            f"model.kind={kind.name} trains with its own objective; regularizers "
            f"({', '.join(cfg.regularizers)}) belong to model.kind=gan: drop them"
        )
    if t.n_critic != 1:
        raise GankitError(
            f"model.kind={kind.name} fixes its own update phases; train.n_critic must stay 1"
        )
    if cfg.eval.every:
        FEATURES.get(cfg.eval.extractor)
    shape, cls = image_shape(cfg.data), MODELS.get(kind.name)
    loss = LOSSES.build(cfg.loss.name, **cfg.loss.args)
    model = on_meta(lambda: cls(shape, ["a", "b"], loss, **kind.args), f"model.kind={kind.name}",
                    "model.kind.*")  # fmt: skip
    check_size(list(model.networks.values()))


def build_translation(cfg: Config, data: DataSource, device: torch.device) -> Model:
    kind = cfg.model.kind
    loss = LOSSES.build(cfg.loss.name, **cfg.loss.args)
    model = MODELS.build(kind.name, data.shape, data.domain_names, loss, **kind.args)
    for net in model.networks.values():
        net.to(device)
    return model


def labelled(cfg: Config) -> bool:
    return cfg.data.args.get("labels") is True


#: classes assumed when checking sizes before the data is read (only embeddings depend on it)
CLASSES_FOR_CHECKS = 10


def check_model_kind(cfg: Config) -> None:
    kind = cfg.model.kind
    MODELS.check_args(kind.name, kind.args, positional=6, where="model.kind")
    if MODELS.get(kind.name).needs_labels and not labelled(cfg):
        raise GankitError(
            f"model.kind={kind.name} is class-conditional and needs labelled data: set "
            f"data.labels=true (class sub-folders, mnist, fashion_mnist, cifar10, ...)"
        )


def make_latent(cfg: Config, num_classes: int) -> Latent:
    """What G reads: the model kind decides from z_dim, its options and the data's classes."""
    kind = cfg.model.kind
    return MODELS.get(kind.name).make_latent(cfg.model.z_dim, num_classes, kind.args)


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


def check_model_size(cfg: Config, shape: tuple[int, ...]) -> None:
    """Build both networks on the meta device (no memory) and refuse absurd sizes up front."""
    latent = make_latent(cfg, CLASSES_FOR_CHECKS if labelled(cfg) else 0)
    check_size(on_meta(lambda: make_nets(cfg, shape, latent), "the networks", "model.*"))


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


def check_net_shapes(cfg: Config, shape: tuple[int, ...]) -> None:
    GENERATORS.get(cfg.model.generator.name).check_shape(shape)
    DISCRIMINATORS.get(cfg.model.discriminator.name).check_shape(shape)


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


def build_nets(
    cfg: Config, shape: tuple[int, ...], latent: Latent, device: torch.device
) -> tuple[nn.Module, nn.Module]:
    check_net_shapes(cfg, shape)
    G, D = make_nets(cfg, shape, latent)
    return G.to(device), D.to(device)


def make_nets(cfg: Config, shape: tuple[int, ...], latent: Latent) -> tuple[nn.Module, nn.Module]:
    """G and D as the config describes them, on the current default device; each reads the
    label if the model kind conditions it and the data has classes."""
    m, reads = cfg.model, MODELS.get(cfg.model.kind.name).label_nets
    d_classes = latent.num_classes if "D" in reads else 0
    G = build_player(GENERATORS, m.generator.name, m.generator.args, (shape, latent.dim),
                     latent.num_classes, "model.generator")  # fmt: skip
    D = build_player(DISCRIMINATORS, m.discriminator.name, m.discriminator.args, (shape,),
                     d_classes, "model.discriminator")  # fmt: skip
    return G, D


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


def build(cfg: Config) -> Built:
    check_components(cfg)  # names and options, before anything is read or allocated
    seed_everything(cfg.train.seed)
    device = resolve_device(cfg.train.device)
    data = DATASETS.build(cfg.data.name, **cfg.data.args)
    model = (
        build_translation(cfg, data, device) if translating(cfg) else build_gan(cfg, data, device)
    )
    speed_up(cfg.train, model, device)
    optimizers = {
        name: build_optimizer(
            scaled(getattr(cfg.optim, model.optim_groups[name]), model.lr_factors.get(name, 1.0)),
            net.parameters(),
        )
        for name, net in model.networks.items()
    }
    return Built(device=device, data=data, model=model, optimizers=optimizers)


def scaled(spec: Component, factor: float) -> Component:
    """``spec`` with its learning rate times ``factor`` (a network that trains slower)."""
    if factor == 1.0:
        return spec
    lr = spec.args.get("lr", inspect.signature(OPTIMIZERS.get(spec.name)).parameters["lr"].default)
    return Component(spec.name, {**spec.args, "lr": lr * factor})


def build_gan(cfg: Config, data: DataSource, device: torch.device) -> Model:
    latent = make_latent(cfg, data.num_classes)
    G, D = build_nets(cfg, data.shape, latent, device)
    regularizers = [REGULARIZERS.build(n, **a) for n, a in cfg.regularizers.items()]
    # before the optimisers see D's parameters; new layers first, so spectral norm covers them
    for reg in sorted(regularizers, key=lambda r: not r.edits_architecture):
        reg.prepare(G, D)
    D.to(device)
    loss = LOSSES.build(cfg.loss.name, **cfg.loss.args)
    kind = cfg.model.kind
    return MODELS.build(kind.name, G, D, loss, regularizers, latent, cfg.train.n_critic,
                        **kind.args)  # fmt: skip
