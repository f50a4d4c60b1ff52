"""The config's shape: typed dataclasses whose annotations carry each field's rules (type,
range, choices: gankit.checks), read by ``typed.from_dict`` as a config is filled in."""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from gankit.checks import Pattern, Range, floats, ints

DEFAULT_PRESET = "digits32-dcgan"


Amp = Literal["auto", "none", "bf16"]
AMP_SETTINGS = typing.get_args(Amp)


@dataclass
class Component:
    """A registry entry and the keyword arguments its constructor receives."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, **self.args}


def adam(lr: float = 2e-4, betas=(0.5, 0.999)) -> Component:
    return Component("adam", {"lr": lr, "betas": list(betas)})


@dataclass
class ModelConfig:
    #: the model (models.MODELS): gan (conditional with data.labels=true), acgan, infogan, and
    #: the translation kinds cyclegan and starganv2 (which build their own networks)
    kind: Component = field(default_factory=lambda: Component("gan"))
    z_dim: ints(1) = 100
    generator: Component = field(default_factory=lambda: Component("dcgan"))
    discriminator: Component = field(default_factory=lambda: Component("dcgan"))
    #: decay of an exponential moving average of G's weights (e.g. 0.999); null: no EMA copy
    ema: Annotated[float, Range(0, 1, True, True), "e.g. 0.999; null: no EMA"] | None = None


@dataclass
class OptimConfig:
    g: Component = field(default_factory=adam)
    d: Component = field(default_factory=adam)
    #: none | linear: both learning rates fall linearly to 0 at train.steps (WGAN-GP's code)
    lr_decay: Literal["none", "linear"] = "none"
    #: with lr_decay=linear, the fraction of train.steps run at the full rate before the decay
    #: starts (CycleGAN: 0.5, constant for the first half)
    decay_from: Annotated[float, Range(0, 1, hi_open=True), "a fraction of train.steps"] = 0.0


@dataclass
class TrainConfig:
    #: training steps; a step runs every phase of the model once (a GAN: n_critic D updates,
    #: then one G update; CycleGAN: G's pair, then D's pair)
    steps: ints(1, 10**9) = 2000
    batch_size: ints(1, 2**20) = 64
    n_critic: Annotated[int, Range(1, 1000), "D updates per G update; WGAN uses 5"] = 1
    seed: int = 0
    #: a wall-clock budget in minutes of training (0: none): the run stops cleanly at the first
    #: step past it, with a checkpoint, pictures and report, as if train.steps had been reached
    max_minutes: Annotated[float, Range(0, 1e7), "0: no time budget"] = 0.0
    device: Annotated[
        str, Pattern(r"auto|cpu|cuda(:\d+)?|mps", "auto, cpu, cuda, cuda:N or mps")
    ] = "auto"
    nan_retries: ints(0) = 3  # roll back on a NaN/Inf loss at most this many times, then stop
    nan_lr_factor: floats(0, 1, lo_open=True) = 0.5  # each rollback multiplies both rates by this
    channels_last: bool = False  # NHWC conv nets and batches (often faster with oneDNN/cuDNN)
    sync_batchnorm: bool = False  # under torchrun on GPUs: batch norm statistics over all ranks
    compile: bool = False  # torch.compile G, and D unless a penalty differentiates it twice
    #: auto | none | bf16: bf16 autocast of forward passes (auto: where the hardware runs it
    #: fast, gankit.training.precision); penalty norms, optimiser state and EMA stay fp32
    amp: Amp = "auto"
    cuda_graphs: bool = (
        False  # capture the whole step once and replay it (CUDA; step-independent regularisers)
    )


@dataclass
class LogConfig:
    every: ints(1) = 50  # metrics.jsonl / TensorBoard / progress-bar cadence, in steps
    sample_every: ints(1) = 200  # fixed-noise sample frame cadence
    checkpoint_every: ints(1) = 1000  # numbered checkpoint cadence (latest is also kept)
    keep_checkpoints: ints(0) = 3  # numbered checkpoints kept besides latest
    #: Weights & Biases beside TensorBoard: {project, entity, mode, group, tags, notes}; {}: off
    wandb: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalConfig:
    every: Annotated[int, Range(0), "0 switches in-training evaluation off"] = 0
    metrics: str = "fid"  # comma-separated; the first one's primary value picks best.pt
    n: ints(2, 10**6) = 5000  # samples per side
    extractor: str = "inception"  # feature network (random_conv: cheap, for smoke tests only)


#: what a schedule may drive (``schedules.<target>``), and what its values mean
SCHEDULE_TARGETS = {
    "lr": "a factor on every optimiser's configured learning rate",
    "beta2": "Adam's beta2 of every optimiser",
    "gamma": "the weight of the r1 and r2 regularisers",
    "ema_half_life": "the EMA's half-life in images (beta = 0.5^(batch / half-life))",
}


@dataclass(frozen=True)
class Schedule:
    """A hyperparameter over training (R3GAN's cosine decays), a pure function of the step:
    ``start`` until ``begin * train.steps``, ``end`` from ``until * train.steps`` on, joined by
    half a cosine or a line. Evaluated before every step, so a resumed run follows it exactly."""

    start: float
    end: float
    until: Annotated[float, Range(0, 1, lo_open=True), "a fraction of train.steps"] = 1.0
    shape: Literal["cosine", "linear"] = "cosine"
    begin: Annotated[float, Range(0, 1, hi_open=True), "a fraction of train.steps"] = 0.0

    def __call__(self, step: int, total: int) -> float:
        first = int(self.begin * total)
        t = min(1.0, max(0.0, (step - first) / max(1.0, self.until * total - first)))
        mix = (1 - math.cos(math.pi * t)) / 2 if self.shape == "cosine" else t
        return self.start + mix * (self.end - self.start)


@dataclass
class Config:
    description: str = ""
    data: Component = field(default_factory=lambda: Component("digits"))
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: Component = field(default_factory=lambda: Component("nonsaturating"))
    #: regulariser name -> its args, e.g. {gradient_penalty: {weight: 10}}
    regularizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: hyperparameters that follow a schedule: {lr|beta2|gamma|ema_half_life: {start, end, ...}}
    schedules: dict[str, Schedule] = field(default_factory=dict)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    log: LogConfig = field(default_factory=LogConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def to_dict(self) -> dict:
        return to_plain(self)


def to_plain(obj: Any) -> Any:
    """Dataclasses -> plain dicts (for config.yaml and checkpoints)."""
    if isinstance(obj, Component):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj
