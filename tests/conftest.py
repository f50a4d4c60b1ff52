import pytest
import torch

from gankit.config import resolve

# A run small enough for a unit test: 16x16 digits, 8-wide nets, a handful of steps. On the CPU
# even where a GPU exists: tests compare runs bitwise, and cuDNN's kernels are not deterministic.
# The CUDA paths have their own tests (tests/training/test_cuda_graphs.py, test_speed_paths.py).
TINY = [
    "train.device=cpu",
    "data.resolution=16",
    "model.z_dim=8",
    "model.generator.width=8",
    "model.discriminator.width=8",
    "train.batch_size=16",
    "log.every=2",
    "log.sample_every=2",
    "log.checkpoint_every=2",
]


# Training on a tiny folder of images (tests that write one): --set arguments for main().
FOLDER_ARGS = [
    a
    for s in (
        "data.name=folder",
        "data.resolution=16",
        "train.batch_size=4",
        "train.device=cpu",
        "model.generator.width=8",
        "model.discriminator.width=8",
    )
    for a in ("--set", s)
]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Decoded-image caches go to a per-test folder, never to the user's home."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "gankit-cache"))


@pytest.fixture
def tiny_config():
    def make(*sets, preset=None, steps=4):
        return resolve(preset, sets=[*TINY, f"train.steps={steps}", *sets])

    return make
