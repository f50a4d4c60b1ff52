"""A fair mode-collapse table: every technique gets the same random-search tuning budget.

"Are GANs created equal?" (Lucic et al. 2018): comparing methods at one shared setting measures
the setting. Here each technique of benchmarks/mode_collapse.py draws ``--settings`` random
settings of its learning rates, Adam betas and its own strength (the ``SPACE`` below), plus the
shared untuned setting of mode_collapse.py, each trained once (seed 0) on the ring of 8
Gaussians for the shared budget of G steps. The best setting (most modes, then most
high-quality samples) is trained again on seeds 1-4. Rows go to
``--results`` (jsonl, resumable); the table (best setting over 5 seeds, median setting over the
random draws) to ``--docs``/mode_tuning_table.md, samples of each best setting (seed 0) to
``--docs``/mode_tuning.png.

    python benchmarks/mode_tuning.py [--settings 8] [--steps 1000] [--jobs 2] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mode_collapse import figure, mean_std, run_all, run_one  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LR = ("log", 1e-4, 3e-3)
#: technique -> {override key: (kind, low, high) | [choices]}; lr and betas are added to all
SPACE: dict[str, dict] = {
    "GAN (minimax)": {},
    "NS-GAN": {},
    "WGAN-clip": {"regularizers.weight_clip.clip": ("log", 0.003, 0.1)},
    "WGAN-GP": {"regularizers.gradient_penalty.weight": ("log", 0.01, 10.0)},
    "LSGAN": {},
    "hinge + SN": {"train.n_critic": [1, 2, 5]},
    "unrolled k=5": {"regularizers.unrolled.steps": [1, 3, 5, 8, 10]},
    "minibatch discr.": {"regularizers.minibatch_discrimination.kernels": [5, 16, 50, 100]},
    "minibatch stddev": {"regularizers.minibatch_stddev.group": [2, 4, 8, 16]},
    "consensus": {"regularizers.consensus.weight": ("log", 0.1, 10.0)},
    "locally stable GD": {"regularizers.locally_stable.weight": ("log", 0.05, 5.0)},
    "instance noise": {
        "regularizers.instance_noise.std": ("log", 0.01, 0.3),
        "regularizers.instance_noise.anneal_steps": [250, 500, 1000, 2000],
    },
    "feature matching": {"regularizers.feature_matching.weight": ("log", 0.1, 10.0)},
    "R1": {"regularizers.r1.weight": ("log", 0.01, 10.0)},
    "DRAGAN": {"regularizers.dragan.weight": ("log", 0.1, 10.0)},
    "R3GAN (RpGAN + R1 + R2)": {
        "regularizers.r1.weight": ("log", 0.01, 1.0),
        "regularizers.r2.weight": ("log", 0.01, 1.0),
    },
    "EBGAN": {"loss.margin": ("log", 0.01, 10.0)},
}
#: RMSProp has no betas (WGAN-clip keeps the paper's optimiser)
NO_BETAS = {"WGAN-clip"}


def draw(space: dict, rng: np.random.Generator) -> dict:
    """One random value per key: log-uniform for ("log", lo, hi), uniform choice for a list."""
    out = {}
    for key, dom in space.items():
        if isinstance(dom, list):
            out[key] = dom[int(rng.integers(len(dom)))]
        else:
            out[key] = float(np.exp(rng.uniform(np.log(dom[1]), np.log(dom[2]))))
    return out


def setting(config: str, index: int) -> dict:
    """Setting ``index`` of ``config``: 0 is the shared untuned setting of mode_collapse.py, the
    others random draws, a pure function of both arguments (the search is reproducible)."""
    if index == 0:
        return {}
    rng = np.random.default_rng([zlib.crc32(config.encode()), index])
    space = {"optim.g.lr": LR, "optim.d.lr": LR, **SPACE[config]}
    if config not in NO_BETAS:
        space |= {"beta1": [0.0, 0.5, 0.9], "beta2": [0.9, 0.99, 0.999]}
    values = draw(space, rng)
    if "beta1" in values:
        betas = f"[{values.pop('beta1')}, {values.pop('beta2')}]"
        values |= {"optim.g.betas": betas, "optim.d.betas": betas}
    return values


def overrides(values: dict) -> list[str]:
    return [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()]


def score(row: dict) -> tuple[float, float]:
    return (row["modes"], row["hq"])


def tune_job(job: tuple[str, int, int, int]) -> dict:
    config, index, seed, steps = job
    values = setting(config, index)
    row = run_one(("ring", config, seed, steps), extra=overrides(values))
    return {**row, "setting": index, "values": values}


def run(jobs: list, path: Path, rows: list[dict], workers: int) -> None:
    run_all(
        tune_job, jobs, path, rows, workers, lambda r: f"{r['config']:24s} setting {r['setting']}"
    )


def best_setting(rows: list[dict], config: str) -> int:
    tried = [r for r in rows if r["config"] == config and r["seed"] == 0]
    return max(tried, key=score)["setting"]


def describe(values: dict) -> str:
    """A setting as a short text: G and D learning rates, betas, the technique's own knobs."""
    if not values:
        return "untuned (mode_collapse.py)"
    parts = []
    for key, value in values.items():
        if key == "optim.d.betas":
            continue
        name = {"optim.g.lr": "lr G", "optim.d.lr": "lr D", "optim.g.betas": "betas"}.get(key)
        name = name or (key.split(".")[-2] if key.endswith(".weight") else key.split(".")[-1])
        parts.append(f"{name} {value:.2g}" if isinstance(value, float) else f"{name} {value}")
    return ", ".join(parts)


def table(rows: list[dict], configs: list[str], seeds: int) -> str:
    lines = [
        "| ring (8 modes) | best: modes | best: high quality % | best: reverse KL | "
        "best: runs with all modes | median setting: modes / hq % | best setting |",
        "|---|---|---|---|---|---|---|",
    ]
    for config in configs:
        tried = sorted((r for r in rows if r["config"] == config and r["seed"] == 0), key=score)
        if not tried:
            continue
        best = best_setting(rows, config)
        got = [r for r in rows if r["config"] == config and r["setting"] == best][:seeds]
        median = tried[(len(tried) - 1) // 2]
        shown = describe(got[0]["values"])
        lines.append(
            f"| {config} | {mean_std([r['modes'] for r in got])} | "
            f"{mean_std([100 * r['hq'] for r in got])} | {mean_std([r['reverse_kl'] for r in got])} | "
            f"{sum(r['modes'] == 8 for r in got)}/{len(got)} | "
            f"{median['modes']:.0f} / {100 * median['hq']:.1f} | {shown} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--settings", type=int, default=8, help="random settings per technique")
    ap.add_argument("--seeds", type=int, default=5, help="seeds for the best setting")
    ap.add_argument("--steps", type=int, default=1000, help="generator steps per run")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--only", help="comma-separated subset of the techniques")
    ap.add_argument(
        "--results", type=Path, default=ROOT / "benchmarks" / "results" / "mode_tuning.jsonl"
    )
    ap.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = ap.parse_args()
    configs = args.only.split(",") if args.only else list(SPACE)
    unknown = [c for c in configs if c not in SPACE]
    if unknown:
        sys.exit(f"unknown technique(s) {unknown}; choose from {list(SPACE)}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in args.results.read_text().splitlines()] if args.results.exists() else []  # fmt: skip
    rows = [r for r in rows if r["steps"] == args.steps]
    done = {(r["config"], r["setting"], r["seed"]) for r in rows}
    search = [(c, i, 0, args.steps) for c in configs for i in range(args.settings + 1)]
    run([j for j in search if j[:3] not in done], args.results, rows, args.jobs)
    confirm = [(c, best_setting(rows, c), s, args.steps) for c in configs for s in range(1, args.seeds)]  # fmt: skip
    run([j for j in confirm if j[:3] not in done], args.results, rows, args.jobs)
    text = table(rows, configs, args.seeds)
    print(text)
    args.docs.mkdir(exist_ok=True)
    (args.docs / "mode_tuning_table.md").write_text(text + "\n")
    best = {c: best_setting(rows, c) for c in configs}
    shown = [r for r in rows if r["config"] in best and r["setting"] == best[r["config"]]]
    figure(shown, args.docs / "mode_tuning.png")  # seed 0 of every technique's best setting


if __name__ == "__main__":
    main()
