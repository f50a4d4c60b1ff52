"""Run configuration: typed dataclasses, YAML presets, ``--set a.b=value`` overrides.

Layers, later wins: dataclass defaults < preset < --config file < --set < flags (--data, --steps).
Components (dataset, networks, loss, optimizers) are ``{name: ..., **args}`` mappings; their
args are checked against the registered class's signature here, before anything is built.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import typing
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml

from gankit.checks import Pattern, Range, check_value, floats, ints
from gankit.errors import GankitError
from gankit.registry import did_you_mean

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


# ---------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads 1e-4 as a float (YAML 1.1 insists on 1.0e-4)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


#: a config is small: more nodes (counting every alias expansion) or deeper nesting is an attack
MAX_NODES, MAX_DEPTH = 20_000, 24


def parse_yaml(text: str, where: str) -> Any:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise GankitError(f"{where} is not valid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise GankitError(f"{where} is nested too deeply to be a gankit config") from None
    _check_size(data, where)
    return data


def _check_size(data: Any, where: str) -> None:
    """Walk the document as the config code will (aliases expanded), within a budget, so that a
    'billion laughs' of nested aliases or absurd nesting is refused in microseconds."""
    budget = [MAX_NODES]

    def walk(node, depth):
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            what = (
                "too many values (nested aliases?)"
                if budget[0] < 0
                else f"nesting deeper than {MAX_DEPTH}"
            )
            raise GankitError(f"{where} has {what}; a gankit config is a small mapping")
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        for child in children:
            walk(child, depth + 1)

    walk(data, 0)


def preset_names() -> list[str]:
    return sorted(
        p.name[:-5] for p in resources.files("gankit.presets").iterdir() if p.name.endswith(".yaml")
    )


def preset_dict(name: str) -> dict:
    if name not in preset_names():
        raise GankitError(
            f"unknown preset '{name}'{did_you_mean(name, preset_names())}; "
            f"`gankit presets` lists them"
        )
    return parse_yaml(
        resources.files("gankit.presets").joinpath(f"{name}.yaml").read_text(), f"preset {name}"
    )


def file_dict(path: str) -> dict:
    p = Path(path).expanduser()
    if not p.is_file():
        raise GankitError(f"config file {p} does not exist; pass --config PATH to a YAML file")
    if p.stat().st_size > 1_000_000:
        raise GankitError(f"config file {p} is over 1 MB; a gankit config is a small YAML mapping")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise GankitError(
            f"config file {p} is not a text (UTF-8 YAML) file; pass --config a YAML file"
        ) from None
    data = parse_yaml(text, f"config file {p}")
    if not isinstance(data, dict):
        raise GankitError(f"config file {p} must hold a YAML mapping at the top level")
    return data


# ---------------------------------------------------------------- merging and overrides


def merge(base: dict, update: dict) -> dict:
    """Deep merge. A component whose ``name`` changes is replaced whole (old args don't apply)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        old = out.get(key)
        if (
            isinstance(old, dict)
            and isinstance(value, dict)
            and old.get("name") == value.get("name", old.get("name"))
        ):
            out[key] = merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_assignment(assignment: str) -> tuple[str, Any]:
    """``--set a.b.c=value`` -> ("a.b.c", value), the value text parsed as YAML (the command
    line's rule; Python callers pass values, which are never parsed)."""
    key, sep, text = assignment.partition("=")
    if not sep or not all(key.strip().split(".")):
        raise GankitError(
            f"--set expects dotted.key=value, got '{assignment}' (e.g. --set train.steps=500)"
        )
    return key.strip(), parse_yaml(text, f"--set value '{text}'") if text.strip() else ""


def override(raw: dict, key: str, value: Any) -> dict:
    """Set the dotted ``key`` of a raw config dict to ``value``."""
    parts = key.split(".")
    if not all(parts):
        raise GankitError(f"config key '{key}' has an empty part (e.g. train.steps)")
    out = copy.deepcopy(raw)
    node = out
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise GankitError(
                f"--set {key}: '{'.'.join(parts[: i + 1])}' is a value, not a section"
            )
        node = child
    leaf = parts[-1]
    if leaf == "name" and len(parts) > 1 and node.get("name") != value:
        node.clear()  # a different component starts from its own defaults
    if value is None and parts[0] == "regularizers" and len(parts) == 2:
        node.pop(leaf, None)  # --set regularizers.X=null switches X off
    else:
        node[leaf] = value
    return out


def _sets_name(key: str) -> bool:
    return key.endswith(".name") and key.count(".") == 1


def _reset_by(raw: dict, key: str, value: Any) -> list[str]:
    """The keys of a component that ``--set section.name=other`` returns to other's defaults."""
    if not _sets_name(key):
        return []
    section = raw.get(key.split(".")[0])
    if not isinstance(section, dict) or section.get("name") == value:
        return []
    shown = {k: str(v).lower() if isinstance(v, bool) else v for k, v in section.items()}
    return [f"{key[: -len('name')]}{k}={shown[k]}" for k in section if k != "name"]


def _warn_reset(reset: list[str], keys: list[str]) -> None:
    given = set(keys)
    dropped = [r for r in reset if r.partition("=")[0] not in given]
    if dropped:
        warnings.warn(
            f"a new component name starts from its own defaults: {', '.join(dropped)} no longer "
            f"apply; --set them again to keep them"
        )


#: keys a preset's description may speak of; a path is expected to change (presets ask for it)
DESCRIBED = ("data.", "model.", "loss.")


def _described(description: str, keys: list[str]) -> str:
    """A preset's description, with a note when this command changed what it describes."""
    if "description" in keys or not description:
        return description
    changed = sorted({k for k in keys if k.startswith(DESCRIBED) and k != "data.path"})
    if not changed or "(changed for this run:" in description:
        return description
    return f"{description} (changed for this run: {', '.join(changed)}; the table says what ran)"


def resolve(
    preset: str | None = None,
    config_file: str | None = None,
    flags: dict | None = None,
    sets: list[str | tuple[str, Any]] = (),
    base: dict | None = None,
) -> Config:
    """Build the final, validated Config from all layers (``base`` replaces the preset).
    ``sets``: command-line text ``a.b=value`` (its value parsed as YAML) or (key, value) pairs
    from Python; ``flags`` (key -> value) are values too, never parsed."""
    raw = base if base is not None else preset_dict(DEFAULT_PRESET if preset is None else preset)
    if config_file:
        raw = merge(raw, file_dict(config_file))
    pairs = [parse_assignment(a) if isinstance(a, str) else (str(a[0]), a[1]) for a in sets]
    pairs += list((flags or {}).items())
    # a component's new name applies first, so the command's other keys for it are kept
    pairs.sort(key=lambda pair: not _sets_name(pair[0]))
    reset = []
    for key, value in pairs:
        reset += _reset_by(raw, key, value)
        raw = override(raw, key, value)
    keys = [key for key, _ in pairs]
    _warn_reset(reset, keys)
    raw["description"] = _described(raw.get("description", ""), keys)
    cfg = from_dict(Config, raw, "")
    validate(cfg)
    return cfg


# ---------------------------------------------------------------- typed conversion


def from_dict(cls, data: Any, where: str):
    """Convert a raw mapping into dataclass ``cls``, rejecting unknown keys and wrong types."""
    if cls is Component:
        return _component(data, where)
    if not isinstance(data, dict):
        raise GankitError(f"config '{where or 'top level'}' must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls, include_extras=True)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in names:
            raise GankitError(
                f"unknown config key '{_join(where, key)}'{did_you_mean(str(key), names)}; "
                f"keys here: {', '.join(names)}"
            )
    kwargs = {k: _convert(hints[k], v, _join(where, k)) for k, v in data.items()}
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]  # fmt: skip
    missing = [name for name in required if name not in kwargs]
    if missing:
        raise GankitError(
            f"config '{where}' needs {' and '.join(missing)}, e.g. --set {_join(where, missing[0])}=..."
        )
    return cls(**kwargs)


def _component(data: Any, where: str) -> Component:
    if isinstance(data, str):
        data = {"name": data}
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise GankitError(f"config '{where}' needs a name, e.g. --set {where}.name=...")
    return Component(data["name"], {k: v for k, v in data.items() if k != "name"})


def _convert(tp, value: Any, where: str):
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        return _convert(next(a for a in args if a is not type(None)), value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise GankitError(f"config '{where}' must be a mapping, got {value!r}")
        return {
            k: ({} if v is None else _convert(args[1], v, _join(where, k)))
            for k, v in value.items()
        }
    if tp is Any:
        return value
    return _scalar(tp, value, where)


def _scalar(tp, value: Any, where: str):
    """A value checked against its field's annotation (type, range, choices: gankit.checks)."""
    check_value(tp, value, where)
    base = typing.get_args(tp)[0] if typing.get_origin(tp) is Annotated else tp
    return float(value) if base is float else value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else str(key)


def normalised(raw: dict) -> dict:
    """A stored config with today's defaults filled in (keys added since it was written), for
    comparing configs of different gankit versions; an invalid one is returned as written, so
    that a comparison names the offending key."""
    try:
        return to_plain(from_dict(Config, raw, ""))
    except GankitError:
        return raw


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


# ---------------------------------------------------------------- validation


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise GankitError(message)


def validate(cfg: Config) -> None:
    """The rules no single field's annotation can say (types and ranges were checked as the
    dataclasses were filled in, by from_dict); before any data is read."""
    t, log = cfg.train, cfg.log
    _require(
        not t.cuda_graphs or t.device == "auto" or t.device.startswith("cuda"),
        f"train.cuda_graphs needs a CUDA device, not '{t.device}'; set train.device=cuda or drop train.cuda_graphs",
    )
    if log.wandb:
        check_wandb(log.wandb)
    check_schedules(cfg)
    for who in ("g", "d"):
        lr = getattr(cfg.optim, who).args.get("lr")
        _require(
            lr is None
            or (isinstance(lr, (int, float)) and not isinstance(lr, bool) and 0 < lr < math.inf),
            f"optim.{who}.lr must be a positive number, got {lr!r}",
        )


def check_schedules(cfg: Config) -> None:
    """Targets that exist, curves that fit them and the rest of the run."""
    for target, s in cfg.schedules.items():
        _require(
            target in SCHEDULE_TARGETS,
            f"schedules.{target}: unknown target; schedules drive {', '.join(SCHEDULE_TARGETS)}",
        )
        _require(s.begin < s.until, f"schedules.{target}: begin must be < until, got {s}")
        _require(
            min(s.start, s.end) >= 0 and (target != "beta2" or max(s.start, s.end) < 1),
            f"schedules.{target}: {SCHEDULE_TARGETS[target]} cannot take {s.start} to {s.end}",
        )
    _require(
        cfg.optim.lr_decay == "none" or "lr" not in cfg.schedules,
        "optim.lr_decay=linear and schedules.lr both set the learning rate's factor; keep one "
        "(schedules.lr with shape: linear, begin: F does what lr_decay does)",
    )
    _require(
        "ema_half_life" not in cfg.schedules or cfg.model.ema is not None,
        "schedules.ema_half_life drives the EMA of G, which is off; set model.ema (e.g. 0.999)",
    )
    _require(
        not cfg.train.cuda_graphs or not {"beta2", "gamma", "ema_half_life"} & cfg.schedules.keys(),
        "train.cuda_graphs replays one captured step, which cannot follow schedules of beta2, "
        "gamma or the EMA; drop one of them",
    )


#: the keys of log.wandb (passed to wandb.init) and its modes (None: W&B's own, or WANDB_MODE)
WANDB_KEYS = ("project", "entity", "mode", "group", "tags", "notes")
WANDB_MODES = (None, "online", "offline", "disabled")


def check_wandb(settings: dict) -> None:
    unknown = sorted(set(settings) - set(WANDB_KEYS))
    _require(
        not unknown,
        f"unknown log.wandb key(s) {', '.join(unknown)}; known: {', '.join(WANDB_KEYS)}",
    )
    _require(
        settings.get("mode") in WANDB_MODES,
        f"log.wandb.mode must be online, offline or disabled, got {settings.get('mode')!r}",
    )
    project = settings.get("project")
    _require(
        isinstance(project, str) and bool(project),
        "log.wandb needs a project name: --set log.wandb.project=NAME",
    )
