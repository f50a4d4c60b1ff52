"""A sweep: a grid of ordinary runs (variants x grid axes x seeds) and how to score them.

description: "..."
preset: ring8-gan                # every run starts from this preset...
set: [train.steps=1000]          # ...with these overrides
variants:                        # one axis of named override bundles (optional)
  WGAN-GP: [loss.name=wasserstein, regularizers.gradient_penalty.weight=0.1]
axes:                            # more axes of named bundles: axis name -> {label: overrides}
  architecture: {baseline: [], no-norm: [model.generator.norm=none]}
grid:                            # more axes: config key -> values (optional)
  train.n_critic: [1, 5]
seeds: [0, 1, 2]
metrics: modes                   # gankit eval metrics after training
n: 2500                          # evaluation samples
sizes:                           # named scales, picked with --size: extra overrides, or a mapping
  laptop: [train.steps=1000]     # that may also change metrics, n, extractor, seeds and axes
  full: {set: [train.steps=20000, data.name=cifar10], metrics: fid, n: 10000, seeds: [0, 1, 2]}
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from gankit.build import check_components
from gankit.config import parse_yaml, resolve
from gankit.errors import GankitError
from gankit.registry import did_you_mean

KEYS = {
    "description",
    "preset",
    "set",
    "variants",
    "axes",
    "grid",
    "seeds",
    "metrics",
    "n",
    "sizes",
    "extractor",
}


@dataclass
class Run:
    """One run of a sweep: its directory name, its config overrides and what it varies."""

    name: str
    sets: list[str]
    labels: dict[str, str]  # axis -> value, e.g. {"variant": "WGAN-GP", "train.n_critic": "5"}
    seed: int

    @property
    def config_label(self) -> str:
        # named axes show their label; grid axes (config keys, always dotted) show key=value
        return ", ".join(f"{k}={v}" if "." in k else v for k, v in self.labels.items()) or "base"


@dataclass
class SweepSpec:
    preset: str | None = None
    sets: list[str] = field(default_factory=list)
    variants: dict[str, list[str]] = field(default_factory=dict)
    axes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    grid: dict[str, list] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=lambda: [0])
    metrics: str = ""
    n: int | None = None
    extractor: str = "inception"
    sizes: dict[str, list[str] | dict] = field(default_factory=dict)
    description: str = ""

    def at_size(self, size: str | None) -> SweepSpec:
        """This sweep at a named scale: its overrides appended, its metrics/n replaced if given."""
        if size is None:
            return self
        if size not in self.sizes:
            raise GankitError(
                f"this sweep has no size '{size}'{did_you_mean(size, list(self.sizes))}; "
                f"sizes: {', '.join(self.sizes) or 'none'}"
            )
        scale = self.sizes[size]
        scale = {"set": scale} if isinstance(scale, list) else dict(scale)
        unknown = set(scale) - {"set", "metrics", "n", "extractor", "seeds", "axes"}
        if unknown:
            raise GankitError(
                f"size '{size}' may change set, metrics, n, extractor, seeds and axes, "
                f"not {', '.join(sorted(unknown))}"
            )
        # a size may replace some labels' bundles, e.g. a deeper network at full scale
        axes = {
            axis: {**bundles, **scale.get("axes", {}).get(axis, {})}
            for axis, bundles in self.axes.items()
        }
        return replace(
            self,
            sets=[*self.sets, *scale.get("set", [])],
            metrics=str(scale.get("metrics", self.metrics)),
            axes=axes,
            n=scale.get("n", self.n),
            extractor=scale.get("extractor", self.extractor),
            seeds=list(scale.get("seeds", self.seeds)),
            sizes={},
        )

    def runs(self) -> list[Run]:
        named = ([("variant", self.variants)] if self.variants else []) + list(self.axes.items())
        grid = list(self.grid.items())
        out = []
        for bundles, values in itertools.product(
            itertools.product(*[list(b.items()) for _, b in named]),
            itertools.product(*[v for _, v in grid]),
        ):
            labels = {axis: label for (axis, _), (label, _) in zip(named, bundles)}
            labels |= {k: _yaml(v) for (k, _), v in zip(grid, values)}
            sets = [
                *self.sets,
                *(s for _, bundle in bundles for s in bundle),
                *(f"{k}={_yaml(v)}" for (k, _), v in zip(grid, values)),
            ]
            slug = (
                "__".join(_slug(f"{k}-{v}" if "." in k else v) for k, v in labels.items()) or "base"
            )
            out.extend(
                Run(f"{slug}__seed{seed}", [*sets, f"train.seed={seed}"], labels, seed)
                for seed in self.seeds
            )
        return out


def _yaml(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=+-]+", "_", text).strip("_")


def sweep_names() -> list[str]:
    return sorted(
        p.name[:-5] for p in resources.files("gankit.sweeps").iterdir() if p.name.endswith(".yaml")
    )


def load_spec(name_or_path: str) -> SweepSpec:
    """A sweep by bundled name (``gankit sweep d-steps``) or from a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise GankitError(f"sweep file {path} does not exist")
        raw, where = parse_yaml(path.read_text(), str(path)), str(path)
    elif name_or_path in sweep_names():
        raw = parse_yaml(
            resources.files("gankit.sweeps").joinpath(f"{name_or_path}.yaml").read_text(),
            name_or_path,
        )
        where = name_or_path
    else:
        raise GankitError(
            f"unknown sweep '{name_or_path}'{did_you_mean(name_or_path, sweep_names())}; pass a "
            f"SPEC.yaml or one of: {', '.join(sweep_names())}"
        )
    return parse_spec(raw or {}, where)


def parse_spec(raw: dict, where: str) -> SweepSpec:
    unknown = set(raw) - KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise GankitError(
            f"unknown sweep key '{key}' in {where}{did_you_mean(key, sorted(KEYS))}; keys: {', '.join(sorted(KEYS))}"
        )
    spec = SweepSpec(
        preset=raw.get("preset"),
        sets=list(raw.get("set", [])),
        variants=dict(raw.get("variants", {})),
        axes=dict(raw.get("axes") or {}),
        grid=dict(raw.get("grid", {})),
        seeds=list(raw.get("seeds", [0])),
        metrics=str(raw.get("metrics", "")),
        n=raw.get("n"),
        extractor=raw.get("extractor", "inception"),
        sizes=dict(raw.get("sizes", {})),
        description=raw.get("description", ""),
    )
    if not all(
        isinstance(b, dict) and b and all(isinstance(v, list) for v in b.values())
        for b in spec.axes.values()
    ):
        raise GankitError(
            f"every axis under 'axes' in {where} maps labels to override lists, e.g. "
            f"architecture: {{baseline: [], no-norm: [model.generator.norm=none]}}"
        )
    if not all(isinstance(v, list) and v for v in spec.grid.values()):
        raise GankitError(
            f"every grid axis in {where} needs a non-empty list of values, e.g. train.n_critic: [1, 5]"
        )
    if not spec.seeds or not all(isinstance(s, int) for s in spec.seeds):
        raise GankitError(f"seeds in {where} must be a non-empty list of integers")
    return spec


def check_runs(spec: SweepSpec, runs: list[Run]) -> None:
    """Resolve every run's config now, so a typo fails before hours of training."""
    for run in runs:
        try:
            check_components(resolve(spec.preset, sets=run.sets))
        except GankitError as exc:
            raise GankitError(f"sweep run {run.name}: {exc}") from None
