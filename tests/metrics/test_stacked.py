import math
from pathlib import Path

import pytest
import torch

from gankit.data import DATASETS
from gankit.metrics.evaluate import primary
from gankit.metrics.stacked_modes import digit_triples, mode_histogram_stats
from tests.conftest import write_idx


@pytest.fixture
def fake_mnist(tmp_path):
    """Ten 'digits': digit d is a constant image of intensity 25*d."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = (
        (torch.arange(10, dtype=torch.uint8) * 25).view(10, 1, 1).expand(10, 28, 28).contiguous()
    )
    write_idx(raw, "train-images-idx3-ubyte", images, 2051)
    write_idx(raw, "train-labels-idx1-ubyte", torch.arange(10, dtype=torch.uint8), 2049)
    return tmp_path


def intensity_classifier(x):
    """Reads a constant 'digit' back from its intensity: one-hot logits [N, 10]."""
    digit = ((x.mean((1, 2, 3)) + 1) * 127.5 / 25).round().long().clamp(0, 9)
    return torch.nn.functional.one_hot(digit, 10).float()


def test_stacked_dataset_stacks_three_digits(fake_mnist):
    data = DATASETS.build("stacked_mnist", path=str(fake_mnist), resolution=28, n=500, seed=0)
    assert data.images.shape == (500, 3, 28, 28)
    means = data.images.float().mean((2, 3))
    assert torch.equal(
        means % 25, torch.zeros_like(means)
    )  # every channel is one whole source digit
    modes = digit_triples(data.images, intensity_classifier)
    expected = (means[:, 0] / 25) * 100 + (means[:, 1] / 25) * 10 + means[:, 2] / 25
    assert torch.equal(modes, expected.long())
    assert len(modes.unique()) > 350  # 500 draws from 1,000 equally likely triples


def test_resized_samples_are_read_at_28px(fake_mnist):
    data = DATASETS.build("stacked_mnist", path=str(fake_mnist), resolution=32, n=50, seed=1)
    up = digit_triples(data.images, intensity_classifier)
    native = digit_triples(
        DATASETS.build("stacked_mnist", path=str(fake_mnist), resolution=28, n=50, seed=1).images,
        intensity_classifier,
    )
    assert torch.equal(up, native)


def test_mode_histogram():
    every = mode_histogram_stats(torch.arange(1000).repeat(26))
    assert every["stacked_modes"] == 1000 and every["stacked_kl"] == pytest.approx(0.0, abs=1e-12)
    one = mode_histogram_stats(torch.full((26000,), 123))
    assert one["stacked_modes"] == 1 and one["stacked_kl"] == pytest.approx(math.log(1000))
    assert every["stacked_kl_digits"] == pytest.approx(0.0, abs=1e-12)
    assert one["stacked_kl_digits"] == pytest.approx(3 * math.log(10))  # log 1000 = 3 log 10


def test_checkpoints_rank_by_kl_once_every_mode_is_found():
    key, higher = primary(["stacked_modes"])
    balanced = mode_histogram_stats(torch.arange(1000).repeat(26))
    # every mode, but the first 500 drawn three times as often as the rest
    skewed = mode_histogram_stats(
        torch.cat([torch.arange(1000).repeat(13), torch.arange(500).repeat(26)])
    )
    one_lost = mode_histogram_stats(torch.arange(1, 1000).repeat(26))
    assert balanced["stacked_modes"] == skewed["stacked_modes"] == 1000
    assert not higher and balanced[key] < one_lost[key] < skewed[key]


def test_per_digit_kl_separates_frequencies_from_combinations():
    # every digit equally often per channel, but only the 10 triples (d, d, d): all in combinations
    diagonal = mode_histogram_stats(torch.arange(10).repeat(100) * 111)
    assert diagonal["stacked_kl_digits"] == pytest.approx(0.0, abs=1e-12)
    assert diagonal["stacked_kl"] == pytest.approx(math.log(100))
    # independent channels whose red digit is 0 half the time: all in frequencies
    red = torch.cat([torch.zeros(9 * 100, dtype=torch.long), torch.arange(1, 10).repeat(100)])
    modes = red.repeat_interleave(100) * 100 + torch.arange(100).repeat(1800)
    stats = mode_histogram_stats(modes)
    assert stats["stacked_kl"] == pytest.approx(stats["stacked_kl_digits"], rel=1e-9)
    assert stats["stacked_kl_digits"] > 0.3


@pytest.mark.slow
def test_classifier_reaches_99_percent_on_mnist():
    root = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
    if not root.is_dir():
        pytest.skip("../shared/data/mnist not present")
    from gankit.data.torchvision_sets import MNIST
    from gankit.metrics.mnist_classifier import _labels, accuracy, load_classifier

    model = load_classifier(str(root))
    test = MNIST(str(root), resolution=28, channels=1, train=False).images
    assert accuracy(model, test, _labels(str(root), False)) >= 0.99


def test_the_classifier_cache_is_read_back_and_a_damaged_one_retrained(tmp_path, monkeypatch):
    """The cached MNIST classifier is a verified file of its own kind (not a run checkpoint)."""
    from gankit.metrics import mnist_classifier as mc

    trained = []

    def fake_training(root):
        torch.manual_seed(len(trained))
        trained.append(mc.MNISTNet())
        return trained[-1].eval(), 0.995

    monkeypatch.setattr(mc, "train_classifier", fake_training)
    cache = tmp_path / "mnist-cnn.pt"
    first = mc.load_classifier("unused", cache=str(cache))
    again = mc.load_classifier("unused", cache=str(cache))
    assert len(trained) == 1  # the second call read the cache
    for a, b in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)
    cache.write_bytes(b"junk")
    with pytest.warns(UserWarning, match="ignoring the cached MNIST classifier"):
        mc.load_classifier("unused", cache=str(cache))
    assert len(trained) == 2
