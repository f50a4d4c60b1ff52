"""A classifier for any labelled image dataset (Fashion-MNIST, CIFAR-10, a class-folder dataset):
a small CNN trained once on the real labelled images, 10% held out, cached by the data's content.

It lets class_accuracy and code_purity read generated samples of datasets without a bundled
classifier. Its held-out accuracy is printed and returned with the metrics; below
``MIN_ACCURACY`` (or 3x chance) it would judge generated samples by noise, and is refused.
"""

from __future__ import annotations

import hashlib
import os
import sys
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gankit.data.base import ImageData, uint8_to_float
from gankit.errors import GankitError
from gankit.run.checkpoint import read, save_atomic, serialise

MIN_ACCURACY = 0.5


class SmallCNN(nn.Module):
    """uint8-derived floats [N, C, S, S] in [-1, 1] -> logits [N, K]; resolution-agnostic."""

    def __init__(self, channels: int, classes: int, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 4 * width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )  # fmt: skip
        self.head = nn.Linear(4 * width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


def fingerprint(data: ImageData) -> str:
    h = hashlib.sha1(data.images.numpy().tobytes())
    h.update(data.labels.numpy().tobytes())
    return h.hexdigest()[:16]


def cache_path(data: ImageData) -> Path:
    root = Path(os.environ.get("GANKIT_CACHE", "~/.cache/gankit")).expanduser()
    return root / "models" / f"classifier-{fingerprint(data)}.pt"


@torch.enable_grad()  # it is trained on first use, and its callers score under no_grad
def train(data: ImageData, epochs: int = 5, seed: int = 0) -> tuple[SmallCNN, float]:
    """Trained on 90% of the labelled images; accuracy on the other 10%."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(data.images), generator=g)
    held = perm[: max(1, len(perm) // 10)]
    fit = perm[len(held) :]
    torch.manual_seed(seed)
    net = SmallCNN(data.images.shape[1], data.num_classes)
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    for _ in range(epochs):
        order = fit[torch.randperm(len(fit), generator=g)]
        for rows in order.split(128):
            loss = F.cross_entropy(net(uint8_to_float(data.images[rows])), data.labels[rows])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(uint8_to_float(data.images[r])).argmax(1) for r in held.split(512)])
    return net, float((pred == data.labels[held]).double().mean())


def learned_classifier(data) -> tuple[callable, float]:
    """(classify: float samples [N, C, S, S] -> int64 classes [N], held-out accuracy)."""
    if not isinstance(data, ImageData) or data.labels is None or not data.num_classes:
        raise GankitError(
            "class_accuracy needs labelled data: a class-folder dataset or a labelled one with "
            "data.labels=true"
        )
    path = cache_path(data)
    net = SmallCNN(data.images.shape[1], data.num_classes)
    accuracy = load_cached(path, net)
    if accuracy is None:
        net, accuracy = train(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_atomic(serialise({"model": net.state_dict(), "accuracy": accuracy}), path)
    print(f"gankit: a classifier trained on this run's labelled data reads {accuracy:.1%} of "
          f"held-out real images correctly ({path.name})", file=sys.stderr)  # fmt: skip
    floor = max(MIN_ACCURACY, 3.0 / data.num_classes)
    if accuracy < floor:
        raise GankitError(
            f"the classifier trained on this data reads only {accuracy:.1%} of held-out real "
            f"images correctly (< {floor:.0%}), too few for class_accuracy to mean anything"
        )
    net.eval()

    def classify(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([net(chunk.float()).argmax(1) for chunk in x.split(512)])

    return classify, accuracy


def load_cached(path: Path, net: nn.Module) -> float | None:
    """Load the cached classifier into ``net``, its accuracy; None (retrain) if there is none
    or it is damaged."""
    if not path.is_file():
        return None
    try:
        state = read(path)
        net.load_state_dict(state["model"])
        return float(state["accuracy"])
    except (GankitError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        warnings.warn(f"ignoring the cached classifier {path} ({exc}); training it again")
        return None
