"""Theory demos, registered by name in ``DEMOS`` (``gankit demo NAME``)."""

from gankit.demos import critic_distance, js_vs_em, optimal_discriminator, trajectory  # noqa: F401
from gankit.demos.base import DEMOS, Demo

__all__ = ["DEMOS", "Demo"]
