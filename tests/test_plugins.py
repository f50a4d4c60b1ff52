"""Networks of the user's own (issue 28): a module registers them, ``gankit --import`` loads it,
their options are checked like the built-in ones, and resume stays exact."""

import textwrap

import pytest
import torch
from torch import nn

from gankit.cli import main
from gankit.nets import DISCRIMINATORS, GENERATORS
from gankit.nets.base import Net

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


class PointsG(Net):
    """A generator class defined in a test: z [N, z_dim] -> points [N, D]."""

    def __init__(self, shape, z_dim: int, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, shape[0]))

    def forward(self, z, y=None):
        return self.net(z)


class PointsD(Net):
    """points [N, D] -> raw scores [N]."""

    def __init__(self, shape, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(shape[0], hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x, y=None):
        return self.net(x).flatten()


@pytest.fixture
def own_classes():
    yield PointsG, PointsD
    GENERATORS._items.pop("PointsG", None)  # the registries are process-wide: leave them as found
    DISCRIMINATORS._items.pop("PointsD", None)


API_KW = {"log.every": 2, "log.checkpoint_every": 2, "train.batch_size": 32,
          "model.generator.hidden": 8, "model.discriminator.hidden": 12}  # fmt: skip


def test_api_trains_the_users_classes_and_resumes_exactly(own_classes, tmp_path):
    """Issue 28: gankit.train(G=MyModule, D=MyModule), options from the config, exact resume."""
    import gankit

    G, D = own_classes
    straight = gankit.train("ring8-gan", G=G, D=D, steps=4, out=str(tmp_path / "a"), **API_KW)
    model = straight.config["model"]
    assert model["generator"] == {"name": "PointsG", "hidden": 8}
    assert model["discriminator"] == {"name": "PointsD", "hidden": 12}
    gankit.train("ring8-gan", G=G, D=D, steps=2, out=str(tmp_path / "b"), **API_KW)
    halves = gankit.train(resume=str(tmp_path / "b"), G=G, D=D, steps=4)
    a, b = (torch.load(r.path / "checkpoints" / "latest.pt", weights_only=False)
            for r in (straight, halves))  # fmt: skip
    for player in ("G", "D"):
        for key, value in a["networks"][player].items():
            assert torch.equal(value, b["networks"][player][key]), (player, key)
    GENERATORS._items.pop("PointsG")  # a new session: the class is passed again
    sampled = gankit.load(straight.path, G=G).sample(5, seed=0)
    assert sampled.shape == (5, 2) and torch.isfinite(sampled).all()


def test_api_refuses_what_it_cannot_build_in_one_line(own_classes, tmp_path):
    import gankit
    from gankit.errors import GankitError

    G, D = own_classes
    with pytest.raises(GankitError, match="G= takes the class, not an instance"):
        gankit.train("ring8-gan", G=G((2,), 4), steps=2, out=str(tmp_path / "a"))
    with pytest.raises(GankitError, match="D= takes a subclass of gankit.nets.base.Net"):
        gankit.train("ring8-gan", D=nn.Linear, steps=2, out=str(tmp_path / "b"))
    with pytest.raises(GankitError, match="hiden"):
        gankit.train("ring8-gan", G=G, steps=2, out=str(tmp_path / "c"),
                     **{"model.generator.hiden": 3})  # fmt: skip
    clash = type("dcgan", (Net,), {})  # the name of a built-in generator, another class
    with pytest.raises(GankitError, match="generator 'dcgan' is already another class"):
        gankit.train("ring8-gan", G=clash, steps=2, out=str(tmp_path / "d"))
