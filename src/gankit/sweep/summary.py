"""A sweep's summary: a Markdown table (mean +- std over seeds), box plots per metric and the
final samples of every configuration side by side."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from gankit.run.rundir import atomic, write_text_atomic  # noqa: E402

NOT_METRICS = {"run", "config", "seed", "variant", "axes"}


def metric_names(rows: list[dict]) -> list[str]:
    names = []
    for row in rows:
        for key, value in row.items():
            if (
                key not in NOT_METRICS
                and "." not in key
                and isinstance(value, (int, float))
                and key not in names
            ):
                names.append(key)
    return names


def quality_metrics(rows: list[dict]) -> list[str]:
    """The evaluated metrics, without the wall time."""
    return [m for m in metric_names(rows) if m != "train_seconds"]


def mean_std(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    a = np.asarray(values, dtype=float)
    if not np.isfinite(a).all():  # e.g. reverse KL of a run with no high-quality sample
        return f"inf in {int((~np.isfinite(a)).sum())} of {len(a)}"
    return f"{a.mean():.3g} ± {a.std():.2g}" if len(a) > 1 else f"{a[0]:.3g}"


def table(rows: list[dict]) -> str:
    configs = list(dict.fromkeys(r["config"] for r in rows))
    metrics = metric_names(rows)
    lines = [
        "| config | seeds | " + " | ".join(metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    for config in configs:
        group = [r for r in rows if r["config"] == config]
        cells = [mean_std([r.get(m) for r in group]) for m in metrics]
        lines.append(f"| {config} | {len(group)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pivot(rows: list[dict], metric: str) -> str | None:
    """For a sweep of exactly two axes (e.g. losses x architectures): ``metric`` as a table,
    one row per value of the second axis and one column per value of the first."""
    axes = rows[0].get("axes", []) if rows else []
    if len(axes) != 2:
        return None
    a, b = axes
    cols, lines_of = (
        list(dict.fromkeys(r[a] for r in rows)),
        list(dict.fromkeys(r[b] for r in rows)),
    )
    lines = [f"| {metric} | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for value in lines_of:
        cells = [
            mean_std([r.get(metric) for r in rows if r[a] == col and r[b] == value]) for col in cols
        ]
        lines.append(f"| {value} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def box_plots(rows: list[dict], path: Path) -> None:
    configs = list(dict.fromkeys(r["config"] for r in rows))
    metrics = quality_metrics(rows) + ["train_seconds"]
    fig, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(max(4, 0.9 * len(configs)) * len(metrics) / 1.5, 3.8),
        squeeze=False,
    )
    for ax, metric in zip(axes[0], metrics):
        data = [
            [
                r[metric]
                for r in rows
                if r["config"] == c and r.get(metric) is not None and np.isfinite(r[metric])
            ]
            for c in configs
        ]
        ax.boxplot(data, showmeans=True)
        ax.set_xticks(range(1, len(configs) + 1), configs, rotation=60, ha="right", fontsize=7)
        ax.set_title(metric, fontsize=9)
    fig.tight_layout()
    with atomic(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def sample_montage(out: Path, rows: list[dict], path: Path) -> None:
    """Each configuration's best.png from its first seed, side by side."""
    first = {}
    for r in rows:
        first.setdefault(r["config"], r["run"])
    shown = [
        (c, out / run / "best.png")
        for c, run in first.items()
        if (out / run / "best.png").is_file()
    ]
    if not shown:
        return
    # one column per value of the last axis, so a losses x architectures sweep reads as that table
    axes = rows[0].get("axes") or ["config"]
    cols = min(len(shown), len({r[axes[-1]] for r in rows}))
    nrows = -(-len(shown) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(2.4 * cols, 2.7 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (config, png) in zip(axes.flat, shown):
        ax.imshow(Image.open(png)), ax.set_title(config, fontsize=7)
    fig.tight_layout()
    with atomic(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def write_summary(out: Path, rows: list[dict], title: str, command: str) -> Path:
    box_plots(rows, out / "boxplots.png")
    sample_montage(out, rows, out / "samples.png")
    (out / "rows.json").write_text(json.dumps(rows, indent=1))
    metrics = quality_metrics(rows)
    grid = pivot(rows, metrics[0]) if metrics else None
    text = (
        f"# {title}\n\n`{command}`\n\nMean ± std over seeds ({len(rows)} runs).\n\n{table(rows)}\n\n"
        + (f"By {' and '.join(rows[0]['axes'])}:\n\n{grid}\n\n" if grid else "")
        + "![box plots](boxplots.png)\n\n![final samples, first seed](samples.png)\n"
    )
    write_text_atomic(out / "summary.md", text)
    return out / "summary.md"
