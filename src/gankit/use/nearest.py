"""Is G copying its training set? ``gankit nearest RUN --n 64 --out nn.png``.

Each generated sample is shown beside its k nearest training images (Euclidean distance in the
FID network's feature space, or in pixel space). The verdict comes from two distributions: the
distance from a generated sample to its nearest training image, and the distance from a training
image to its nearest *other* training image. A generator that memorises sits far below the
real-vs-real distances (copies at distance 0); a generator that generalises sits at or above
them (Webster et al. 2019; the check of the StyleGAN2-ADA paper on small datasets).
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import numpy as np
import torch

from gankit.data import DATASETS
from gankit.data.base import ImageData, float_to_uint8
from gankit.errors import GankitError
from gankit.metrics.cache import RealFeatureCache
from gankit.metrics.features import FEATURES, extract
from gankit.run.rundir import atomic
from gankit.use.generator import load
from gankit.use.sample import checked_out, make_parent
from gankit.use.walk import image_grid

#: generated and real queries behind the distance statistics (the grid shows the first --n)
STAT_QUERIES = 500


def nearest(queries: torch.Tensor, keys: torch.Tensor, k: int, exclude_self: torch.Tensor = None):
    """The k nearest keys [N, D] of each query [M, D]: (distances [M, k], indices [M, k]).

    float64 and the direct (not matrix-product) formula: a copy is at distance exactly 0.
    ``exclude_self`` [M] gives each query's own index among the keys, never returned."""
    out_d, out_i = [], []
    for start in range(0, len(queries), 256):
        q = queries[start : start + 256].double()
        d = torch.cdist(q, keys.double(), compute_mode="donot_use_mm_for_euclid_dist")
        if exclude_self is not None:
            own = exclude_self[start : start + 256]
            d[torch.arange(len(q)), own] = float("inf")
        dist, idx = d.topk(k, dim=1, largest=False)
        out_d.append(dist)
        out_i.append(idx)
    return torch.cat(out_d), torch.cat(out_i)


def embed(images: torch.Tensor, space: str, device, label: str, cache_key: dict | None = None):
    """uint8 images [N, C, H, W] -> features [N, D] (flattened pixels in [0, 1] for 'pixel').
    With ``cache_key`` (the training set's description) the features are cached on disk, in
    the images' order, beside the evaluation's real-data features."""
    if space == "pixel":
        return images.flatten(1).double() / 255
    extractor = FEATURES.build(space).to(device)
    cache = RealFeatureCache({**cache_key, "order": "as-read"}) if cache_key else None
    features = cache.load(extractor.key, len(images)) if cache else None
    if features is None:
        features = extract(extractor, images, label=label)
        if cache:
            cache.save(extractor.key, len(images), features)
    return torch.from_numpy(features).double()


def training_images(cfg: dict, path: str | None, shape: tuple[int, ...]):
    """The run's training images (or those at ``path``, read like the run read its own) and
    what identifies them for the feature cache."""
    name, args = cfg["data"]["name"], {k: v for k, v in cfg["data"].items() if k != "name"}
    if path is not None and "path" not in inspect.signature(DATASETS.get(name)).parameters:
        # a dataset without a path (the embedded digits): read --data as a folder of images
        name, args = "folder", {"resolution": shape[-1], "channels": shape[0]}
    if path is not None:
        args["path"] = path
    data = DATASETS.build(name, **args)
    if not isinstance(data, ImageData):
        raise GankitError("gankit nearest checks image generators; this run's data are points")
    if tuple(data.shape) != tuple(shape):
        raise GankitError(
            f"--data gives images of shape {list(data.shape)} but the generator makes "
            f"{list(shape)}; pass the run's own training images"
        )
    return data.images, {"name": name, **args}


def default_space() -> str:
    from gankit.metrics.inception import locate_weights

    try:
        locate_weights(download=False)
        return "inception"
    except GankitError:
        warnings.warn(
            "the FID Inception weights are not installed (make inception), so neighbours are "
            "found in pixel space; pass --space inception after installing them"
        )
        return "pixel"


def nearest_to_file(run_dir: str, data_path: str | None, n: int, k: int, out: str,
                    space: str | None = None, which: str = "latest", seed: int = 0) -> dict:  # fmt: skip
    """nn.png (a row per sample: it, then its k nearest training images), nn-distances.png (the
    two distance distributions) and the numbers. ``space`` None: the FID network's features if
    its weights are installed, else pixels (said in a warning)."""
    space = space or default_space()
    if not 1 <= n <= 1000 or not 1 <= k <= 16:
        raise GankitError(f"--n takes 1..1000 and --k 1..16, got --n {n} --k {k}")
    out_path = checked_out(out, (".png",))
    if space != "pixel":
        FEATURES.get(space)  # an unknown name fails here, with "did you mean"
    G = load(run_dir, which)
    if len(G.shape) != 3:
        raise GankitError("gankit nearest checks image generators; this run's data are points")
    real, key = training_images(G.config, data_path, G.shape)
    if len(real) < k + 1:  # the real-to-real distances skip each image itself
        raise GankitError(
            f"--k {k} needs at least {k + 1} training images, the data has {len(real)}; "
            f"pass --k {max(1, len(real) - 1)} or give more images"
        )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G.to(device)
    fake = float_to_uint8(G.sample(max(n, STAT_QUERIES), seed=seed))
    real_f = embed(real, space, device, "training images", key)
    fake_f = embed(fake, space, device, "generated")
    fake_d, fake_i = nearest(fake_f, real_f, k)
    picked = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))
    picked = picked[: min(STAT_QUERIES, len(real) - 1)]
    real_d, _ = nearest(real_f[picked], real_f, 1, exclude_self=picked)
    make_parent(out_path)
    rows = torch.cat([fake[:n, None], real[fake_i[:n]]], 1).flatten(0, 1)
    with atomic(out_path) as tmp:
        image_grid(rows.float() / 127.5 - 1, k + 1).save(tmp, format="PNG")
    plot = out_path.with_name(out_path.stem + "-distances.png")
    facts = verdict(fake_d[:, 0].numpy(), real_d[:, 0].numpy(), space)
    plot_distances(fake_d[:, 0].numpy(), real_d[:, 0].numpy(), space, plot)
    return {**facts, "grid": out_path, "plot": plot}


def verdict(fake: np.ndarray, real: np.ndarray, space: str) -> dict:
    """The numbers that say whether G copies: medians, their ratio, exact and near copies."""
    close = np.quantile(real, 0.01)  # closer than 99% of real images are to each other
    facts = {
        "median_generated_to_train": float(np.median(fake)),
        "median_train_to_train": float(np.median(real)),
        "ratio": float(np.median(fake) / max(np.median(real), 1e-12)),
        "exact_copies": int((fake <= 1e-9).sum()),
        "closer_than_1pct_real": float((fake < close).mean()),
        "queries": len(fake),
    }
    facts["summary"] = (
        f"nearest-neighbour distances ({space} space): generated->train median "
        f"{facts['median_generated_to_train']:.4g}, train->other train median "
        f"{facts['median_train_to_train']:.4g} (ratio {facts['ratio']:.3g}; well below 1 means "
        f"copying); exact copies {facts['exact_copies']} of {len(fake)}; "
        f"{100 * facts['closer_than_1pct_real']:.1f}% of samples closer than 99% of real pairs"
    )
    return facts


def plot_distances(fake: np.ndarray, real: np.ndarray, space: str, out: Path) -> None:
    from gankit.run.artifacts import plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    bins = np.linspace(0, max(fake.max(), real.max()) * 1.05 + 1e-12, 50)
    ax.hist(real, bins=bins, alpha=0.6, density=True, label="training image -> nearest other")
    ax.hist(fake, bins=bins, alpha=0.6, density=True, label="generated -> nearest training")
    ax.set_xlabel(f"Euclidean distance ({space} space)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
