"""Generators and discriminators, registered by name in ``GENERATORS`` / ``DISCRIMINATORS``."""

from gankit.nets import autoencoder, biggan, dcgan, infogan, mlp, r3gan, resnet, textbook  # noqa: F401
from gankit.nets.base import DISCRIMINATORS, GENERATORS, Net, build_player

__all__ = ["GENERATORS", "DISCRIMINATORS", "Net", "build_player"]
