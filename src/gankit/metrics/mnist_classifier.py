"""A small MNIST classifier that gankit trains itself (no downloaded weights), cached on disk.
Used to read the three digits of Stacked MNIST samples."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.datasets.mnist import read_label_file

from gankit.data.torchvision_sets import MNIST, read_idx
from gankit.errors import GankitError
from gankit.progress import progress_bar
from gankit.run.checkpoint import read, save_atomic, serialise

CACHE = "~/.cache/gankit/models/mnist-cnn.pt"


class MNISTNet(nn.Module):
    """[N, 1, 28, 28] in [-1, 1] -> 10 logits. Two conv blocks and a linear head (~0.1M params)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(64 * 7 * 7, 10),
        )

    def forward(self, x):
        return self.net(x)


def _labels(root: str, train: bool) -> torch.Tensor:
    stem = "train-labels-idx1-ubyte" if train else "t10k-labels-idx1-ubyte"
    labels = read_idx(Path(root).expanduser() / "MNIST" / "raw", stem, read_label_file)
    if labels is None:
        raise GankitError(
            f"MNIST labels ({stem}) are not under {root}/MNIST/raw; the classifier needs them"
        )
    return labels


@torch.no_grad()
def read_digits(model: nn.Module, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Float grey images [N, 1, S, S] in [-1, 1] -> digits [N], resized to the model's 28x28."""
    out = []
    for chunk in x.split(batch):
        if chunk.shape[-1] != 28:
            chunk = F.interpolate(
                chunk, size=(28, 28), mode="bilinear", antialias=True, align_corners=False
            )
        out.append(model(chunk.float()).argmax(1))
    return torch.cat(out)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x.float() / 127.5 - 1).argmax(1) for x in images.split(1000)])
    return float((pred == labels).float().mean())


@torch.enable_grad()  # it is trained on first use, and its callers score under no_grad
def train_classifier(root: str, epochs: int = 3, seed: int = 0) -> tuple[MNISTNet, float]:
    torch.manual_seed(seed)
    x, y = MNIST(root, resolution=28, channels=1).images, _labels(root, True)
    xt, yt = MNIST(root, resolution=28, channels=1, train=False).images, _labels(root, False)
    model, g = MNISTNet(), torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 4e-3, total_steps=epochs * (len(x) // 128))
    for _ in progress_bar(range(epochs), desc="MNIST classifier", unit="epoch", leave=False):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x) - 127, 128):
            idx = perm[i : i + 128]
            loss = F.cross_entropy(model(x[idx].float() / 127.5 - 1), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval(), accuracy(model, xt, yt)


def load_classifier(root: str, cache: str = CACHE, min_accuracy: float = 0.99) -> MNISTNet:
    """The cached classifier, or a freshly trained one (a few minutes on a CPU) if none is cached."""
    path = Path(cache).expanduser()
    if path.is_file():
        try:
            model = MNISTNet()
            model.load_state_dict(read(path)["model"])
            return model.eval()
        except (GankitError, KeyError, RuntimeError) as exc:  # a damaged cache is retrained
            warnings.warn(f"ignoring the cached MNIST classifier {path} ({exc}); training it again")
    model, acc = train_classifier(root)
    if acc < min_accuracy:
        raise GankitError(
            f"the MNIST classifier reached only {acc:.4f} test accuracy (< {min_accuracy}); "
            f"Stacked MNIST mode counts would be unreliable"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    save_atomic(
        serialise(
            {"format": "gankit-mnist-classifier-1", "model": model.state_dict(), "accuracy": acc}
        ),
        path,
    )
    return model
