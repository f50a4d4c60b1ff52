"""gankit from Python: train a run, open one, load its generator.

    import gankit
    run = gankit.train("celeba64-wgan-gp", data="~/img_align_celeba", steps=2000,
                       out="runs/faces", train__batch_size=32, **{"loss.name": "hinge"})
    run                        # last expression of a Jupyter cell: report, curves, GIF inline
    run.metrics                # logged rows, a list of dicts (run.dataframe() with pandas)
    G = run.generator()        # the same as gankit.load(run.path)
    G.sample(16, output="grid")

Overrides are any config keys, dotted (``**{"a.b": v}``) or with ``__`` for the dot; values
are Python values (numbers, strings, lists, None to switch a regulariser off).
"""

from __future__ import annotations

import json
from pathlib import Path

from gankit import config as C
from gankit.app import train as _train
from gankit.errors import GankitError
from gankit.plugins import players
from gankit.run import html
from gankit.run.rundir import RunDir
from gankit.use.generator import TrainedGenerator, dataframe, load


class Run:
    """A run directory seen from Python: its config, logged rows, pictures and generator."""

    def __init__(self, path: str | Path):
        self.dir = RunDir.existing(path)

    def __repr__(self) -> str:
        return f"gankit.Run('{self.path}', step={self.step})"

    @property
    def path(self) -> Path:
        return self.dir.path

    @property
    def config(self) -> dict:
        return self.dir.config_dict()

    @property
    def metrics(self) -> list[dict]:
        """Training rows of metrics.jsonl (step, loss_d, loss_g, ...), oldest first."""
        return self.dir.train_rows()

    @property
    def evals(self) -> list[dict]:
        """Evaluation rows (step and the ``eval`` dict of FID, KID, ...), oldest first."""
        return self.dir.eval_rows()

    @property
    def step(self) -> int:
        rows = self.metrics
        return int(rows[-1]["step"]) if rows else 0

    def dataframe(self):
        """The training rows as a pandas DataFrame (needs pandas)."""
        return dataframe(self.metrics)

    def generator(self, which: str = "latest", device="cpu") -> TrainedGenerator:
        return load(self.path, which, device)

    def report(self) -> Path:
        """Re-render report.md, report.html and the pictures; the HTML page's path."""
        from gankit.run.report import render

        render(self.dir)
        return self.dir.report_html

    def _repr_html_(self) -> str:
        return html.fragment(self.dir)


def sets_from(overrides: dict) -> list[tuple[str, object]]:
    """Python keyword overrides -> (dotted key, value) pairs; values pass as they are (never
    parsed as YAML), so a string stays a string. Only plain values (numbers, strings, lists,
    dicts, None) can be config."""
    pairs = []
    for key, value in overrides.items():
        dotted = key.replace("__", ".")
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise GankitError(
                f"override {dotted}: {value!r} is not a plain value (number, string, list, dict)"
            ) from None
        pairs.append((dotted, value))
    return pairs


def train(preset_or_config: str | Path | dict | C.Config | None = None, data: str | None = None,
          steps: int | None = None, out: str | None = None, overwrite: bool = False,
          resume: str | None = None, G: type | None = None, D: type | None = None,
          **overrides) -> Run:  # fmt: skip
    """Train a run and return it: a preset name, a YAML file, a config dict (over the default
    preset) or a Config; ``data`` sets data.path, ``steps`` train.steps; ``resume`` continues
    the run directory it names (then only steps and log/eval keys may change).

    ``G`` / ``D``: a network class of your own (a ``gankit.nets.base.Net``), built by gankit as
    ``G(shape, z_dim, **options)`` and ``D(shape, **options)`` with its options from the config
    (``model.generator.<option>=...``); it is registered under its class name, so resuming or
    loading the run in another session needs the class passed again (or registered)."""
    overrides = {**players(G, D, resumed=resume is not None), **overrides}
    preset, config_file, base = None, None, None
    if isinstance(preset_or_config, C.Config):
        base = preset_or_config.to_dict()
    elif isinstance(preset_or_config, dict):
        base = C.merge(C.preset_dict(C.DEFAULT_PRESET), preset_or_config)
    elif isinstance(preset_or_config, (str, Path)) and Path(preset_or_config).suffix in (
        ".yaml",
        ".yml",
    ):
        config_file = str(preset_or_config)
    elif preset_or_config is not None:
        preset = str(preset_or_config)
    given = {"data.path": str(data) if data is not None else None, "train.steps": steps}
    sets = sets_from({**{k: v for k, v in given.items() if v is not None}, **overrides})
    run = _train(preset, config_file, {}, sets, out, overwrite, resume, base)
    return Run(run.path)
