"""Network interfaces and registries.

Generators map z [N, z_dim] to a batch of data [N, *shape]; discriminators map [N, *shape] to
raw scores [N] (no sigmoid: the loss decides how to read them). Networks built with
``num_classes`` > 0 also read a label y [N] (``gankit.nets.conditional``): G(z, y), D(x, y).
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.nets.conditional import ConditionalDiscriminator
from gankit.nets.packing import PackedInput, widened
from gankit.registry import Registry


class Net(nn.Module):
    """Base for both players. Subclasses say which data shapes they can handle."""

    #: discriminators: True if the output is an energy (low on real data), as EBGAN's loss needs
    outputs_energy = False

    @classmethod
    def check_shape(cls, shape: tuple[int, ...]) -> None:
        """Raise GankitError if this network cannot model data of ``shape`` (one sample)."""

    @classmethod
    def example_shapes(cls) -> list[tuple[int, ...]]:
        """Shapes the test-suite instantiates this network with."""
        raise NotImplementedError


class ImageNet(Net):
    """A convolutional net for [C, H, W] images with H == W in ``resolutions``."""

    resolutions: tuple[int, ...] = ()

    @classmethod
    def check_shape(cls, shape):
        name = getattr(cls, "registered_name", cls.__name__)
        if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in cls.resolutions:
            sizes = ", ".join(map(str, cls.resolutions))
            raise GankitError(
                f"network '{name}' handles square images of size {sizes}, not data of shape "
                f"{tuple(shape)}; set data.resolution to one of those or pick another network"
            )

    @classmethod
    def example_shapes(cls):
        return [(c, s, s) for s in cls.resolutions for c in (1, 3, 4)]


class Discriminator(Net, ConditionalDiscriminator):
    """A discriminator split as ``head(embed(x))``: ``embed`` maps [N, *shape] to penultimate
    features [N, feature_dim] and ``head`` maps those to one raw score each. Feature matching
    reads ``embed``; minibatch discrimination and minibatch stddev replace ``head``. A
    conditional one adds the projection term <embed(y), features> (see nets.conditional)."""

    feature_dim: int
    head: nn.Module
    #: the layer that reads the data first (a plain conv or linear layer), which packing widens
    input_layer: str = "net.0"
    #: samples per score: ``read_packs(m)`` makes D score packs of m (PacGAN); 1 otherwise
    pack: int = 1

    def embed(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        features = self.embed(x, y)  # [N / pack, F]
        out = self.project(self.head(features).flatten(), features, y)
        # each sample gets its pack's score, so losses and their means keep their [N] shapes
        return out.repeat_interleave(self.pack) if self.pack > 1 else out

    def read_packs(self, m: int) -> None:
        """Score packs of ``m`` consecutive samples from here on: the input layer reads them
        stacked along channels and ``embed`` gives one feature row per pack [N / m, F]."""
        if self.num_classes:
            raise GankitError(
                "regularizers.pack cannot score packs of labelled samples (one label per score); "
                "drop it or set data.labels=false"
            )
        parent, _, attr = self.input_layer.rpartition(".")
        packed = PackedInput(widened(self.get_submodule(self.input_layer), m), m)
        setattr(self.get_submodule(parent), attr, packed)
        self.pack = m


GENERATORS: Registry[Net] = Registry("generator")
DISCRIMINATORS: Registry[Net] = Registry("discriminator")


def build_player(registry: Registry, name: str, args: dict, positional: tuple,
                 num_classes: int, where: str) -> Net:  # fmt: skip
    """A generator or discriminator from its config; ``num_classes`` > 0 makes it conditional
    (the data's labels decide that, never the user's --set)."""
    if "num_classes" in args:
        raise GankitError(
            f"{where}.num_classes is set from the data's classes; remove it and set data.labels=true"
        )
    if num_classes:
        if "num_classes" not in inspect.signature(registry.get(name)).parameters:
            raise GankitError(
                f"{registry.kind} '{name}' cannot read class labels; use dcgan, resnet or mlp for "
                f"a conditional run, or set data.labels=false"
            )
        args = {**args, "num_classes": num_classes}
    elif "conditioning" in args:
        raise GankitError(
            f"{where}.conditioning needs labels the network reads: set data.labels=true "
            f"(model.kind=gan or, for the generator, acgan)"
        )
    return registry.build(name, *positional, **args)
