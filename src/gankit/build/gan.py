"""The GAN family (``models.gan.GAN`` and its subclasses: cGAN, ACGAN, InfoGAN, R3GAN's kinds):
G and D from the ``model.generator`` and ``model.discriminator`` registries, a latent the kind
derives from ``model.z_dim``, its options and the data's classes, and the regularisers."""

from __future__ import annotations

import warnings

from torch import nn

from gankit.build.common import (
    CLASSES_FOR_CHECKS,
    check_size,
    image_shape,
    labelled,
    on_meta,
)
from gankit.build.family import Family, register
from gankit.config import Config
from gankit.data import DATASETS, DataSource
from gankit.errors import GankitError
from gankit.losses import LOSSES
from gankit.metrics import FEATURES
from gankit.metrics.base import parse_metrics
from gankit.models import MODELS, Latent, Model
from gankit.models.gan import GAN
from gankit.nets import DISCRIMINATORS, GENERATORS, build_player
from gankit.regularizers import REGULARIZERS

ENERGY = {True: "energies (low on real data)", False: "scores (high on real data)"}


@register(GAN)
class GANFamily(Family):
    """Kinds whose constructor takes (G, D, loss, regularizers, latent, n_critic, **options)."""

    def check(self, cfg: Config) -> None:
        check_names(cfg)
        check_pairings(cfg)
        shape = image_shape(cfg.data)
        if shape is None:  # points: the toy distributions are cheap to build
            shape = DATASETS.build(cfg.data.name, **cfg.data.args).shape
        check_net_shapes(cfg, shape)
        latent = make_latent(cfg, CLASSES_FOR_CHECKS if labelled(cfg) else 0)
        check_size(on_meta(lambda: make_nets(cfg, shape, latent), "the networks", "model.*"))
        if cfg.eval.every:
            parse_metrics(cfg.eval.metrics)
            FEATURES.get(cfg.eval.extractor)
        check_losses(cfg)

    def build(self, cfg: Config, data: DataSource, device) -> Model:
        latent = make_latent(cfg, data.num_classes)
        check_net_shapes(cfg, data.shape)
        G, D = (net.to(device) for net in make_nets(cfg, data.shape, latent))
        regularizers = [REGULARIZERS.build(n, **a) for n, a in cfg.regularizers.items()]
        # before the optimisers see D's parameters; new layers first, so spectral norm covers them
        for reg in sorted(regularizers, key=lambda r: not r.edits_architecture):
            reg.prepare(G, D)
        D.to(device)
        loss = LOSSES.build(cfg.loss.name, **cfg.loss.args)
        kind = cfg.model.kind
        return MODELS.build(kind.name, G, D, loss, regularizers, latent, cfg.train.n_critic,
                            **kind.args)  # fmt: skip

    def generator(self, state: dict, cfg: Config) -> nn.Module:
        spec = cfg.model.generator
        G = make_generator(spec.name, spec.args, tuple(state.data_shape), latent_of(state, cfg))
        try:
            ema, nets = state.ema, state.networks
            G.load_state_dict(ema["G"] if "G" in ema else nets["G"])
        except (RuntimeError, KeyError):
            raise GankitError(
                f"checkpoint does not fit generator '{spec.name}' of its config"
            ) from None
        return G.eval()


def check_names(cfg: Config) -> None:
    """Every component exists and takes the options given (constructor arity included)."""
    m = cfg.model
    GENERATORS.check_args(m.generator.name, m.generator.args, positional=2, where="model.generator")
    DISCRIMINATORS.check_args(
        m.discriminator.name, m.discriminator.args, positional=1, where="model.discriminator"
    )
    LOSSES.check_args(cfg.loss.name, cfg.loss.args, where="loss")
    MODELS.check_args(m.kind.name, m.kind.args, positional=6, where="model.kind")
    if MODELS.get(m.kind.name).needs_labels and not labelled(cfg):
        raise GankitError(
            f"model.kind={m.kind.name} is class-conditional and needs labelled data: set "
            f"data.labels=true (class sub-folders, mnist, fashion_mnist, cifar10, ...)"
        )
    wants = LOSSES.get(cfg.loss.name).expects_energy
    gives = DISCRIMINATORS.get(m.discriminator.name).outputs_energy
    if wants != gives:
        raise GankitError(
            f"loss '{cfg.loss.name}' reads {ENERGY[wants]} but discriminator "
            f"'{m.discriminator.name}' gives {ENERGY[gives]}; pair ebgan with autoencoder"
        )
    for name, args in cfg.regularizers.items():
        REGULARIZERS.check_args(name, args, where=f"regularizers.{name}")


def check_pairings(cfg: Config) -> None:
    """Regularisers that cannot be combined with each other, the batch size or labelled data."""
    regs = {n: REGULARIZERS.build(n, **a) for n, a in cfg.regularizers.items()}
    replacing = [n for n, reg in regs.items() if reg.replaces_g_loss]
    if len(replacing) > 1:
        raise GankitError(
            f"regularizers {' and '.join(replacing)} each replace the generator's loss; keep one of them"
        )
    batch = cfg.train.batch_size
    for name, reg in regs.items():
        if batch % reg.batch_multiple:
            m = reg.batch_multiple
            raise GankitError(
                f"regularizers.{name} needs train.batch_size to be a multiple of {m}, got {batch}; "
                f"set train.batch_size={-(-batch // m) * m}"
            )
    if labelled(cfg):
        for name in cfg.regularizers:
            if not REGULARIZERS.get(name).handles_labels:
                raise GankitError(
                    f"regularizer {name} draws its own unlabelled batches and cannot train a "
                    f"class-conditional run; drop it or set data.labels=false"
                )


def check_losses(cfg: Config) -> None:
    """A paired loss needs regularisers that score reals; a critic loss wants a constraint."""
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


def make_latent(cfg: Config, num_classes: int) -> Latent:
    """What G reads: the model kind decides from z_dim, its options and the data's classes."""
    kind = cfg.model.kind
    return MODELS.get(kind.name).make_latent(cfg.model.z_dim, num_classes, kind.args)


def latent_of(state: dict, cfg: Config) -> Latent:
    """What the checkpoint's G reads (checkpoints before conditioning: plain noise)."""
    return Latent.from_dict(state.latent or {"z_dim": cfg.model.z_dim})


def check_net_shapes(cfg: Config, shape: tuple[int, ...]) -> None:
    GENERATORS.get(cfg.model.generator.name).check_shape(shape)
    DISCRIMINATORS.get(cfg.model.discriminator.name).check_shape(shape)


def make_nets(cfg: Config, shape: tuple[int, ...], latent: Latent) -> tuple[nn.Module, nn.Module]:
    """G and D as the config describes them, on the current default device; each reads the
    label if the model kind conditions it and the data has classes."""
    m, reads = cfg.model, MODELS.get(cfg.model.kind.name).label_nets
    d_classes = latent.num_classes if "D" in reads else 0
    G = make_generator(m.generator.name, m.generator.args, shape, latent)
    D = build_player(DISCRIMINATORS, m.discriminator.name, m.discriminator.args, (shape,),
                     d_classes, "model.discriminator")  # fmt: skip
    return G, D


def make_generator(name: str, args: dict, shape: tuple[int, ...], latent: Latent) -> nn.Module:
    """An untrained generator of registry entry ``name`` for this data shape and latent."""
    return build_player(GENERATORS, name, args, (shape, latent.dim), latent.num_classes,
                        "model.generator")  # fmt: skip
