"""Scoring any two sets of images (``gankit score A B``) and writing reference statistics
(``gankit stats PATH --out ref.npz``), with ``gankit eval``'s protocol (docs/evaluation.md).

A side is a folder or .zip of images (read at their own size: the feature network resizes), an
.npy/.npz array of images (uint8 HWC or CHW, or float in [-1, 1] or [0, 1]), a gankit run
directory (n samples of its EMA generator), or a statistics .npz with ``mu`` and ``sigma`` (as
pytorch-fid and torch-fidelity write them; FID only). Real-side features are cached by content.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gankit.data.base import float_to_uint8, uint8_to_float
from gankit.data.folder import list_images
from gankit.data.npy import header_checked
from gankit.errors import GankitError, why
from gankit.metrics.evaluate import context, run_metrics
from gankit.metrics.fid import frechet_distance
from gankit.metrics.stats import FeatureStats
from gankit.run.rundir import atomic


@dataclass
class Side:
    """One set to compare: uint8 images [N, C, H, W], or only its FID statistics."""

    label: str
    images: torch.Tensor | None = None
    stats: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def key(self) -> dict:
        """What its features are cached under: the images' content, not their path."""
        digest = hashlib.sha1(self.images.numpy().tobytes()).hexdigest()
        return {"name": "score", "sha1": digest, "shape": list(self.images.shape)}


class Images:
    """A side's images as a data source for the metric context (floats in [-1, 1])."""

    is_image = True

    def __init__(self, images: torch.Tensor):
        self.images, self.shape = images, tuple(images.shape[1:])

    def real_sample(self, n: int, seed: int = 0) -> torch.Tensor:
        idx = torch.randperm(len(self.images), generator=torch.Generator().manual_seed(seed))[:n]
        return uint8_to_float(self.images[idx])


def read_side(path: str, n: int, seed: int = 0) -> Side:
    p = Path(path).expanduser()
    if not p.exists():
        raise GankitError(f"{p} does not exist; give a folder, zip, .npy/.npz, run or statistics")
    if p.is_dir() and (p / "checkpoints").is_dir():
        return Side(str(p), images=run_samples(p, n, seed))
    if p.suffix == ".npz" and {"mu", "sigma"} <= npz_keys(p):
        return Side(str(p), stats=read_stats(p))
    if p.suffix in (".npy", ".npz"):
        return Side(str(p), images=read_array(p))
    return Side(str(p), images=read_folder(p))


def npz_keys(path: Path) -> set[str]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return set(data.files)
    except (OSError, ValueError) as exc:
        raise GankitError(f"{path} is not a readable .npz ({why(exc)})") from None


def run_samples(path: Path, n: int, seed: int) -> torch.Tensor:
    from gankit.use.generator import load

    G = load(path)
    if len(G.shape) != 3:
        raise GankitError(f"{path} makes points (a toy dataset); score compares images")
    return float_to_uint8(G.sample(n, seed=seed))


def read_stats(path: Path) -> tuple[np.ndarray, np.ndarray]:
    data = np.load(path)
    mu, sigma = np.asarray(data["mu"], np.float64), np.asarray(data["sigma"], np.float64)
    if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)):
        raise GankitError(
            f"{path}: mu must be [d] and sigma [d, d], got {mu.shape} and {sigma.shape}"
        )
    return mu, sigma


def read_array(path: Path) -> torch.Tensor:
    """uint8 HWC/CHW or float [-1, 1]/[0, 1] images -> uint8 [N, C, H, W]; the reading said."""
    if path.suffix == ".npy":  # the header is checked before any read, as for --in and --z
        array = np.asarray(header_checked(path, "score:"))
    else:
        try:
            with np.load(path, allow_pickle=False) as data:
                array = data[data.files[0]]
        except (OSError, ValueError, IndexError) as exc:
            raise GankitError(f"{path} is not a readable image array ({why(exc)})") from None
    if array.ndim != 4 or array.dtype.kind not in "uf":
        raise GankitError(
            f"{path} holds {array.dtype} {list(array.shape)}; give images [N, H, W, C] or [N, C, H, W]"
        )
    x = torch.from_numpy(np.ascontiguousarray(array))
    if x.shape[1] not in (1, 3) and x.shape[-1] in (1, 3):
        x = x.permute(0, 3, 1, 2)  # HWC
    if x.shape[1] not in (1, 3):
        raise GankitError(
            f"{path}: images must have 1 or 3 channels, got shape {list(array.shape)}"
        )
    if x.dtype == torch.uint8:
        return x.contiguous()
    lo, hi = float(x.min()), float(x.max())
    if not np.isfinite([lo, hi]).all():
        raise GankitError(f"{path} holds NaN or infinite values")
    scale = "[0, 1]" if lo >= 0 else "[-1, 1]"
    if lo < -1.01 or hi > 1.01:
        warnings.warn(f"{path}: float values span [{lo:.3g}, {hi:.3g}], outside {scale}; clamped")
    print(f"gankit: {path}: float images read as {scale}", flush=True)
    x = x.float().clamp(-1, 1) if scale == "[-1, 1]" else x.float().clamp(0, 1) * 2 - 1
    return float_to_uint8(x)


def read_folder(path: Path) -> torch.Tensor:
    names = list_images(path)
    if not names:
        raise GankitError(f"{path} holds no images (jpg, jpeg, png, webp, bmp)")
    archive = zipfile.ZipFile(path) if not path.is_dir() else None
    images, sizes, modes = [], set(), set()
    for name in names:
        raw = archive.read(name) if archive else Path(name).read_bytes()
        try:
            with Image.open(io.BytesIO(raw)) as img:
                grey = img.mode in ("L", "LA", "I", "I;16", "1")
                x = torch.from_numpy(np.array(img.convert("L" if grey else "RGB")))
        except OSError:
            raise GankitError(f"{name} is not a readable image; remove or fix it") from None
        images.append(x.unsqueeze(0) if grey else x.permute(2, 0, 1))
        sizes.add(tuple(images[-1].shape[1:]))
        modes.add("grey" if grey else "colour")
    if len(sizes) > 1:
        raise GankitError(
            f"{path} mixes image sizes {sorted(sizes)[:3]}; resize them to one size first"
        )
    if len(modes) > 1:
        raise GankitError(f"{path} mixes grey and colour images; convert them to one kind first")
    return torch.stack(images)


def score(a: str, b: str, metrics: list[str], n: int, extractor: str = "inception",
          seed: int = 0) -> dict:  # fmt: skip
    """The metrics between A (the reference) and B; the n used on each side."""
    first, second = read_side(a, n, seed), read_side(b, n, seed)
    if first.stats is not None or second.stats is not None:
        return stats_fid(first, second, metrics, n, extractor)
    for side in (first, second):
        if len(side.images) < 2:
            raise GankitError(
                f"{side.label} has {len(side.images)} image(s); the metrics need 2 or more"
            )
    # A: a seed-0 permutation's first n, as eval draws its real side; B: the first n, in
    # their order (a run's samples as eval draws them), so score and eval agree to rounding
    fake = lambda k: uint8_to_float(second.images[:k])  # noqa: E731
    ctx = context(Images(first.images), fake, n, extractor, dataset_key=first.key)
    with torch.no_grad():
        results = run_metrics(ctx, metrics)
    return {"metrics": results, "n": {"a": ctx.used.get("real", 0), "b": ctx.used.get("fake", 0)}}


def stats_fid(first: Side, second: Side, metrics: list[str], n: int, extractor: str) -> dict:
    if metrics != ["fid"]:
        raise GankitError("a statistics file holds only mu and sigma: use --metrics fid")
    mu_sigma = [s.stats or features_stats(s, n, extractor).mean_cov() for s in (first, second)]
    return {"metrics": {"fid": frechet_distance(*mu_sigma[0], *mu_sigma[1])},
            "n": {"a": _n(first, n), "b": _n(second, n)}}  # fmt: skip


def _n(side: Side, n: int) -> int | None:
    return None if side.images is None else min(n, len(side.images))


def features_stats(side: Side, n: int, extractor: str) -> FeatureStats:
    ctx = context(Images(side.images), lambda k: None, n, extractor, dataset_key=side.key)
    return ctx.stats("real")


def write_stats(path: str, out: str, n: int, extractor: str = "inception") -> dict:
    """``gankit stats``: pytorch-fid's format, mu [d] and sigma [d, d] in float64."""
    target = Path(out).expanduser()
    if target.suffix != ".npz":
        raise GankitError(
            f"--out {target}: statistics are written as .npz; name it {target.with_suffix('.npz').name}"
        )
    side = read_side(path, n)
    if side.images is None:
        raise GankitError(f"{path} is already a statistics file")
    mu, sigma = features_stats(side, n, extractor).mean_cov()

    with atomic(target) as tmp, open(tmp, "wb") as f:
        np.savez(f, mu=mu.astype(np.float64), sigma=sigma.astype(np.float64))
    return {"out": str(target), "n": min(n, len(side.images)), "dim": len(mu)}


def evaluate_against(run_dir: str, real: str, names: list[str] | None, n: int | None,
                     which: str = "last", extractor: str = "inception", seed: int = 0) -> dict:  # fmt: skip
    """``gankit eval RUN --real PATH``: the run's generator against any reference set (a folder,
    zip, array or statistics file) instead of its training data; eval's report layout."""
    from gankit.metrics.evaluate import strict_json
    from gankit.run.rundir import RunDir
    from gankit.use.generator import load

    run = RunDir.existing(run_dir)
    n = n or 10_000
    reference = read_side(real, n, seed)  # read once: a folder may hold thousands of images
    names = names or (["fid"] if reference.stats is not None else ["fid", "kid", "pr"])
    G = load(run.path, which)
    if len(G.shape) != 3:
        raise GankitError("--real compares images; this run makes points (a toy dataset)")
    fake = Side(f"{run.path} (step {G.step})", images=float_to_uint8(G.sample(n, seed=seed)))
    if reference.stats is not None:
        result = stats_fid(reference, fake, names, n, extractor)
    else:
        ctx = context(Images(reference.images), lambda k: uint8_to_float(fake.images[:k]), n,
                      extractor, dataset_key=reference.key)  # fmt: skip
        with torch.no_grad():
            metrics = run_metrics(ctx, names)
        result = {"metrics": metrics, "n": {"a": ctx.used.get("real"), "b": ctx.used.get("fake")}}
    return {"checkpoint": str(run.checkpoint_file(which)), "step": G.step, "real": real,
            "n": {"real": result["n"]["a"], "fake": result["n"]["b"] or n},
            "extractor": extractor, **strict_json(result["metrics"])}  # fmt: skip
