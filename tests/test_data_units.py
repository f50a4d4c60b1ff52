"""Standardized toy data (issue 25): the networks train in unit-spread units, but every output a
user sees is in the data's own units: sample .npy/.png, the Python API, training pictures."""

import numpy as np
import pytest
import torch

import gankit
from gankit.cli import main
from gankit.data import DATASETS
from gankit.run.load import build_generator, latent_of, load_checkpoint
from gankit.run.rundir import RunDir
from gankit.use.sample import generator_sampler

GRID = ["--set", "train.device=cpu", "--set", "train.batch_size=32", "--set", "log.every=2",
        "--set", "log.sample_every=2", "--set", "log.checkpoint_every=2"]  # fmt: skip


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("units") / "grid"
    assert (
        main(["train", "--preset", "grid25-wgan-gp", "--steps", "2", "--out", str(out), *GRID]) == 0
    )
    return out


def raw_samples(run_dir, n, seed=0):
    """G's outputs in the units it was trained in (what evaluation compares with its data)."""
    state, cfg = load_checkpoint(RunDir(run_dir))
    return generator_sampler(build_generator(state, cfg), latent_of(state, cfg), seed)(n)


def test_the_preset_trains_in_standardized_units():
    grid = DATASETS.build("grid", side=5, spacing=2.0, std=0.05, standardize=True)
    assert grid.scale == pytest.approx(
        np.sqrt(8 + 0.05**2), rel=1e-6
    )  # per-coordinate std of the grid
    assert grid.modes.abs().max() == pytest.approx(4 / grid.scale)
    assert DATASETS.get("grid").output_scale({"standardize": True}) == pytest.approx(grid.scale)
    assert DATASETS.get("grid").output_scale({}) == 1.0
    assert DATASETS.get("folder").output_scale({"path": "/nonexistent"}) == 1.0  # nothing read


def test_sample_npy_is_in_the_data_units(grid_run, tmp_path):
    assert main(["sample", str(grid_run), "--n", "500", "--out", str(tmp_path / "s.npy")]) == 0
    saved = np.load(tmp_path / "s.npy")
    raw = raw_samples(grid_run, 500).numpy()
    np.testing.assert_allclose(saved, raw * np.sqrt(8 + 0.05**2), rtol=1e-5, atol=1e-6)
    assert not np.allclose(saved, raw)


def test_the_api_samples_in_the_data_units(grid_run):
    G = gankit.load(grid_run)
    raw = raw_samples(grid_run, 64)
    torch.testing.assert_close(G.sample(64), raw * np.sqrt(8 + 0.05**2), rtol=1e-5, atol=1e-6)


def test_training_pictures_show_the_data_units(grid_run, monkeypatch):
    from gankit.training import pictures

    seen = []
    monkeypatch.setattr(
        pictures, "save_samples", lambda x, path, real, *a, **k: seen.append((x, real))
    )
    data = DATASETS.build("grid", standardize=True)
    p = pictures.Pictures(
        RunDir(grid_run), data, latent_of(*load_checkpoint(RunDir(grid_run))), 0, "cpu"
    )

    class Fake:
        step, device, ema = 0, "cpu", None

        def generate(self, draw):
            return torch.ones(len(draw.z), 2)

    p.frame(Fake())
    samples, real = seen[0]
    assert torch.allclose(samples, torch.full_like(samples, data.scale))
    assert 3.5 < real.abs().max() < 4.5  # the grid's outer modes at +-4, not +-1.41
