"""Components of the user's own: a module that registers them (``@GENERATORS.register("mine")``
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
