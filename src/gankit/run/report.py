"""Re-render a run's GIF, loss plot, report.md and report.html from what is on disk (no model
needed)."""

from __future__ import annotations

from gankit.errors import GankitError
from gankit.models import translation_kind
from gankit.run.artifacts import make_gif, plot_losses, plot_metrics
from gankit.run.html import write_html
from gankit.run.rundir import RunDir, frame_step, write_text_atomic


def render(run: RunDir) -> None:
    rows, evals = run.train_rows(), run.eval_rows()
    frames = run.frames()
    make_gif(frames, run.gif, [frame_step(f) for f in frames])
    plot_losses(rows, run.losses)
    if evals:
        plot_metrics(evals, run.path / "metrics.png")
    write_text_atomic(run.report, report_markdown(run, rows, evals))
    write_html(run)


def _config(run: RunDir) -> dict | None:
    """config.yaml, else the checkpoint's copy; None when neither can be read."""
    try:
        cfg = run.config_dict()
        _config_table(cfg)
        return cfg
    except (GankitError, KeyError, TypeError, AttributeError):
        return None


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _count(summary: dict, key: str) -> str:
    return f"{summary[key]:,}" if isinstance(summary.get(key), int) else "?"


def _parameters(summary: dict) -> str:
    counts = {k[len("params_") :]: k for k in summary if k.startswith("params_")}
    shown = [f"{name.upper() if len(name) == 1 else name} {_count(summary, key)}"
             for name, key in counts.items()]  # fmt: skip
    return ", ".join(shown) or "G ?, D ?"


def _component(c: dict) -> str:
    args = ", ".join(f"{k}={_fmt(v)}" for k, v in c.items() if k != "name")
    return f"`{c['name']}`" + (f" ({args})" if args else "")


def _config_table(cfg: dict) -> list[str]:
    t, m = cfg["train"], cfg["model"]
    regs = (
        ", ".join(_component({"name": n, **a}) for n, a in cfg.get("regularizers", {}).items())
        or "none"
    )
    kind = m.get("kind") or {"name": "gan"}
    # a translation model builds its own networks from the model row's options
    nets = [] if translation_kind(kind["name"]) else [
        ("generator", _component(m["generator"]) + f", z_dim={m['z_dim']}"),
        ("discriminator", _component(m["discriminator"])),
    ]  # fmt: skip
    rows = [
        ("model", _component(kind)),
        ("data", _component(cfg["data"])),
        *nets,
        ("loss", _component(cfg["loss"])),
        ("regularizers", regs),
        ("optimizers", _optimizers(cfg)),
        (
            "schedule",
            f"{t['steps']} G steps, batch {t['batch_size']}, n_critic {t['n_critic']}, seed {t['seed']}",
        ),
        ("EMA", str(m.get("ema") or "off")),
    ]
    return ["| setting | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]


def _optimizers(cfg: dict) -> str:
    """Both optimisers and what changes their rates over the run (a decay, schedules)."""
    o = cfg["optim"]
    text = f"G {_component(o['g'])}; D {_component(o['d'])}"
    if o.get("lr_decay", "none") != "none":
        text += f"; lr: {o['lr_decay']} decay to 0 from {o.get('decay_from', 0):.0%} of the steps"
    if cfg.get("schedules"):
        text += f"; schedules: {', '.join(cfg['schedules'])}"
    return text


def _timing(summary: dict, rows: list[dict]) -> list[str]:
    if not rows:
        return ["No steps logged yet."]
    last = rows[-1]
    lines = [
        f"- generator steps done: {last['step']}",
        f"- training time: {_fmt(last.get('time', 0.0))} s ({summary.get('device', '?')})",
        f"- precision: {summary.get('precision', 'not recorded')}",
        *([f"- stopped early: {summary['stopped_early']}"] if summary.get("stopped_early") else []),
        f"- average speed: {_fmt(last.get('steps_per_s', 0.0))} G steps/s, "
        f"{_fmt(last.get('samples_per_s', 0.0))} real samples/s",
    ]
    tail = rows[-max(1, len(rows) // 10) :]
    for key in ("loss_d", "loss_g", "wdist", "gp"):
        values = [r[key] for r in tail if isinstance(r.get(key), (int, float))]
        if key in last and values:
            lines.append(
                f"- {key} (mean of the last {len(values)} logged rows): {_fmt(sum(values) / len(values))}"
            )
    return lines


def _evaluation(evals: list[dict], best: dict) -> list[str]:
    if not evals:
        return []
    keys = list(evals[-1]["eval"])
    lines = [
        "## Evaluation",
        "",
        "![metrics](metrics.png)",
        "",
        "| step | " + " | ".join(keys) + " |",
        "|---|" + "---|" * len(keys),
    ]
    lines += [
        f"| {r['step']} | " + " | ".join(_fmt(r["eval"].get(k)) for k in keys) + " |" for r in evals
    ]
    if {"metric", "value", "step"} <= best.keys():
        lines += [
            "",
            f"Best: {best['metric']} = {_fmt(best['value'])} at step {best['step']} "
            f"(`checkpoints/best.pt`, drawn in best.png).",
        ]
    return lines + [""]


def report_markdown(run: RunDir, rows: list[dict], evals: list[dict] = ()) -> str:
    cfg, summary, best = _config(run), run.read_json(run.summary), run.read_json(run.best_info)
    out = [f"# gankit run: {run.path.name}", "", str((cfg or {}).get("description", "")), ""]
    out += _configuration(cfg, summary)
    out += ["## Timings", ""] + _timing(summary, rows) + [""]
    out += _pictures(run)
    out += _evaluation(list(evals), best)
    out += ["## Best samples", "", "![best](best.png)", ""]
    out += [f"Source: {best.get('source', 'not written yet (the run has not finished)')}.", ""]
    out += [
        "## Files",
        "",
        f"- checkpoints: `checkpoints/latest.pt` (resume with `gankit train --resume {run.path}`)",
        "- metrics: [metrics.jsonl](metrics.jsonl)",
        f"- TensorBoard: `tensorboard --logdir {run.tb}`",
        "",
    ]
    return "\n".join(out)


def _configuration(cfg: dict | None, summary: dict) -> list[str]:
    data_info = summary.get("data") if isinstance(summary.get("data"), dict) else {}
    data = ", ".join(f"{k} {v}" for k, v in data_info.items())
    table = (
        _config_table(cfg)
        if cfg
        else ["No readable config (config.yaml and checkpoints are damaged)."]
    )
    return ["## Configuration", "", *table, "",
            "Full config: [config.yaml](config.yaml). "
            f"Data: {data or '?'}. Parameters: {_parameters(summary)}.", ""]  # fmt: skip


def _pictures(run: RunDir) -> list[str]:
    out = [
        "## Loss curves",
        "",
        "![losses](losses.png)",
        "",
        "D loss is the full objective D minimises (penalties included).",
        "",
        "## Training progress (fixed noise, or fixed inputs of a translation model)",
        "",
        "![progress](progress.gif)",
        "",
    ]
    frames = run.frames()
    if frames:
        last = frames[-1].relative_to(run.path)
        out += [f"Last frame: [{last}]({last}) ({len(frames)} frames in [samples/](samples/)).", ""]
    return out
