"""What a GAN is to the trainer: named networks and an ordered list of update phases.

A model states its objective; the trainer owns everything around it (optimisers, freezing the
networks a phase does not train, AMP, CUDA graphs, EMA, learning-rate schedules, the NaN guard,
checkpoints). One iteration (one "step" of ``train.steps``) runs every phase in order, each
``repeat`` times:

    for phase in model.phases:               # e.g. d x n_critic, then g
        for _ in range(phase.repeat):
            loss, stats = model.objective(phase, real_batch_or_None, ctx)   # ctx.shared: between phases
            loss.backward(); for net in phase.trains: optimizers[net].step()
            model.after(phase)                # constraints, e.g. weight clipping

A real batch is a ``Batch(x, y)`` record (y: class labels, or None for unlabelled data). What
the generator reads (noise, InfoGAN codes, a label) is the model's ``latent``.

Adding a model (CycleGAN: G_ab, G_ba, D_a, D_b) means one class that declares its networks and
phases and writes ``objective``; nothing in the trainer changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from gankit.data.streams import Batch
from gankit.models.latent import Draw, Latent, run_generator
from gankit.registry import Registry


@dataclass(frozen=True)
class Phase:
    """One kind of update: ``trains`` names the networks (and optimisers) it steps; a single
    name is read as a one-network tuple."""

    name: str
    trains: tuple[str, ...]
    repeat: int = 1  # runs per iteration (n_critic for a critic)
    reads_real: bool = True  # draws its own real batch from the data stream
    #: entries of ``Context.shared`` an earlier phase of the same iteration must have written
    needs: tuple[str, ...] = ()

    def __post_init__(self):
        if isinstance(self.trains, str):
            object.__setattr__(self, "trains", (self.trains,))


@dataclass
class Context:
    """What a phase may use besides its batch."""

    step: int  # iterations done before this one
    batch_size: int  # samples per batch (a phase without a real batch draws this many fakes)
    index: int  # runs of this phase done before this one (lazy regularisation counts these)
    next_real: Callable[[], Batch]  # a fresh real batch from the stream (counted as drawn)
    optimizers: dict[str, torch.optim.Optimizer]
    #: what this iteration's phases hand each other (a real batch, features, translations):
    #: created empty by the trainer at the start of every iteration, the only state that
    #: passes between phases
    shared: dict = field(default_factory=dict)


class Model:
    """Networks by name, the phases that train them, and their losses (sign: minimised)."""

    #: the network whose weights draw samples from noise (and get an EMA copy when model.ema is
    #: set); None: the model draws nothing from noise alone (``Translates``)
    sampler: str | None = "G"
    #: networks with an EMA copy when model.ema is set (what pictures and metrics use)
    ema_nets: tuple[str, ...] = ("G",)
    #: which optimiser settings (optim.g or optim.d) each network is trained with
    optim_groups: dict[str, str] = {"G": "g", "D": "d"}
    #: learning-rate multipliers of networks that train slower than their group (StarGAN v2's F)
    lr_factors: dict[str, float] = {}

    def __init__(self, networks: dict[str, nn.Module], phases: list[Phase],
                 latent: Latent | None):  # fmt: skip
        #: what the sampler reads (noise, codes, a label); None with no sampler
        self.networks, self.phases, self.latent = networks, phases, latent

    def objective(self, phase: Phase, real: Batch | None, ctx: Context):
        """(scalar loss to minimise, {stat name: 0-d tensor}) for one run of ``phase``."""
        raise NotImplementedError

    def after(self, phase: Phase) -> None:
        """After the phase's optimiser step (e.g. project weights back into a box)."""

    def generate(self, net: nn.Module, draw: Draw) -> torch.Tensor:
        """Samples from the sampler network ``net`` (the live one or its EMA copy)."""
        return run_generator(net, draw)

    def step_dependent(self) -> list[str]:
        """Parts whose work changes with the step number (a CUDA graph cannot replay them)."""
        return []

    def differentiates_twice(self) -> set[str]:
        """Networks some term differentiates through twice (torch.compile leaves them eager)."""
        return set()

    def state_dict(self) -> dict:
        """What the model keeps besides network weights (regulariser state, ...)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


@runtime_checkable
class Translates(Protocol):
    """What a model that translates images between domains can do (models.translation). The
    use cases ask ``isinstance(model, Translates)`` (or ``issubclass`` of a registered kind):
    a new kind with a ``translate`` gets translation pictures, metrics and the CLI's translate,
    one with a ``sampler`` gets sample grids, FID and the CLI's sample; neither is a flag."""

    def translate(self, nets: dict[str, nn.Module], x: torch.Tensor, src: torch.Tensor,
                  dst: torch.Tensor, z: torch.Tensor | None = None,
                  ref: torch.Tensor | None = None) -> torch.Tensor: ...  # fmt: skip


def translation_kind(kind: str) -> bool:
    """Whether registered model kind ``kind`` translates (False for an unknown name)."""
    return kind in MODELS.names() and issubclass(MODELS.get(kind), Translates)


MODELS: Registry[Model] = Registry("model")
