"""Loading what a run directory holds for use: its checkpoint with the config it was saved
with, and its model family's inference networks (the generator in the data's own units).
Sampling, translation, evaluation, export and ``gankit.load`` read runs only through here."""

from __future__ import annotations

import torch

from gankit.build.family import family_of
from gankit.build.gan import latent_of, make_generator
from gankit.config import Config, from_dict, normalised
from gankit.data import DATASETS
from gankit.errors import GankitError
from gankit.run import checkpoint
from gankit.run.checkpoint import Checkpoint
from gankit.run.rundir import RunDir

__all__ = ["InDataUnits", "build_generator", "in_data_units", "latent_of", "load_checkpoint",
           "load_generator", "make_generator"]  # fmt: skip


def load_checkpoint(run: RunDir, which: str = "latest") -> tuple[Checkpoint, Config]:
    """A checkpoint of this run (its model must match the run's) and the config it was saved with."""
    state = checkpoint.load(run.checkpoint_file(which))
    try:
        cfg = from_dict(Config, state.config, "")
    except GankitError as exc:
        raise GankitError(
            f"{run.checkpoint_file(which)} is not a gankit checkpoint of this run ({exc})"
        ) from None
    on_disk = run.read_config()  # None (warned) when config.yaml is damaged: the checkpoint decides
    if on_disk is not None and cfg.to_dict()["model"] != normalised(on_disk).get("model"):
        raise GankitError(
            f"checkpoint {which} does not fit generator '{cfg.model.generator.name}' of this run's "
            f"config (its model section differs); pass a checkpoint of {run.path}"
        )
    return state, cfg


def load_generator(
    run: RunDir, which: str = "latest", device="cpu"
) -> tuple[torch.nn.Module, Config]:
    """The EMA generator if the run kept one, else the raw generator, in eval mode."""
    state, cfg = load_checkpoint(run, which)
    return in_data_units(build_generator(state, cfg), cfg).to(device), cfg


class InDataUnits(torch.nn.Module):
    """G followed by the data's ``scale``: samples in the data's own units (a standardized toy
    mixture's grid at {-4..4}^2, not the [-1.5, 1.5] the networks were trained in)."""

    def __init__(self, net: torch.nn.Module, scale: float):
        super().__init__()
        self.net, self.scale = net, float(scale)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.net(*inputs) * self.scale


def in_data_units(G: torch.nn.Module, cfg: Config) -> torch.nn.Module:
    """G as users see it: outputs in the data's own units (unchanged unless the data was
    standardized for training). Evaluation keeps G raw beside its equally scaled real data."""
    scale = DATASETS.get(cfg.data.name).output_scale(dict(cfg.data.args))
    return G if scale == 1.0 else InDataUnits(G, scale).eval()


def build_generator(state: Checkpoint, cfg: Config) -> torch.nn.Module:
    """The run's generator with its checkpoint weights (EMA if kept), from its model family."""
    return family_of(cfg.model.kind.name).generator(state, cfg)
