"""A folder or .zip of images, searched recursively, decoded once into memory."""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from gankit.checks import Channels, Resolution, ints
from gankit.data import decoded_cache
from gankit.data.base import DATASETS, ImageData
from gankit.data.transforms import fit_pil
from gankit.errors import GankitError
from gankit.progress import progress_bar

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def list_images(path: Path) -> list[str]:
    """Image file names under ``path`` (a folder or a zip), sorted for reproducibility."""
    if path.is_dir():
        return sorted(
            str(p) for p in path.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file()
        )
    if not zipfile.is_zipfile(path):
        raise GankitError(
            f"data path {path} is a file but not a zip archive; point --data at a folder or a .zip of images"
        )
    with zipfile.ZipFile(path) as zf:
        return sorted(
            n for n in zf.namelist() if Path(n).suffix.lower() in EXTENSIONS and not n.endswith("/")
        )


def count_ignored(path: Path) -> int:
    """Files that are not images by their extension (.gif, .txt, ...): counted, never read."""
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.is_file() and p.suffix.lower() not in EXTENSIONS)
    with zipfile.ZipFile(path) as zf:
        return sum(1 for n in zf.namelist()
                   if not n.endswith("/") and Path(n).suffix.lower() not in EXTENSIONS)  # fmt: skip


def is_grey(images: torch.Tensor) -> bool:
    """Whether every image of a uint8 [N, 3, H, W] array has three equal channels."""
    return bool((images[:, 0] == images[:, 1]).all() and (images[:, 1] == images[:, 2]).all())


def within(names: list[str], root: Path, subdir: str) -> list[str]:
    """The names under ``subdir`` of the folder or zip (all of them for "")."""
    if not subdir:
        return names
    prefix = str(root / subdir) + "/" if root.is_dir() else subdir.strip("/") + "/"
    return [n for n in names if n.startswith(prefix)]


def class_labels(root: Path, names: list[str]) -> tuple[torch.Tensor, list[str]]:
    """The ImageFolder convention: an image's class is its first sub-folder (below any folder
    that every image shares, as in a zip holding one top folder). Classes are sorted by name."""
    parts = [Path(n).relative_to(root).parts if root.is_dir() else Path(n).parts for n in names]
    shared = 0
    while all(len(p) > shared + 1 for p in parts) and len({p[shared] for p in parts}) == 1:
        shared += 1
    loose = [n for n, p in zip(names, parts) if len(p) <= shared + 1]
    if loose:
        raise GankitError(
            f"data.labels=true reads classes from sub-folders (ROOT/CLASS/image.png), but "
            f"{loose[0]} is not in one; sort the images into class folders or set data.labels=false"
        )
    classes = sorted({p[shared] for p in parts})
    if len(classes) < 2:
        raise GankitError(
            f"data.labels=true found one class folder ({classes[0]}) under {root}; a conditional "
            f"run needs two or more, or set data.labels=false"
        )
    index = {c: i for i, c in enumerate(classes)}
    return torch.tensor([index[p[shared]] for p in parts], dtype=torch.int64), classes


class _Decode(Dataset):
    """Decodes one file per item; returns (uint8 tensor or None, was_upsampled)."""

    def __init__(self, root: Path, names: list[str], resolution: int, channels: int):
        self.root, self.names = root, names
        self.resolution, self.channels = resolution, channels
        self._zip, self._zip_pid = None, None

    def __len__(self):
        return len(self.names)

    def _open(self, name: str):
        if self.root.is_dir():
            return open(name, "rb")
        if self._zip_pid != os.getpid():  # one handle per worker process
            self._zip, self._zip_pid = zipfile.ZipFile(self.root), os.getpid()
        return io.BytesIO(self._zip.read(name))

    def __getitem__(self, i):
        try:
            with self._open(self.names[i]) as f, Image.open(f) as img, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PIL's palette/EXIF chatter; failures still raise
                img.load()
                small = min(img.size) < self.resolution
                return fit_pil(img, self.resolution, self.channels), small
        except Exception:  # any undecodable file is skipped and counted, never fatal
            return None, False


def _collate(items):
    """One stacked tensor per batch (one shared-memory handle, not one per image)."""
    kept = [img for img, _ in items if img is not None]
    bad = [j for j, (img, _) in enumerate(items) if img is None]
    return (torch.stack(kept) if kept else None), bad, sum(small for _, small in items)


@DATASETS.register("folder")
class ImageFolder(ImageData):
    """Every jpg/jpeg/png/webp/bmp under a folder (recursively; class sub-folders allowed) or in
    a .zip. Each image is converted to RGB or grey, its short side resized to ``resolution``
    (bicubic, antialiased), centre-cropped, and kept as uint8. Unreadable files are skipped,
    counted and reported; images smaller than the target are upsampled with a warning.
    With ``cache`` the decoded array is kept in $GANKIT_CACHE (default ~/.cache/gankit) and
    memory-mapped by later runs on the same files and settings. ``hflip`` mirrors training
    samples left-right at random (on the training device). ``labels``: each image's class is
    its class sub-folder (``class_labels``). ``subdir`` reads only that folder of the folder or
    zip (e.g. ``train`` of a zip holding ``train/<class>/`` and ``test/<class>/``). ``limit``
    keeps the first N images by name (small-data studies; 0: all)."""

    def __init__(
        self,
        path: str,
        resolution: Resolution = 64,
        channels: Channels = 3,
        workers: ints(-1, 256) = -1,
        cache: bool = True,
        hflip: bool = False,
        labels: bool = False,
        subdir: str = "",
        limit: ints(0, 10**9) = 0,
    ):
        super().__init__(resolution, channels, hflip)
        self.path = Path(path).expanduser()
        names = self._names(subdir, limit)
        if labels:  # before decoding: a folder without classes fails at once
            classes, self.class_names = class_labels(self.path, names)
        self.images, self.skipped, self.upsampled = self._decoded(names, workers, cache)
        if labels:
            skipped = set(self.skipped)
            kept = torch.tensor([n not in skipped for n in names], dtype=torch.bool)
            self.set_labels(classes[kept], len(self.class_names))
        self.ignored = count_ignored(self.path)
        self._warn()

    def _names(self, subdir: str, limit: int) -> list[str]:
        if not self.path.exists():
            raise GankitError(
                f"data path {self.path} does not exist; pass --data PATH to a folder or .zip of images"
            )
        names = within(list_images(self.path), self.path, subdir)
        names = names[:limit] if limit else names  # a small dataset: the first N by name
        if not names:
            where = f"{self.path}" + (f" (sub-folder {subdir})" if subdir else "")
            raise GankitError(
                f"no images ({', '.join(e[1:] for e in EXTENSIONS)}) found under {where}; check the path"
            )
        return names

    def _decoded(self, names: list[str], workers: int, cache: bool):
        """(images, skipped names, upsampled count), from the decoded cache when it has them."""
        if not cache:
            return self._decode_all(names, workers)
        key = decoded_cache.cache_key(self.path, names, self.resolution, self.channels)
        hit = decoded_cache.load(key)
        if hit is not None:
            images, info = hit
            return images, info["skipped"], info["upsampled"]
        images, skipped, upsampled = self._decode_all(names, workers)
        decoded_cache.save(key, images, {"skipped": skipped, "upsampled": upsampled})
        return images, skipped, upsampled

    def _warn(self) -> None:
        if self.skipped:
            warnings.warn(
                f"skipped {len(self.skipped)} unreadable image(s) under {self.path}, e.g. {self.skipped[0]}"
            )
        if self.upsampled:
            warnings.warn(
                f"{self.upsampled} image(s) under {self.path} are smaller than "
                f"{self.resolution}px and were upsampled"
            )
        if self.channels == 3 and is_grey(self.images):
            warnings.warn(
                f"every image under {self.path} is grey, read here as 3 equal channels; "
                f"--set data.channels=1 trains on one (3x less input to D)"
            )

    def _decode_all(self, names, workers):
        workers = min(8, os.cpu_count() or 1) if workers < 0 else workers
        loader = DataLoader(
            _Decode(self.path, names, self.resolution, self.channels),
            batch_size=64,
            num_workers=workers if len(names) > 256 else 0,
            collate_fn=_collate,
            # its own generator: a loader draws its workers' seed from the global RNG otherwise,
            # so a first (decoding) run would start its nets from other weights than a cached one
            generator=torch.Generator().manual_seed(0),
        )
        kept, skipped, upsampled = [], [], 0
        with progress_bar(
            total=len(names), desc=f"decoding {self.path.name}", unit="img", leave=False
        ) as bar:
            for start, (images, bad, small) in zip(range(0, len(names), 64), loader):
                kept += [images] if images is not None else []
                skipped += [names[start + j] for j in bad]
                upsampled += small
                bar.update(min(64, len(names) - start))
        if not kept:
            raise GankitError(
                f"none of the {len(names)} image files under {self.path} could be decoded; are they images?"
            )
        return torch.cat(kept), skipped, upsampled

    def summary(self):
        return {
            **super().summary(),
            "path": str(self.path),
            "read_as": f"{'RGB' if self.channels == 3 else 'grey'}, short side resized to "
            f"{self.resolution} and centre-cropped",
            "skipped": len(self.skipped),
            "upsampled": self.upsampled,
            "ignored_not_images": self.ignored,
        }
