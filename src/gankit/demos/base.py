"""Theory demos: small experiments that check a statement of the course material numerically,
write one figure and return their numbers. ``gankit demo NAME`` runs one; the tests run each
with ``quick=True`` and assert the numbers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from gankit.registry import Registry  # noqa: E402
from gankit.run.rundir import atomic  # noqa: E402


class Demo:
    """``run(out, quick)`` writes ``out/<name>.png`` and returns {number name: value}."""

    def run(self, out: Path, quick: bool = False) -> dict[str, float]:
        raise NotImplementedError


DEMOS: Registry[Demo] = Registry("demo")


def mlp(d_in: int = 1, width: int = 64, depth: int = 2) -> nn.Module:
    layers, dims = [], [d_in] + [width] * depth
    for a, b in zip(dims, dims[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def gaussian(mean: float, std: float, n: int, gen: torch.Generator) -> torch.Tensor:
    return mean + std * torch.randn(n, 1, generator=gen)


def density(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * (2 * torch.pi) ** 0.5)


def save_figure(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    with atomic(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path
