"""The same FID Inception network rebuilt in PyTorch, with its 1008-way classifier: features and
logits, for the Inception Score.

The TorchScript file behind ``inception`` ends at pool3, so it cannot give class logits. The
usual download location of this network for PyTorch is pytorch-fid's release file
``pt_inception-2015-12-05-6726825d.pth``: torchvision's Inception-v3 layout, with the TF graph's
weights and its ``fc`` layer (1008 classes). The TF graph differs from torchvision's Inception-v3
in its pooling: the average pools of the A, C and E blocks leave padding out of the mean, and the
last E block max-pools its pooling branch. The blocks below do the same. With the TorchScript
file's weights copied in, this module gives its pool3 features to float precision
(tests/metrics/test_inception_logits.py), so the architecture is the graph's.

Weights: ``~/.cache/gankit/weights/pt_inception-2015-12-05-6726825d.pth``, downloaded there once
when online (SHA-256 prefix checked), or put there by hand.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch.hub import download_url_to_file
from torchvision.models import inception as tv

from gankit.errors import GankitError
from gankit.metrics.features import FEATURES, FeatureExtractor
from gankit.metrics.inception import tf_preprocess

URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
WEIGHTS = Path("~/.cache/gankit/weights/pt_inception-2015-12-05-6726825d.pth").expanduser()


class _BlockA(tv.InceptionA):
    def _forward(self, x):
        pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False))
        return [
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            pool,
        ]


class _BlockC(tv.InceptionC):
    def _forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for layer in (
            self.branch7x7dbl_1,
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            d = layer(d)
        pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False))
        return [self.branch1x1(x), b7, d, pool]


class _BlockE(tv.InceptionE):
    def __init__(self, in_channels: int, max_pool: bool):
        super().__init__(in_channels)
        self.max_pool = max_pool

    def _forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = (
            F.max_pool2d(x, 3, stride=1, padding=1)
            if self.max_pool
            else F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        )
        return [self.branch1x1(x), b3, d, self.branch_pool(pooled)]


def fid_inception() -> tv.Inception3:
    """The 2015-12-05 graph as torchvision modules (random weights): pool3 2048-d, fc 1008-way."""
    net = tv.Inception3(
        num_classes=1008, aux_logits=False, transform_input=False, init_weights=False
    )
    net.Mixed_5b, net.Mixed_5c, net.Mixed_5d = _BlockA(192, 32), _BlockA(256, 64), _BlockA(288, 64)
    net.Mixed_6b, net.Mixed_6c = _BlockC(768, 128), _BlockC(768, 160)
    net.Mixed_6d, net.Mixed_6e = _BlockC(768, 160), _BlockC(768, 192)
    net.Mixed_7b, net.Mixed_7c = _BlockE(1280, max_pool=False), _BlockE(2048, max_pool=True)
    return net.eval()


def pool3(net: tv.Inception3, x: torch.Tensor) -> torch.Tensor:
    """[N, 3, 299, 299] in [-1, 1] -> pool3 features [N, 2048]."""
    for name in (
        "Conv2d_1a_3x3",
        "Conv2d_2a_3x3",
        "Conv2d_2b_3x3",
        "maxpool1",
        "Conv2d_3b_1x1",
        "Conv2d_4a_3x3",
        "maxpool2",
        "Mixed_5b",
        "Mixed_5c",
        "Mixed_5d",
        "Mixed_6a",
        "Mixed_6b",
        "Mixed_6c",
        "Mixed_6d",
        "Mixed_6e",
        "Mixed_7a",
        "Mixed_7b",
        "Mixed_7c",
        "avgpool",
    ):
        x = getattr(net, name)(x)
    return x.flatten(1)


def locate(download: bool = True) -> Path:
    if not WEIGHTS.is_file() and download:
        try:
            WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
            download_url_to_file(URL, str(WEIGHTS), hash_prefix="6726825d", progress=True)
        except Exception:  # offline, or a bad download (removed by torch.hub)
            pass
    if not WEIGHTS.is_file():
        raise GankitError(
            f"the Inception weights with the classifier are not available: put pytorch-fid's "
            f"pt_inception-2015-12-05-6726825d.pth at {WEIGHTS} (from {URL})"
        )
    return WEIGHTS


@FEATURES.register("inception_logits")
class InceptionWithLogits(FeatureExtractor):
    """TF Inception-v3 (2015-12-05) in PyTorch: pool3 features [N, 2048] and class logits
    [N, 1008], same preprocessing as ``inception``. For the Inception Score; FID from it equals
    FID from ``inception`` to float precision."""

    dim = 2048
    key = "inception-2015-12-05-pt-pool3-bilinear299-tf"
    has_logits = True

    def __init__(self, download: bool = True, net: tv.Inception3 | None = None):
        super().__init__()
        if net is None:
            net = fid_inception()
            net.load_state_dict(torch.load(locate(download), map_location="cpu", weights_only=True))
        self.net = net.eval()

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return pool3(self.net, tf_preprocess(images))

    @torch.no_grad()
    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.net.fc(self.forward(images))
