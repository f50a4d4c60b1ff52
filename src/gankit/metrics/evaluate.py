"""Evaluating a generator: from a run directory (``gankit eval``) or during training."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from pathlib import Path

import torch

from gankit.config import Component, parse_yaml
from gankit.data import DATASETS, DataSource
from gankit.errors import GankitError
from gankit.metrics.base import METRICS, EvalContext, parse_metrics  # noqa: F401 - re-export
from gankit.metrics.cache import DEFAULT_ROOT, RealFeatureCache
from gankit.metrics.features import FEATURES, FeatureExtractor
from gankit.metrics.translation import translation_fid
from gankit.models import translation_kind
from gankit.run.load import build_generator, latent_of, load_checkpoint
from gankit.run.rundir import RunDir
from gankit.use.sample import generator_sampler
from gankit.use.translate import Translator


def primary(names: list[str]) -> tuple[str, bool]:
    """The value that ranks checkpoints (first metric's primary key) and whether higher is better."""
    metric = METRICS.get(names[0])
    return metric.primary, metric.higher_is_better


def reference_key(data_cfg: Component, overrides: Iterable[str] = ()) -> dict:
    """What a run's metrics compare against, as ``{name, **args}`` (the real-feature cache key):
    the run's data section with ``overrides`` (``KEY=VALUE``, the value read as YAML; e.g.
    CIFAR-10's ``subdir=test``), without ``hflip``. Flips only touch training batches
    (``real_sample`` never flips), so runs with and without them share one cache entry."""
    args = dict(data_cfg.args)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise GankitError(
                f"reference override {item!r} is not KEY=VALUE: write e.g. subdir=test"
            )
        args[key] = parse_yaml(value, f"reference override {item!r}")  # as --set reads it
    args.pop("hflip", None)
    return {"name": data_cfg.name, **args}


def reference_data(data_cfg: Component, overrides: Iterable[str] = ()) -> tuple[DataSource, dict]:
    """The real side that ``reference_key`` names, built, and that key."""
    key = reference_key(data_cfg, overrides)
    args = dict(key)
    return DATASETS.build(args.pop("name"), **args), key


def evaluate(
    data: DataSource,
    generate,
    names: list[str],
    n: int,
    extractor: str | FeatureExtractor = "inception",
    cache_root: str | Path | None = DEFAULT_ROOT,
    dataset_key: dict | None = None,
) -> dict[str, float]:
    """Run the named metrics on n real and n generated samples; one flat dict of results.

    ``generate(n)`` draws samples; a ``Sampler`` also draws given classes or codes (for the
    class-wise metrics). ``extractor`` is a FEATURES name or an already built extractor."""
    return run_metrics(context(data, generate, n, extractor, cache_root, dataset_key), names)


def run_metrics(ctx: EvalContext, names: list[str]) -> dict[str, float]:
    results: dict[str, float] = {}
    for name in names:
        results.update(METRICS.build(name)(ctx))
    return results


def context(data: DataSource, generate, n: int, extractor: str | FeatureExtractor = "inception",
            cache_root: str | Path | None = DEFAULT_ROOT, dataset_key: dict | None = None,
            ) -> EvalContext:  # fmt: skip
    """What the metrics read: n real and n generated samples, features computed once."""
    cache = (
        RealFeatureCache(dataset_key or {}, cache_root)
        if cache_root is not None and data.is_image
        else None
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    make = (
        (lambda: FEATURES.build(extractor).to(device))
        if isinstance(extractor, str)
        else (lambda: extractor)
    )
    return EvalContext(
        data,
        real=lambda k: data.real_sample(k, seed=0),
        fake=generate,
        n=n,
        extractor=make,
        real_cache=cache,
    )


def evaluate_run(
    run_dir: str,
    names: list[str] | None,
    n: int | None,
    which: str = "last",
    extractor: str = "inception",
    seed: int = 0,
) -> dict:
    run = RunDir.existing(run_dir)
    state, cfg = load_checkpoint(run, which)
    if translation_kind(cfg.model.kind.name):
        return evaluate_translation(run, state, cfg, n, which, extractor, seed)
    G = build_generator(state, cfg)
    data, key = reference_data(cfg.data)
    n = n or (10000 if data.is_image else 2500)
    names = names or (["fid", "kid", "pr"] if data.is_image else ["modes"])
    ctx = context(data, generator_sampler(G, latent_of(state, cfg), seed), n, extractor,
                  dataset_key=key)  # fmt: skip
    with torch.no_grad():
        results = run_metrics(ctx, names)
    used = {"real": ctx.used.get("real", n), "fake": ctx.used.get("fake", n)}
    if used["real"] < n:
        warnings.warn(
            f"the real side has only {used['real']} samples, fewer than --n {n}: the metrics used "
            f"{used['real']} real and {used['fake']} generated (compare only numbers of equal n)"
        )
    return {
        "checkpoint": str(run.checkpoint_file(which)),
        "step": int(state.step),
        "n": used,
        "extractor": extractor if data.is_image else None,
        **strict_json(results),
    }


def evaluate_translation(run: RunDir, state: dict, cfg, n: int | None, which: str,
                         extractor: str, seed: int) -> dict:  # fmt: skip
    """FID per target domain of a translation run (``gankit eval`` on CycleGAN / StarGAN v2)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    translator = Translator.from_state(state, cfg, device, str(run.path))
    data = DATASETS.build(cfg.data.name, **cfg.data.args)
    n = n or 2000
    results = translation_fid(translator.model, translator.nets, data,
                              FEATURES.build(extractor).to(device), n, seed, device)  # fmt: skip
    return {"checkpoint": str(run.checkpoint_file(which)), "step": int(state.step),
            "n": {"real": n, "fake": n}, "extractor": extractor, **strict_json(results)}  # fmt: skip


def strict_json(results: dict[str, float]) -> dict:
    """``metrics`` with null for NaN/infinity (strict JSON has neither) and ``non_finite`` naming
    what each null stands for ("inf", "-inf" or "nan")."""
    bad = {k: str(v) for k, v in results.items() if not math.isfinite(v)}
    return {
        "metrics": {k: (None if k in bad else v) for k, v in results.items()},
        "non_finite": bad,
    }
