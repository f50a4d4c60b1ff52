"""Before/after check for a change that must not change results (issue 30's redesign): four
steps of one preset per model kind at a tiny size and a fixed seed; prints one JSON object with,
per kind, a sha256 of the final weights (networks, EMA copies, optimiser states) and one of the
logged rows without their clocks. Run it on both sides of the change and compare:

    PYTHONPATH=src python benchmarks/redesign_check.py --out /tmp/before > before.json
    ... the change ...
    PYTHONPATH=src python benchmarks/redesign_check.py --out /tmp/after > after.json
    diff before.json after.json

Equal digests mean equal bits on this machine and library build (not across machines).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import torch
from PIL import Image

from gankit.cli import main
from gankit.run import checkpoint

TINY = ["data.resolution=16", "train.batch_size=8", "model.z_dim=8", "log.every=1",
        "log.sample_every=2", "log.checkpoint_every=2", "train.device=cpu", "eval.every=0"]  # fmt: skip
DIGITS = ["data.name=digits", "data.channels=1", *TINY, "model.generator.width=8",
          "model.discriminator.width=8"]  # fmt: skip
TRANSLATION = ["data.paths=null", "data.path={domains}", *TINY, "train.batch_size=2"]
#: kind -> (preset, --set assignments)
KINDS = {
    "gan": ("digits32-dcgan", DIGITS),
    "conditional-gan": ("digits32-dcgan", [*DIGITS, "data.labels=true"]),
    "acgan": ("mnist-acgan", [*DIGITS, "data.labels=true"]),
    "infogan": ("mnist-infogan", [*DIGITS, "data.resolution=28"]),
    "r3gan": ("cifar10-r3gan", [*DIGITS, "model.generator.width=16", "model.discriminator.width=16"]),
    "cyclegan": ("celeba2anime-cyclegan", [*TRANSLATION, "model.kind.width=4",
                 "model.kind.d_width=4", "model.kind.blocks=1"]),
    "starganv2": ("celeba-anime-starganv2", [*TRANSLATION, "model.kind.width=8",
                  "model.kind.max_width=16", "model.kind.mapping_width=16"]),
}  # fmt: skip
CLOCKS = ("time", "steps_per_s", "samples_per_s")


def domains(root: Path) -> Path:
    """Two small colour domains, written once."""
    for name, colour in (("red", (250, 0, 0)), ("blue", (0, 0, 250))):
        folder = root / "domains" / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(6):
            shade = tuple(min(255, c + 5 * i) for c in colour)
            Image.new("RGB", (20, 20), shade).save(folder / f"{i}.png")
    return root / "domains"


def digest(obj, h) -> None:
    if isinstance(obj, torch.Tensor):
        h.update(obj.detach().cpu().contiguous().numpy().tobytes())
    elif isinstance(obj, dict):
        for key in sorted(obj, key=str):
            h.update(str(key).encode())
            digest(obj[key], h)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            digest(value, h)
    else:
        h.update(repr(obj).encode())


def check(kind: str, out: Path, steps: int) -> dict:
    preset, sets = KINDS[kind]
    sets = [s.format(domains=domains(out)) for s in sets]
    run = out / kind
    argv = ["train", "--preset", preset, "--steps", str(steps), "--out", str(run), "--overwrite"]
    if main([*argv, *[a for s in sets for a in ("--set", s)]]) != 0:
        return {"error": "training failed"}
    state = checkpoint.load(run / "checkpoints" / "latest.pt")
    weights = hashlib.sha256()
    digest({k: getattr(state, k) for k in ("networks", "ema", "optimizers")}, weights)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rows = [{k: v for k, v in r.items() if k not in CLOCKS} for r in rows]
    logged = hashlib.sha256(json.dumps(rows, sort_keys=True).encode())
    return {
        "weights": weights.hexdigest()[:16],
        "rows": logged.hexdigest()[:16],
        "n_rows": len(rows),
    }


def main_(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the runs")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args(argv)
    out = Path(args.out)
    result = {kind: check(kind, out, args.steps) for kind in args.kinds}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main_()
