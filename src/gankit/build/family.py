"""A family of model kinds: how its config is checked, how it is built for training and how its
inference networks come back from a checkpoint.

Every model kind belongs to the family registered for the nearest of its base classes
(``GAN``: networks from the ``model.generator``/``model.discriminator`` registries and a latent;
``Translation``: networks the model builds itself from the data's shape and domain names). The
trainer and the use cases (sample, translate, export, eval) ask the family, never a flag:

    family_of("cyclegan").generator(state, cfg)   # one-line TranslationRun: nothing samples noise
    family_of("gan").translation_model(state, cfg, run)   # one line: not a translation run

A new kind whose objects are built like a GAN's subclasses ``GAN`` and needs nothing here; one
built differently (a BiGAN's encoder) registers its own ``Family`` for its base class.
"""

from __future__ import annotations

from torch import nn

from gankit.config import Config
from gankit.data import DataSource
from gankit.errors import GankitError, TranslationRun
from gankit.models import MODELS, Model

#: model base class -> the family that checks, builds and loads its kinds
FAMILIES: dict[type, Family] = {}


class Family:
    """What gankit needs from a family of model kinds (all methods take the run's Config)."""

    def check(self, cfg: Config) -> None:
        """Names, options and sizes of everything the model kind builds (nothing allocated)."""
        raise NotImplementedError

    def build(self, cfg: Config, data: DataSource, device) -> Model:
        """The model, its networks initialised on ``device``, ready for its optimisers."""
        raise NotImplementedError

    def generator(self, state: dict, cfg: Config) -> nn.Module:
        """The generator that samples from noise (EMA weights if kept), in eval mode."""
        kind = cfg.model.kind.name
        raise TranslationRun(
            f"this is an image-to-image translation run (model.kind={kind}), with no generator "
            f"that samples from noise; use gankit translate RUN --in PATH --to DOMAIN"
        )

    def translation_model(self, state: dict, cfg: Config, run: str = "the run") -> Model:
        """The translation model with its inference networks loaded (EMA weights if kept)."""
        raise GankitError(
            f"{run} is not a translation run (model.kind={cfg.model.kind.name}); "
            f"use gankit sample to draw from its generator"
        )


def register(base: type):
    """Class decorator: the family of every model kind derived from ``base``."""

    def add(cls: type[Family]) -> type[Family]:
        FAMILIES[base] = cls()
        return cls

    return add


def family_of(kind: str) -> Family:
    """The family of registered model kind ``kind`` (an unknown name fails with did-you-mean)."""
    for base in MODELS.get(kind).__mro__:
        if base in FAMILIES:
            return FAMILIES[base]
    raise GankitError(f"model.kind={kind} belongs to no model family; register one (gankit.build)")
