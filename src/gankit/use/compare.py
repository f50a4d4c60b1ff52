"""Runs side by side (``gankit compare RUN [RUN ...] --out compare.html``): one self-contained
page with each run's final samples, the metric and loss curves overlaid, the configuration keys
that differ, wall time and hardware. What the seeds' project report did by hand for DCGAN vs
WGAN vs WGAN-GP on anime faces.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gankit.errors import GankitError  # noqa: E402
from gankit.run.html import CSP, STYLE  # noqa: E402
from gankit.run.rundir import RunDir, write_text_atomic  # noqa: E402

LOSSES = ("loss_d", "loss_g")


def flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def differences(configs: list[dict]) -> dict[str, list]:
    """The config keys whose values are not the same in every run (description excepted)."""
    flats = [flat(c) for c in configs]
    keys = sorted(set().union(*flats) - {"description"})
    return {k: [f.get(k) for f in flats] for k in keys if len({repr(f.get(k)) for f in flats}) > 1}


def curves(runs: list[RunDir], names: list[str], keys: list[str], evaluated: bool) -> str | None:
    """One panel per key, a line per run; a PNG as a data URI, or None with nothing to draw."""
    series = [(r.eval_rows() if evaluated else r.train_rows()) for r in runs]
    keys = [k for k in keys if any(_values(rows, k, evaluated) for rows in series)]
    if not keys:
        return None
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.4), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for name, rows in zip(names, series):
            points = _values(rows, key, evaluated)
            if points:
                ax.plot(*zip(*points), label=name, marker="o" if evaluated else None, lw=1.2)
        ax.set_title(key), ax.set_xlabel("generator step"), ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _values(rows: list[dict], key: str, evaluated: bool) -> list[tuple[int, float]]:
    pick = (lambda r: r.get("eval", {}).get(key)) if evaluated else (lambda r: r.get(key))
    return [(r["step"], pick(r)) for r in rows if isinstance(pick(r), (int, float))]


def _metric_keys(runs: list[RunDir]) -> list[str]:
    keys = []
    for run in runs:
        for row in run.eval_rows():
            keys += [k for k in row.get("eval", {}) if k not in keys]
    return keys


def _evaluation(ev: dict) -> str:
    if not ev.get("every"):
        return "none during training"
    return f"{ev.get('metrics')} every {ev.get('every')} steps, n={ev.get('n')}, {ev.get('extractor')} features"


def _image(path: Path) -> str:
    if not path.is_file():
        return "<em>(no best.png yet)</em>"
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="samples" src="data:image/png;base64,{encoded}" width="256">'


def page(paths: list[str]) -> str:
    runs = [RunDir.existing(p) for p in paths]
    if len(runs) < 2:
        raise GankitError("compare needs two or more run directories")
    names = [r.path.name for r in runs]
    configs = [r.config_dict() for r in runs]
    summaries = [r.read_json(r.summary) for r in runs]
    e = html.escape
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    facts = [("samples (best.png, same noise where latent and seed match)",
              [_image(r.best) for r in runs]),
             ("steps", [e(str(s.get("steps", "?"))) for s in summaries]),
             ("training time (s)", [e(str(s.get("train_seconds", "?"))) for s in summaries]),
             ("device, precision", [e(f"{s.get('device', '?')}, {s.get('precision', '?')}")
                                    for s in summaries]),
             ("evaluation (curves below)", [e(_evaluation(c.get("eval", {}))) for c in configs])]  # fmt: skip
    facts += [(key, [e(repr(v)) for v in values]) for key, values in differences(configs).items()]
    rows = "".join(f"<tr><th>{e(k)}</th>{''.join(f'<td>{c}</td>' for c in cells)}</tr>"
                   for k, cells in facts)  # fmt: skip
    plots = [(t, curves(runs, names, keys, ev)) for t, keys, ev in
             (("metrics", _metric_keys(runs), True), ("losses", list(LOSSES), False))]  # fmt: skip
    figures = "".join(f'<h2>{t}</h2><img alt="{t}" src="{src}">' for t, src in plots if src)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>gankit compare: {e(', '.join(names))}</title><style>{STYLE}</style></head>"
            f"<body><h1>{len(runs)} runs side by side</h1><p>Only the configuration keys that "
            f"differ are listed.</p><table><tr><th></th>{head}</tr>{rows}</table>{figures}"
            f"</body></html>\n")  # fmt: skip


def write_compare(paths: list[str], out: str) -> Path:
    target = Path(out).expanduser()
    if target.suffix != ".html":
        raise GankitError(f"--out {target}: the comparison is a page; name it {target.stem}.html")
    write_text_atomic(target, page(paths))
    return target
