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


@pytest.fixture(autouse=True, scope="session")
def _fp32_on_every_cpu(tmp_path_factory):
    """train.amp=auto picks bf16 on CPUs with AVX512-BF16/AMX; the tests compare runs bitwise,
    so they run as on a CPU without it, whatever machine CI draws (subprocesses included).
    tests/training/test_precision.py covers both choices. Session scope: a module-scoped
    fixture (a reference run) is set up before any function-scoped one, and must see it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANKIT_CPU_BF16", "0")
        patch.setenv("GANKIT_CACHE", str(tmp_path_factory.mktemp("gankit-cache")))
        yield


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Decoded-image caches go to a per-test folder, never to the user's home (the session's
    folder for fixtures wider than a test)."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "gankit-cache"))


@pytest.fixture
def tiny_config():
    def make(*sets, preset=None, steps=4):
        return resolve(preset, sets=[*TINY, f"train.steps={steps}", *sets])

    return make


def write_idx(raw, stem, tensor, magic):
    import gzip
    import struct

    dims = tensor.shape
    with gzip.open(raw / f"{stem}.gz", "wb") as f:
        f.write(struct.pack(">I" + "I" * len(dims), magic, *dims) + tensor.numpy().tobytes())


@pytest.fixture
def mnist_root(tmp_path):
    """A stand-in MNIST root (train and test IDX files): 60 random blob 'digits' 28x28."""
    raw = tmp_path / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    g = torch.Generator().manual_seed(0)
    for split, n in (("train", 60), ("t10k", 20)):
        blobs = torch.nn.functional.avg_pool2d(torch.rand(n, 1, 28, 28, generator=g), 5, 1, 2)
        images = ((blobs > 0.55).float() * 255).to(torch.uint8).squeeze(1)
        write_idx(raw, f"{split}-images-idx3-ubyte", images, 2051)
        write_idx(raw, f"{split}-labels-idx1-ubyte", (torch.arange(n) % 10).to(torch.uint8), 2049)
    return tmp_path / "mnist"
