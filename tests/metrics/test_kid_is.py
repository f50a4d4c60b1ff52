import numpy as np
import pytest

from gankit.metrics.inception_score import inception_score
from gankit.metrics.kid import kernel_mmd2, kid


def test_kid_is_unbiased_for_equal_distributions():
    rng = np.random.default_rng(0)
    estimates = [
        kernel_mmd2(rng.normal(size=(50, 8)), rng.normal(size=(50, 8))) for _ in range(400)
    ]
    stderr = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates)) < 3 * stderr  # a biased estimator would sit clearly above 0


def test_kid_small_subsets_average_to_the_large_sample_mmd():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(3000, 8)), rng.normal(0.3, 1.0, size=(3000, 8))
    truth = kernel_mmd2(real[:3000], fake[:3000])
    small = kid(real, fake, subsets=300, subset_size=40, seed=2)
    assert small["kid"] == pytest.approx(truth, rel=0.1)
    assert truth > 0.05


def test_kid_subset_never_larger_than_the_sets():
    rng = np.random.default_rng(3)
    out = kid(rng.normal(size=(30, 4)), rng.normal(size=(20, 4)), subsets=5, subset_size=1000)
    assert np.isfinite(out["kid"])


def test_inception_score_bounds():
    assert inception_score(np.zeros((100, 10)), splits=10)[0] == pytest.approx(1.0)
    confident = np.full((1000, 10), -50.0)
    confident[np.arange(1000), np.arange(1000) % 10] = 50.0
    assert inception_score(confident, splits=10)[0] == pytest.approx(10.0, rel=1e-6)
