import math

import pytest
import torch

from gankit.data import DATASETS
from gankit.metrics.modes import mode_stats


@pytest.fixture
def ring():
    return DATASETS.build("ring")


def test_all_modes(ring):
    out = mode_stats(ring.sample(2500, torch.Generator().manual_seed(0)), ring.modes, ring.std)
    assert out["modes"] == 8 and out["hq"] > 0.98 and out["reverse_kl"] < 0.01


def test_one_mode(ring):
    x = ring.modes[3] + ring.std * torch.randn(2500, 2)
    out = mode_stats(x, ring.modes, ring.std)
    assert out["modes"] == 1 and out["reverse_kl"] == pytest.approx(math.log(8))


def test_off_manifold(ring):
    out = mode_stats(torch.zeros(2500, 2), ring.modes, ring.std)  # the centre of the ring
    assert out == {"modes": 0.0, "hq": 0.0, "reverse_kl": float("inf")}


def test_grid_half_covered():
    grid = DATASETS.build("grid")
    x = grid.modes[:12].repeat(100, 1) + grid.std * torch.randn(1200, 2)
    out = mode_stats(x, grid.modes, grid.std)
    assert out["modes"] == 12 and out["reverse_kl"] == pytest.approx(math.log(25 / 12), abs=1e-3)
