"""Components of the user's own: network classes passed to ``gankit.train(G=..., D=...)``
(registered under their class names), or a module that registers them (``@GENERATORS.register("mine")``
on an ``nn.Module`` subclass, likewise for discriminators, losses, regularisers, datasets and
metrics) is imported with ``gankit --import MODULE ...`` or a plain ``import`` in Python. Its
options are then checked like the built-in ones, and a resume or a load of the run needs the
same ``--import``: gankit never imports a module because a config or checkpoint names it.
"""

from __future__ import annotations

import importlib
import os
import sys

from gankit.errors import GankitError


def load(modules: list[str]) -> None:
    """Import each module (the current folder first on the path, as ``python -m`` has it)."""
    if modules and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise GankitError(
                f"--import {name}: {exc}; put {name.replace('.', '/')}.py in the current folder, "
                f"install its package or add its folder to PYTHONPATH"
            ) from None
        except Exception as exc:  # the user's module failed while registering
            raise GankitError(f"--import {name} failed: {type(exc).__name__}: {exc}") from None


def players(G: type | None, D: type | None, resumed: bool = False) -> dict:
    """Register the user's network classes; the config keys that select them (none on a resume:
    the run's config already names them)."""
    from gankit.nets import DISCRIMINATORS, GENERATORS

    keys = {}
    for arg, cls, registry, key in (("G", G, GENERATORS, "model.generator.name"),
                                    ("D", D, DISCRIMINATORS, "model.discriminator.name")):  # fmt: skip
        if cls is not None:
            keys[key] = registry.adopt(network_class(arg, cls))
    return {} if resumed else keys


def network_class(arg: str, cls) -> type:
    """``cls`` if it is a Net subclass gankit can build; else one line saying what to pass."""
    from torch import nn

    from gankit.nets.base import Net

    if isinstance(cls, nn.Module):
        raise GankitError(
            f"{arg}= takes the class, not an instance: gankit builds it with the data's shape "
            f"(and the latent size) and the config's options, so that a resume rebuilds it the "
            f"same way; pass {type(cls).__name__} and set its options as "
            f"model.{'generator' if arg == 'G' else 'discriminator'}.<option>=..."
        )
    if not (isinstance(cls, type) and issubclass(cls, Net)):
        raise GankitError(
            f"{arg}= takes a subclass of gankit.nets.base.Net (an nn.Module that says which data "
            f"shapes it handles), got {cls!r}"
        )
    return cls
