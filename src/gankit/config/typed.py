"""Raw mappings -> the typed dataclasses of ``schema``: unknown keys, missing fields and values
that break a field's annotated rule are one-line errors naming the dotted key."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Annotated, Any

from gankit.checks import check_value
from gankit.config.schema import Component, Config, to_plain
from gankit.errors import GankitError
from gankit.registry import did_you_mean


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
    if origin in (typing.Union, types.UnionType):
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
