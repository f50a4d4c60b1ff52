import numpy as np
import pytest

from gankit.metrics.density_coverage import density_coverage
from gankit.metrics.precision_recall import precision_recall


def clusters(n, centres, rng, spread=0.05):
    k = rng.integers(len(centres), size=n)
    return centres[k] + spread * rng.normal(size=(n, centres.shape[1]))


def test_identical_sets_have_precision_and_recall_one():
    x = np.random.default_rng(0).normal(size=(300, 8))
    assert precision_recall(x, x.copy()) == {"precision": 1.0, "recall": 1.0}
    dc = density_coverage(x, x.copy())
    assert dc["coverage"] == 1.0 and dc["density"] >= 1.0


def test_covering_half_the_modes_halves_recall_keeps_precision():
    # Low-dimensional features so the union of 3-NN balls covers each cluster; in high dimensions
    # two samples of the same distribution already score well below 1 (finite-sample effect).
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(10, 2)) * 10
    real = clusters(4000, centres, rng)
    fake = clusters(4000, centres[:5], rng)
    pr = precision_recall(real, fake)
    assert pr["precision"] > 0.95
    assert pr["recall"] == pytest.approx(0.5, abs=0.05)
    dc = density_coverage(real, fake)
    assert dc["coverage"] == pytest.approx(0.5, abs=0.05)


def test_off_manifold_fakes_have_low_precision():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(5, 8)) * 10
    pr = precision_recall(clusters(1000, centres, rng), clusters(1000, centres + 5.0, rng))
    assert pr["precision"] < 0.05 and pr["recall"] < 0.05
