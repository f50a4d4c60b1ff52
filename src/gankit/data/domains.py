"""Unpaired image domains for translation (CycleGAN, StarGAN v2): every batch holds the same
number of images of each domain, and ``y`` says which.

    domains        a folder or zip with one sub-folder per domain (ROOT/celeba/..., ROOT/anime/...,
                   StarGAN v2's layout), or explicit ``paths: {name: folder or zip}``
    mnist-invert   MNIST digits (``plain``) and the same kind of digits colour-inverted
                   (``inverted``): the true map is x -> 255 - x
    mnist-colors   MNIST digits drawn in ``red``, ``green`` or ``blue`` on black: the true map
                   keeps the digit and changes the tint

The synthetic domains split the MNIST split into disjoint parts (one per domain), so no image
has its translation among the training data: the pairs are truly unpaired.
"""

from __future__ import annotations

from pathlib import Path

import torch

from gankit.checks import Channels, Resolution, ints
from gankit.data.base import DATASETS, ImageData, uint8_to_float
from gankit.data.folder import EXTENSIONS, ImageFolder, list_images
from gankit.data.streams import Batch, TensorBatches
from gankit.data.torchvision_sets import DEFAULT_ROOT, MNIST
from gankit.errors import GankitError


class DomainBatches:
    """``batch_size / K`` images of each of K domains per batch, domain by domain:
    x [N, C, S, S], y = [0]*n + [1]*n + ... [N]. Each domain is its own resumable stream."""

    def __init__(self, parts: list[torch.Tensor], batch_size: int, device, seed: int, hflip: bool):
        k = len(parts)
        if batch_size % k:
            raise GankitError(
                f"train.batch_size ({batch_size}) must be a multiple of the {k} domains (each "
                f"batch holds as many images of every domain); set it to {k * max(1, batch_size // k)}"
            )
        n = batch_size // k
        self.blocks = k  # one block of n images per domain (a rank takes its share of each)
        self.streams = [TensorBatches(part, n, device, seed + 7919 * d, to_float=uint8_to_float,
                                      hflip=hflip) for d, part in enumerate(parts)]  # fmt: skip
        self.y = torch.arange(k, device=device).repeat_interleave(n)

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        return Batch(torch.cat([next(s).x for s in self.streams]), self.y)

    def state_dict(self) -> dict:
        return {"domains": [s.state_dict() for s in self.streams]}

    def load_state_dict(self, state: dict) -> None:
        for stream, part in zip(self.streams, state["domains"]):
            stream.load_state_dict(part)

    def shard(self, rank: int, size: int) -> None:
        """Under torchrun: this rank's share of every domain's block (labels follow)."""
        for stream in self.streams:
            stream.shard(rank, size)
        self.y = self.y.view(self.blocks, -1)[:, : self.y.numel() // self.blocks // size].flatten()


class DomainData(ImageData):
    """Images of K >= 2 named domains; ``labels`` [N] holds each image's domain."""

    domain_names: list[str]

    @staticmethod
    def check_domains(names: list[str]) -> None:
        if len(names) < 2:
            raise GankitError(
                f"translation needs two or more domains, found {len(names)} ({', '.join(names)}); "
                f"add a folder per domain (ROOT/DOMAIN/image.png) or list them in data.paths"
            )

    @classmethod
    def names_for(cls, args: dict) -> list[str]:
        """The domain names this dataset will have with options ``args``, before any image is
        read (checks build the model for them)."""
        raise NotImplementedError

    def set_domains(self, images: list[torch.Tensor], names: list[str]) -> None:
        self.check_domains(names)
        self.domain_names = list(names)
        self.images = torch.cat(images)
        self.set_labels(torch.cat([torch.full((len(x),), d) for d, x in enumerate(images)]),
                        len(names))  # fmt: skip

    def domain(self, d: int) -> torch.Tensor:
        """The uint8 images [n, C, S, S] of domain ``d``."""
        return self.images[self.labels == d]

    def batches(self, batch_size, device, seed):
        parts = [self.domain(d) for d in range(len(self.domain_names))]
        return DomainBatches(parts, batch_size, device, seed, self.hflip)

    def summary(self):
        sizes = {name: int((self.labels == d).sum()) for d, name in enumerate(self.domain_names)}
        return {**super().summary(), "domains": sizes}


@DATASETS.register("domains")
class Domains(DomainData):
    """One domain per sub-folder of ``path`` (a folder or zip; domains named by their folders,
    sorted), or per entry of ``paths`` ({name: folder or zip}). Each domain is read, resized and
    cached like the ``folder`` dataset."""

    def __init__(
        self,
        path: str = "",
        paths: dict | None = None,
        resolution: Resolution = 64,
        channels: Channels = 3,
        workers: ints(-1, 256) = -1,
        cache: bool = True,
        hflip: bool = False,
    ):
        super().__init__(resolution, channels, hflip)
        names, sources = self.sources(path, paths)
        self.check_domains(names)  # before minutes of decoding
        self.path = str(path) if path else {n: str(s) for n, s in zip(names, sources)}
        images = [self._read(source, resolution, channels, workers, cache) for source in sources]
        self.set_domains(images, names)

    @staticmethod
    def sources(path: str, paths: dict | None) -> tuple[list[str], list]:
        """(domain names, their folders or (zip, member) pairs), from exactly one of the two."""
        if bool(path) == bool(paths):
            raise GankitError(
                "data.name=domains reads either one folder with a sub-folder per domain "
                "(--data ROOT) or data.paths (a {name: folder} mapping); give exactly one"
            )
        if paths:
            return list(paths), [Path(str(p)).expanduser() for p in paths.values()]
        return domain_folders(Path(path).expanduser())

    @classmethod
    def names_for(cls, args: dict) -> list[str]:
        return cls.sources(args.get("path", ""), args.get("paths"))[0]

    @staticmethod
    def _read(source, resolution, channels, workers, cache) -> torch.Tensor:
        if isinstance(source, tuple):  # (zip, member folder)
            root, sub = source
            return ImageFolder(str(root), resolution, channels, workers, cache, subdir=sub).images
        return ImageFolder(str(source), resolution, channels, workers, cache).images

    def summary(self):
        return {**super().summary(), "path": self.path}


def domain_folders(root: Path) -> tuple[list[str], list]:
    """(names, sources) of the domain sub-folders of a folder or zip (below one shared top
    folder of a zip); a sub-folder without images is an error, not a silently missing domain."""
    if not root.exists():
        raise GankitError(
            f"data path {root} does not exist; pass --data ROOT with a folder per domain"
        )
    if root.is_dir():
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        for sub in subs:
            if not any(p.suffix.lower() in EXTENSIONS for p in sub.rglob("*")):
                raise GankitError(
                    f"domain folder {sub} holds no images ({', '.join(e[1:] for e in EXTENSIONS)}); "
                    f"add images or remove the folder"
                )
        return [p.name for p in subs], subs
    names = list_images(root)
    parts = [Path(n).parts for n in names]
    top = parts[0][0] if parts and all(len(p) > 2 and p[0] == parts[0][0] for p in parts) else None
    depth = 1 if top else 0
    found = sorted({p[depth] for p in parts if len(p) > depth + 1})
    prefix = f"{top}/" if top else ""
    return found, [(root, prefix + d) for d in found]


class MNISTDomains(DomainData):
    """MNIST digits rendered in each of ``names``' styles (``render``); domain d takes every
    K-th image of the split, starting at d, so the domains share no digit image."""

    names: tuple[str, ...]
    channels: int

    def __init__(self, path: str = DEFAULT_ROOT, resolution: Resolution = 32, train: bool = True):
        super().__init__(resolution, type(self).channels)
        digits = MNIST(path, resolution, 1, train, labels=True)
        k = len(self.names)
        #: [N] the digit class of every image, in the order of ``images``
        self.digit_labels = torch.cat([digits.labels[d::k] for d in range(k)])
        self.set_domains([self.render(digits.images[d::k], d) for d in range(k)], list(self.names))

    @classmethod
    def names_for(cls, args: dict) -> list[str]:
        return list(cls.names)

    @classmethod
    def render(cls, digits: torch.Tensor, d: int) -> torch.Tensor:
        """uint8 grey digits [N, 1, S, S] -> the same digits in domain d's style (uint8)."""
        raise NotImplementedError


@DATASETS.register("mnist-invert")
class MNISTInvert(MNISTDomains):
    """Domains ``plain`` (MNIST, white on black) and ``inverted`` (255 - x, black on white)."""

    names, channels = ("plain", "inverted"), 1

    @classmethod
    def render(cls, digits, d):
        return digits if d == 0 else 255 - digits


#: the tint of each colour domain, as RGB gains
TINTS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


@DATASETS.register("mnist-colors")
class MNISTColors(MNISTDomains):
    """Domains ``red``, ``green`` and ``blue``: the digit's strokes in that colour on black."""

    names, channels = ("red", "green", "blue"), 3

    @classmethod
    def render(cls, digits, d):
        tint = TINTS[d].view(1, 3, 1, 1)
        return (digits.float() * tint).round().to(torch.uint8)
