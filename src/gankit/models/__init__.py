"""GAN models: named networks, the optimiser each phase steps, and the phases' objectives."""

from gankit.models.base import Context, Model, Phase
from gankit.models.gan import GAN

__all__ = ["GAN", "Context", "Model", "Phase"]
