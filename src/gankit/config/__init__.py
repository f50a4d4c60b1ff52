"""Run configuration: typed dataclasses, YAML presets, ``--set a.b=value`` overrides.

Layers, later wins: dataclass defaults < preset < --config file < --set < flags (--data, --steps).
Components (dataset, networks, loss, optimizers) are ``{name: ..., **args}`` mappings; their
args are checked against the registered class's signature by gankit.build, before anything is built.

The modules: ``schema`` (the dataclasses and their rules), ``files`` (YAML, presets), ``typed``
(raw -> typed, checked), ``rules`` (cross-field checks); this one resolves the layers.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from gankit.config.files import file_dict, parse_yaml, preset_dict, preset_names
from gankit.config.rules import check_schedules, check_wandb, validate
from gankit.config.schema import (
    AMP_SETTINGS,
    DEFAULT_PRESET,
    SCHEDULE_TARGETS,
    Component,
    Config,
    EvalConfig,
    LogConfig,
    ModelConfig,
    OptimConfig,
    Schedule,
    TrainConfig,
    to_plain,
)
from gankit.config.typed import from_dict, normalised
from gankit.errors import GankitError

__all__ = ["AMP_SETTINGS", "DEFAULT_PRESET", "SCHEDULE_TARGETS", "Component", "Config", "EvalConfig",
           "LogConfig", "ModelConfig", "OptimConfig", "Schedule", "TrainConfig", "check_schedules",
           "check_wandb", "file_dict", "from_dict", "merge", "normalised", "override",
           "parse_assignment", "parse_yaml", "preset_dict", "preset_names", "resolve", "to_plain",
           "validate"]  # fmt: skip


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


#: keys a preset's description may speak of ("Adam 2e-4 (0.5, 0.999), batch 64, n_critic 5"); a
#: path is expected to change (presets ask for it)
DESCRIBED = (
    "data.",
    "model.",
    "loss.",
    "regularizers.",
    "optim.",
    "train.batch_size",
    "train.n_critic",
)


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
