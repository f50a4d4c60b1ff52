"""GAN models, registered by name in ``MODELS`` (config ``model.kind``): named networks, the
optimiser settings each is trained with, and the phases' objectives."""

from gankit.models import acgan, cyclegan, infogan, starganv2  # noqa: F401
from gankit.models.base import MODELS, Context, Model, Phase, Translates, translation_kind
from gankit.models.gan import GAN
from gankit.models.latent import Draw, Latent

__all__ = [
    "GAN",
    "MODELS",
    "Context",
    "Draw",
    "Latent",
    "Model",
    "Phase",
    "Translates",
    "translation_kind",
]
