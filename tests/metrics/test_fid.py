import numpy as np
import pytest

from gankit.errors import GankitError
from gankit.metrics.fid import frechet_distance
from gankit.metrics.stats import FeatureStats


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(500, 16))
    mu, cov = FeatureStats.of(x).mean_cov()
    assert abs(frechet_distance(mu, cov, mu, cov)) < 1e-6


def test_fid_closed_form_for_two_gaussians():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.5, 2, 6), rng.uniform(0.5, 2, 6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    expected = ((mu1 - mu2) ** 2).sum() + (a + b - 2 * np.sqrt(a * b)).sum()
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-9)
    # a shared full covariance leaves only the mean term
    q = rng.normal(size=(6, 6))
    shared = q @ q.T + np.eye(6)
    assert frechet_distance(mu1, shared, mu2, shared) == pytest.approx(
        ((mu1 - mu2) ** 2).sum(), rel=1e-6
    )


def test_fid_is_symmetric():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(400, 8)), rng.normal(1.0, 2.0, size=(300, 8))
    sx, sy = FeatureStats.of(x).mean_cov(), FeatureStats.of(y).mean_cov()
    assert frechet_distance(*sx, *sy) == pytest.approx(frechet_distance(*sy, *sx), rel=1e-9)


def test_float64_statistics_do_not_depend_on_batch_size():
    x = np.random.default_rng(3).normal(5.0, 1.0, size=(1000, 32)).astype(np.float32)
    mu1, c1 = FeatureStats.of(x, batch=7).mean_cov()
    mu2, c2 = FeatureStats.of(x, batch=1000).mean_cov()
    np.testing.assert_allclose(mu1, mu2, rtol=1e-12)
    np.testing.assert_allclose(c1, c2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        c1, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-9, atol=1e-12
    )


def test_fewer_samples_than_dimensions_still_gives_a_finite_value():
    rng = np.random.default_rng(4)
    s1, s2 = FeatureStats.of(rng.normal(size=(10, 64))), FeatureStats.of(rng.normal(size=(10, 64)))
    assert np.isfinite(frechet_distance(*s1.mean_cov(), *s2.mean_cov()))


def test_a_large_imaginary_part_is_a_clear_error():
    with pytest.raises(GankitError, match="imaginary"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.diag([1.0, -4.0]))


def test_missing_inception_weights_say_one_working_command(tmp_path, monkeypatch):
    """Issue 28: the message named default_1.pt but another path, and ignored GANKIT_CACHE."""
    from gankit.metrics import inception

    monkeypatch.setattr(inception, "packaged_weights", lambda: None)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(GankitError) as info:
        inception.locate_weights(download=False)
    message = str(info.value)
    assert "make inception" in message and str(tmp_path / "cache" / "weights") in message
    assert inception.cache_file().parent == tmp_path / "cache" / "weights"
