"""A shareable model folder (``gankit export RUN --format hub --out DIR``), the convention of
Hugging Face's ``PyTorchModelHubMixin``: ``model.safetensors`` (the EMA generator), ``config.json``
(what ``gankit.load`` needs to rebuild it) and ``README.md``, a model card with YAML front matter
and a sample grid (``samples.png``). ``gankit.load(DIR)`` reads it without unpickling anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from gankit.errors import GankitError
from gankit.run.rundir import RunDir, atomic, write_bytes_atomic, write_text_atomic
from gankit.use.generator import TrainedGenerator, safetensors_bytes

FILES = ("model.safetensors", "config.json", "README.md", "samples.png")


def is_hub_folder(path: Path) -> bool:
    return (
        path.is_dir()
        and (path / "model.safetensors").is_file()
        and (path / "config.json").is_file()
    )


def prepare_folder(out: Path, overwrite: bool) -> None:
    """A hub folder's files are replaced only with --overwrite (generators and translation runs)."""
    taken = [name for name in FILES if (out / name).exists()]
    if taken and not overwrite:
        raise GankitError(f"--out {out} already holds {taken[0]}; pass --overwrite to replace it")
    out.mkdir(parents=True, exist_ok=True)


def write_hub(G: TrainedGenerator, run: RunDir, out: Path, overwrite: bool = False) -> dict:
    prepare_folder(out, overwrite)
    meta = G.metadata()
    write_bytes_atomic(out / "model.safetensors", safetensors_bytes(G))
    write_text_atomic(out / "config.json", json.dumps(meta, indent=2) + "\n")
    grid = G.sample(64, seed=0, output="grid")
    with atomic(out / "samples.png") as tmp:
        grid.save(tmp, format="PNG")
    write_text_atomic(out / "README.md", model_card(G, run))
    return {"format": "hub", "path": str(out)}


def model_card(G: TrainedGenerator, run: RunDir) -> str:
    cfg, summary = G.config, run.read_json(run.summary)
    evaluation = run.read_json(run.path / "eval.json")
    data, gen = shared_data(cfg.get("data", {})), cfg["model"]["generator"]["name"]
    metrics = sorted((evaluation.get("metrics") or {}).keys())
    front = [
        "---", "library_name: gankit", "pipeline_tag: unconditional-image-generation",
        f"tags: [gan, gankit, {gen}, {cfg.get('loss', {}).get('name', 'gan')}]",
        f"datasets: [{dataset_name(data)}]", f"metrics: [{', '.join(metrics)}]", "---",
    ]  # fmt: skip
    lines = [
        f"# {run.path.name}: a `{gen}` generator trained with gankit", "",
        cfg.get("description", ""), "", "![64 samples](samples.png)", "", "## Use", "",
        "```python", "import gankit", "", 'G = gankit.load("THIS_FOLDER")  # no pickle: safetensors + JSON',
        "x = G.sample(16, seed=0)  # float32 [16, C, H, W] in [-1, 1]", "```", "",
        "## Evaluation", "", *_evaluation(evaluation), "", "## Training", "",
        *_training(cfg, summary, G), "", "## Intended use and limitations", "",
        "A research and teaching artefact: it makes images like its training data "
        f"({dataset_name(data)}, {'x'.join(map(str, G.shape))}) and nothing else. Samples can "
        "reproduce biases of that data and may be close to training images (check with "
        "`gankit nearest`); they are not photographs of real people or places. The training "
        "data's licence applies to what it generates.",
    ]  # fmt: skip
    return "\n".join(front + [""] + lines) + "\n"


def shared_data(data: dict) -> dict:
    """The data section as it may be shared: a local path becomes its last part."""
    return {k: Path(str(v)).name if k == "path" else v for k, v in data.items()}


def dataset_name(data: dict) -> str:
    """A folder dataset is named by its folder (and sub-folder), others by their registry name."""
    if "path" not in data:
        return str(data.get("name", "unknown"))
    return "/".join(part for part in (data["path"], data.get("subdir", "")) if part)


def _evaluation(evaluation: dict) -> list[str]:
    if not evaluation.get("metrics"):
        return ["Not evaluated (run `gankit eval RUN` before exporting to include metrics)."]
    n = evaluation.get("n")
    shown = f"{n['real']} real vs {n['fake']} generated" if isinstance(n, dict) else f"n={n}"
    rows = [f"| {k} | {v:.4g} |" for k, v in evaluation["metrics"].items() if v is not None]
    return [f"Checkpoint step {evaluation.get('step')}, {shown}, features: "
            f"{evaluation.get('extractor')} (the protocol of gankit's docs/evaluation.md).", "",
            "| metric | value |", "|---|---|", *rows]  # fmt: skip


def _training(cfg: dict, summary: dict, G: TrainedGenerator) -> list[str]:
    t, optim = cfg.get("train", {}), cfg.get("optim", {})
    rows = {
        "data": json.dumps(shared_data(cfg.get("data", {}))), "image shape": "x".join(map(str, G.shape)),
        "generator": json.dumps(cfg["model"]["generator"]), "latent": json.dumps(G.latent.to_dict()),
        "discriminator": json.dumps(cfg["model"].get("discriminator")),
        "loss": json.dumps(cfg.get("loss")), "regularizers": json.dumps(cfg.get("regularizers")),
        "optimizers": json.dumps(optim), "EMA of G": str(cfg["model"].get("ema")),
        "steps, batch, seed": f"{G.step}, {t.get('batch_size')}, {t.get('seed')}",
        "hardware": f"{summary.get('device', '?')}, {summary.get('precision', '?')}, "
                    f"{summary.get('train_seconds', '?')} s",
    }  # fmt: skip
    return ["| setting | value |", "|---|---|", *[f"| {k} | `{v}` |" for k, v in rows.items()]]
