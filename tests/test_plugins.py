"""Networks of the user's own (issue 28): a module registers them, ``gankit --import`` loads it,
their options are checked like the built-in ones, and resume stays exact."""

import textwrap

import pytest
import torch

from gankit.cli import main
from gankit.nets import GENERATORS

MODULE = '''
import torch
from torch import nn

from gankit.nets.base import GENERATORS, Net


@GENERATORS.register("my_points")
class MyPoints(Net):
    """z [N, z_dim] -> points [N, D]: one hidden layer of ``hidden`` units."""

    def __init__(self, shape, z_dim: int, hidden: int = 16):
        super().__init__()
        self.shape = tuple(shape)
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.Tanh(), nn.Linear(hidden, shape[0]))

    def forward(self, z, y=None):
        return self.net(z)
'''
RING = ["train", "--preset", "ring8-gan", "--set", "model.generator.name=my_points",
        "--set", "log.every=2", "--set", "log.checkpoint_every=2", "--set", "train.batch_size=32"]  # fmt: skip


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_nets.py").write_text(textwrap.dedent(MODULE))
    yield ["--import", "my_nets"]
    GENERATORS._items.pop("my_points", None)  # the registry is process-wide: leave it as found
    import sys

    sys.modules.pop("my_nets", None)


def test_an_imported_network_trains_and_resumes_exactly(plugin, tmp_path):
    assert main([*plugin, *RING, "--steps", "4", "--out", "straight"]) == 0
    assert main([*plugin, *RING, "--steps", "2", "--out", "halves"]) == 0
    assert main([*plugin, "train", "--resume", "halves", "--steps", "4"]) == 0
    a, b = (torch.load(tmp_path / r / "checkpoints" / "latest.pt", weights_only=False)
            for r in ("straight", "halves"))  # fmt: skip
    for key, value in a["networks"]["G"].items():
        assert torch.equal(value, b["networks"]["G"][key]), key
    assert main([*plugin, "sample", "straight", "--n", "8", "--out", "s.npy"]) == 0


def test_its_options_are_checked_like_the_built_in_ones(plugin, capsys):
    assert main([*plugin, *RING, "--steps", "2", "--out", "r", "--set",
                 "model.generator.hiden=3"]) == 2  # fmt: skip
    assert "hiden" in capsys.readouterr().err


def test_without_the_import_the_error_says_how(plugin, capsys):
    assert main([*RING, "--steps", "2", "--out", "r"]) == 2
    assert "gankit --import the module that registers it" in capsys.readouterr().err


def test_a_module_that_cannot_be_imported_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--import", "no_such_module", "presets"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--import no_such_module" in err and len(err.splitlines()) == 1
