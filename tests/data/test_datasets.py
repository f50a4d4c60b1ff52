import math

import pytest
import torch

from gankit.data import DATASETS
from gankit.data.streams import TensorBatches
from gankit.errors import GankitError
from gankit.metrics.modes import mode_stats


def test_digits_embedded_default():
    data = DATASETS.build("digits", resolution=32)
    assert data.images.shape == (1797, 1, 32, 32) and data.images.dtype == torch.uint8
    assert data.images.max() == 255 and data.images.min() == 0
    batch = next(data.batches(64, torch.device("cpu"), seed=0)).x
    assert batch.shape == (64, 1, 32, 32) and -1 <= batch.min() and batch.max() <= 1


def test_ring_protocol():
    ring = DATASETS.build("ring")
    assert ring.modes.shape == (8, 2)
    torch.testing.assert_close(ring.modes.norm(dim=1), torch.ones(8))
    x = ring.sample(20000, torch.Generator().manual_seed(0))
    nearest = torch.cdist(x, ring.modes).min(1)
    assert nearest.values.max() < 6 * 0.01  # every point within a few std of a mode
    counts = torch.bincount(nearest.indices, minlength=8).float()
    assert (counts / counts.sum() - 1 / 8).abs().max() < 0.02
    assert abs(x.sub(ring.modes[nearest.indices]).std().item() - 0.01) < 1e-3


def test_grid_protocol():
    grid = DATASETS.build("grid")
    assert grid.modes.shape == (25, 2)
    assert sorted(set(grid.modes[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert grid.std == 0.05


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_standardized_mixture_has_unit_spread_and_the_same_scores(name):
    plain, unit = DATASETS.build(name), DATASETS.build(name, standardize=True)
    x = unit.sample(50000, torch.Generator().manual_seed(0))
    assert x.std(0).tolist() == pytest.approx([1.0, 1.0], abs=0.02)
    assert unit.scale == pytest.approx({"ring": 0.5**0.5, "grid": 8**0.5}[name], rel=1e-3)
    # the same generated points, in either unit, get the same protocol scores
    fake = plain.sample(3000, torch.Generator().manual_seed(1)) * 1.02 + 0.003
    assert mode_stats(fake / unit.scale, unit.modes, unit.std) == pytest.approx(
        mode_stats(fake, plain.modes, plain.std)
    )


def test_gaussian1d_mixture():
    g = DATASETS.build("gaussian1d", means=[-2.0, 2.0], std=0.5)
    x = g.sample(40000, torch.Generator().manual_seed(1))
    assert x.shape == (40000, 1)
    assert abs(x.mean().item()) < 0.05
    assert abs(x.var().item() - (4 + 0.25)) < 0.1


def test_stream_resume_gives_the_same_batches():
    data = torch.arange(50).view(50, 1)
    a = TensorBatches(data, 8, "cpu", seed=3, to_float=lambda x: x)
    for _ in range(9):  # cross an epoch boundary
        next(a)
    state = a.state_dict()
    expected = [next(a).x for _ in range(10)]
    b = TensorBatches(data, 8, "cpu", seed=99, to_float=lambda x: x)
    b.load_state_dict(state)
    assert all(torch.equal(x, y) for x, y in zip(expected, (next(b).x for _ in range(10))))


def test_hflip_mirrors_about_half_the_samples_and_resumes():
    # sample i is an image whose pixels are i, i + 0.001 * column: a flip is visible, the sample known
    data = torch.arange(200.0).view(200, 1, 1, 1) + 0.001 * torch.arange(4.0).view(1, 1, 1, 4)
    s = TensorBatches(data, 50, "cpu", seed=1, to_float=lambda x: x, hflip=True)
    batches = [next(s).x for _ in range(4)]
    flipped = torch.cat([b[:, 0, 0, 0] > b[:, 0, 0, -1] for b in batches])
    assert 70 < flipped.sum() < 130  # Binomial(200, 1/2)
    ids = torch.cat([b.amin(dim=(1, 2, 3)) for b in batches]).round().sort().values
    assert torch.equal(
        ids, torch.arange(200.0)
    )  # flipped or not, each sample exactly once an epoch
    state = s.state_dict()
    expected = [next(s).x for _ in range(5)]
    r = TensorBatches(data, 50, "cpu", seed=7, to_float=lambda x: x, hflip=True)
    r.load_state_dict(state)
    assert all(torch.equal(x, y) for x, y in zip(expected, (next(r).x for _ in range(5))))


def test_epochs_visit_every_sample_once():
    data = torch.arange(32).view(32, 1)
    s = TensorBatches(data, 8, "cpu", seed=0, to_float=lambda x: x)
    seen = torch.cat([next(s).x for _ in range(4)]).flatten().sort().values
    assert torch.equal(seen, torch.arange(32))


def test_batch_larger_than_dataset_is_a_clear_error():
    with pytest.raises(GankitError, match="larger than the dataset"):
        TensorBatches(torch.zeros(10, 1), 64, "cpu", 0, to_float=lambda x: x)


def test_mnist_offline_without_copy_is_a_clear_error(tmp_path):
    with pytest.raises(GankitError, match="could not be downloaded"):
        DATASETS.build("mnist", path=str(tmp_path))


def test_mnist_reads_raw_idx_gz(tmp_path):
    """A torchvision-layout raw folder with gzipped IDX files is read without extraction."""
    import gzip
    import struct

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    with gzip.open(raw / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 2051, 5, 28, 28) + images.numpy().tobytes())
    data = DATASETS.build("mnist", path=str(tmp_path), resolution=28)
    assert torch.equal(data.images[:, 0], images)


@pytest.mark.slow
def test_shared_mnist_copy():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
    if not root.is_dir():
        pytest.skip("../shared/data/mnist not present")
    data = DATASETS.build("mnist", path=str(root), resolution=28)
    assert data.images.shape == (60000, 1, 28, 28)
    assert math.isclose(data.images.float().mean().item() / 255, 0.1307, abs_tol=1e-3)
