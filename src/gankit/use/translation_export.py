"""Translation runs shared like generators: ``gankit export RUN --format safetensors|hub``.

The file holds the networks a translation needs (``model.ema_nets``: CycleGAN's pair G_ab and
G_ba; StarGAN v2's G, mapping network F and style encoder E; their EMA copies where the run kept
them) under prefixed names (``G_ab.model.1.weight``), and in its metadata a JSON of what rebuilds
the model: the kind and its options, the loss, the image shape, the domains. ``gankit translate
FILE_OR_FOLDER`` and ``Translator.load`` read it back without unpickling anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from gankit.errors import GankitError, why
from gankit.run.rundir import RunDir, atomic, write_bytes_atomic, write_text_atomic

FORMAT = "gankit-translation-1"


def metadata(translator, cfg, step: int) -> dict:
    kind, loss = cfg.model.kind, cfg.loss
    return {
        "format": FORMAT, "kind": {"name": kind.name, **kind.args},
        "loss": {"name": loss.name, **loss.args}, "data_shape": list(translator.model.shape),
        "domains": list(translator.domains), "step": int(step), "description": cfg.description,
    }  # fmt: skip


def weights(translator) -> dict[str, torch.Tensor]:
    """The inference networks' tensors, each whole (clones: none shares memory)."""
    return {
        f"{name}.{key}": value.detach().cpu().clone().contiguous()
        for name in translator.model.ema_nets
        for key, value in translator.nets[name].state_dict().items()
    }


def write(translator, cfg, step: int, run: RunDir, fmt: str, out: Path, overwrite: bool) -> dict:
    """A run's translation networks (a loaded ``Translator``) as one .safetensors file or a hub
    folder."""
    from safetensors.torch import save

    meta = metadata(translator, cfg, step)
    data = save(weights(translator), metadata={"gankit": json.dumps(meta)})
    if fmt == "safetensors":
        out.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(out, data)
        return {"format": fmt, "path": str(out), "networks": list(translator.model.ema_nets)}
    from gankit.use.hub import prepare_folder

    prepare_folder(out, overwrite)
    write_bytes_atomic(out / "model.safetensors", data)
    write_text_atomic(out / "config.json", json.dumps(meta, indent=2) + "\n")
    if run.best.is_file():  # the run's inputs / translations / reconstructions
        with atomic(out / "samples.png") as tmp:
            shutil.copyfile(run.best, tmp)
    write_text_atomic(out / "README.md", model_card(meta, cfg.to_dict(), run))
    return {"format": "hub", "path": str(out)}


def read(path: Path):
    """The translation model of an exported file or hub folder, its networks loaded."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    file = path / "model.safetensors" if path.is_dir() else path
    try:
        with safe_open(str(file), "pt") as f:
            meta = json.loads((f.metadata() or {})["gankit"])
        tensors = load_file(str(file))
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise GankitError(f"{file} is not a gankit export ({why(exc)})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise GankitError(
            f"{file} holds a generator, not a translation model; use gankit sample or gankit.load"
        )
    model = build_model(meta, file)
    for name in model.ema_nets:
        prefix = f"{name}."
        part = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            model.networks[name].load_state_dict(part)
        except RuntimeError as exc:
            raise GankitError(f"{file}: weights do not fit {name} ({why(exc)})") from None
    return model


def build_model(meta: dict, file: Path):
    from gankit.build.translation import build_model

    try:
        return build_model(meta["kind"], meta["loss"], meta["data_shape"], meta["domains"])
    except (KeyError, TypeError, ValueError, GankitError) as exc:
        raise GankitError(f"{file}: its metadata does not describe a model ({why(exc)})") from None


def model_card(meta: dict, cfg: dict, run: RunDir) -> str:
    from gankit.use.hub import shared_data

    kind, domains = meta["kind"]["name"], meta["domains"]
    shape = "x".join(map(str, meta["data_shape"]))
    front = ["---", "library_name: gankit", "pipeline_tag: image-to-image",
             f"tags: [gan, gankit, {kind}, image-to-image]", "---"]  # fmt: skip
    lines = [
        f"# {run.path.name}: a `{kind}` translation model trained with gankit", "",
        meta.get("description", ""), "",
        "![inputs, translations and reconstructions, domain by domain](samples.png)", "",
        "## Use", "", "```bash",
        f"gankit translate THIS_FOLDER --in photos/ --to {domains[-1]} --out translated/",
        "```", "", f"Domains: {', '.join(domains)}; images {shape} (resized and centre-cropped "
        "like the training data). Weights and JSON only: nothing is unpickled.", "",
        "## Training", "", "| setting | value |", "|---|---|",
        f"| data | `{json.dumps(shared_data(cfg.get('data', {})))}` |",
        f"| model | `{json.dumps(meta['kind'])}` |", f"| loss | `{json.dumps(meta['loss'])}` |",
        f"| optimizers | `{json.dumps(cfg.get('optim', {}))}` |", f"| steps | {meta['step']} |",
        "", "## Intended use and limitations", "",
        "A research and teaching artefact: it maps images of its training domains and nothing "
        "else; outputs reproduce biases of that data and are not photographs. The training "
        "data's licence applies to what it makes.",
    ]  # fmt: skip
    return "\n".join(front + [""] + lines) + "\n"
