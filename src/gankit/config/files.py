"""Config files: a YAML reader bounded in size and depth (untrusted files are refused in
microseconds), the bundled presets (gankit/presets/*.yaml) and a user's --config file."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from gankit.errors import GankitError
from gankit.registry import did_you_mean


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
