"""A trained generator to use from Python: ``gankit.load(RUN_DIR or FILE)``.

G = gankit.load("runs/demo")                 # a run directory (EMA weights if kept)
G = gankit.load("G.safetensors")             # an export: weights + JSON, nothing unpickled
x = G.sample(64, seed=0)                     # float [64, C, H, W] in [-1, 1], on the CPU
G.sample(64, output="grid")                  # one PIL image; output="pil": a list of them
G.interpolate(4, out="walk.gif")            # or output="grid" / "gif" (PIL frames)
G.metrics                                    # the run's logged rows, a list of dicts
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from PIL import Image

from gankit.data.base import float_to_uint8
from gankit.errors import GankitError, why
from gankit.models.latent import Latent, run_generator
from gankit.run import checkpoint
from gankit.run.load import (
    build_generator,
    in_data_units,
    latent_of,
    load_checkpoint,
    make_generator,
)
from gankit.run.rundir import RunDir
from gankit.use.sample import generator_sampler
from gankit.use.walk import (
    STEPS,
    check_walk_file,
    image_grid,
    save_walk,
    walk_draws,
    walk_frames,
    walk_grid,
)

OUTPUTS = ("tensor", "pil", "grid")


class TrainedGenerator:
    """G with what it reads (``latent``: z_dim, classes, codes) and the shape it makes.

    ``net`` maps z [N, latent.dim] (and y [N] for a class-conditional G) to images
    [N, C, H, W] in [-1, 1] or points [N, D]; ``config`` is the run's config as a dict."""

    def __init__(self, net: torch.nn.Module, latent: Latent, shape: tuple[int, ...],
                 config: dict, step: int | None = None, run: RunDir | None = None):  # fmt: skip
        self.net, self.latent, self.shape = net.eval(), latent, tuple(shape)
        self.config, self.step, self.run = config, step, run

    def __repr__(self) -> str:
        where = f", run={self.run.path}" if self.run else ""
        return (
            f"TrainedGenerator({self.config['model']['generator']['name']}, shape={list(self.shape)}, "
            f"{self.latent.describe()}, step={self.step}{where})"
        )

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def to(self, device) -> TrainedGenerator:
        self.net.to(device)
        return self

    @torch.no_grad()
    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G's output for G's full input z [N, latent.dim] (noise and codes) and labels y."""
        return self.net(z) if y is None else self.net(z, y)

    def metadata(self) -> dict:
        """What rebuilds this generator without its run (a safetensors export, config.json)."""
        return {
            "format": "gankit-generator",
            "version": 1,
            "generator": self.config["model"]["generator"],
            "data_shape": list(self.shape),
            "latent": self.latent.to_dict(),
            "step": self.step,
            "description": self.config.get("description", ""),
        }

    def sample(self, n: int = 64, seed: int = 0, y: int | torch.Tensor | None = None,
               truncation: float | None = None, z=None, codes: dict | None = None,
               output: str = "tensor"):  # fmt: skip
        """n samples from ``seed`` (or from the latents ``z`` [n, z_dim]); ``y`` a class for all
        or [n] classes; ``codes`` pins InfoGAN codes; ``truncation`` as BigGAN's trick."""
        n = len(z) if z is not None else n
        sampler = generator_sampler(self.net, self.latent, seed, truncation)
        return self._output(sampler.draw(n, y=y, fixed=codes, noise=z), output)

    @torch.no_grad()
    def interpolate(self, walks: int = 4, steps: int = STEPS, seed: int = 0, y: int | None = None,
                    truncation: float | None = None, output: str = "tensor",
                    out: str | Path | None = None):  # fmt: skip
        """``walks`` slerp walks of ``steps`` points: a tensor [walks * steps, ...] (walk-major),
        output="grid" (a row per walk), "gif" (a list of frames), or a file with ``out``."""
        out = check_walk_file(out) if out is not None else None
        draw = walk_draws(self.latent, walks, steps, seed, y, truncation).to(self.device)
        images = torch.cat([run_generator(self.net, d).cpu() for d in draw.split(512)])
        if out is not None:
            return save_walk(images, walks, Path(out))
        if output == "gif":
            return walk_frames(images, walks)
        return walk_grid(images, walks) if output == "grid" else images

    def _output(self, x: torch.Tensor, output: str):
        if output not in OUTPUTS:
            raise GankitError(f"output must be one of {', '.join(OUTPUTS)}, got '{output}'")
        if output == "tensor":
            return x.clamp(-1, 1) if x.dim() == 4 else x  # R3GAN's G is unbounded
        if x.dim() != 4:
            raise GankitError("this generator makes points, not images; use output='tensor'")
        return image_grid(x) if output == "grid" else [to_pil(img) for img in x]

    @property
    def metrics(self) -> list[dict]:
        """The run's logged rows (metrics.jsonl), oldest first; [] for an exported file."""
        return self.run.read_metrics() if self.run else []

    def dataframe(self):
        """The metrics as a pandas DataFrame (needs pandas)."""
        return dataframe(self.metrics)


def dataframe(rows: list[dict]):
    """Logged rows as a pandas DataFrame; a one-line error without pandas."""
    try:
        import pandas as pd
    except ImportError:
        raise GankitError("dataframe() needs pandas: pip install 'gankit[analysis]'") from None
    return pd.DataFrame(rows)


def to_pil(image: torch.Tensor) -> Image.Image:
    """One image [C, H, W] in [-1, 1] as a PIL image: grey (L), RGB or RGBA."""
    array = float_to_uint8(image.float()).permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def load(
    path: str | Path, which: str = "latest", device="cpu", G: type | None = None
) -> TrainedGenerator:
    """A run directory (checkpoint ``which``: latest, best or a path), a checkpoint ``.pt`` or a
    ``.safetensors`` export; the EMA generator when the run kept one. ``G``: the class of a
    generator of your own that the run was trained with (``gankit.train(G=...)``)."""
    if G is not None:
        from gankit.plugins import players

        players(G, None)
    path = Path(path).expanduser()
    if path.suffix == ".safetensors":
        return read_safetensors(path).to(device)
    if (
        path.is_dir()
        and not (path / "checkpoints").is_dir()
        and (path / "model.safetensors").is_file()
    ):
        return read_safetensors(path / "model.safetensors").to(device)  # a hub folder
    if path.is_dir():
        run = RunDir.existing(path)
        state, cfg = load_checkpoint(run, which)
    elif path.suffix == ".pt" and path.is_file():
        if is_torchscript(path):
            raise GankitError(
                f"{path} is a TorchScript export; load it with torch.jit.load, or gankit.load the "
                f"run directory or a .safetensors export"
            )
        run, state = None, checkpoint.load(path)
        cfg = checkpoint_config(state.config, path)
    else:
        raise GankitError(
            f"cannot load {path}: give a run directory, a checkpoint .pt or a .safetensors export"
        )
    G = in_data_units(build_generator(state, cfg), cfg).to(device)
    return TrainedGenerator(G, latent_of(state, cfg), tuple(state.data_shape), cfg.to_dict(),
                            state.step, run)  # fmt: skip


def is_torchscript(path: Path) -> bool:
    """TorchScript archives are zips holding the model's code (``*/code/...``)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return any("/code/" in name for name in z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def checkpoint_config(config: dict, path: Path):
    from gankit.config import Config, from_dict

    try:
        return from_dict(Config, config, "")
    except GankitError as exc:
        raise GankitError(f"{path} is not a gankit checkpoint ({exc})") from None


def safetensors_bytes(G: TrainedGenerator) -> bytes:
    """G's weights and, in the metadata, what rebuilds it; serialised in memory (see
    write_bytes_atomic)."""
    from safetensors.torch import save

    # cloned: tensors that share memory (tied weights) are each written whole
    weights = {k: v.detach().cpu().clone().contiguous() for k, v in G.net.state_dict().items()}
    return save(weights, metadata={"gankit": json.dumps(G.metadata())})


def read_safetensors(path: Path) -> TrainedGenerator:
    """A generator from a gankit safetensors export (weights and JSON only, no pickle)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_model

    try:
        with safe_open(str(path), "pt") as f:
            meta = json.loads((f.metadata() or {})["gankit"])
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise GankitError(f"{path} is not a gankit safetensors export ({why(exc)})") from None
    if isinstance(meta, dict) and meta.get("format") == "gankit-translation-1":
        raise GankitError(
            f"{path} is a translation model, with no generator that samples from noise; use "
            f"gankit translate {path} --in PATH --to DOMAIN"
        )
    check_metadata(meta, path)
    latent, spec = Latent.from_dict(meta["latent"]), meta["generator"]
    args = {k: v for k, v in spec.items() if k != "name"}
    net = make_generator(spec["name"], args, tuple(meta["data_shape"]), latent)
    try:
        load_model(net, str(path))
    except RuntimeError as exc:
        raise GankitError(
            f"{path}: weights do not fit generator '{spec['name']}' ({exc})"
        ) from None
    config = {"model": {"generator": spec}, "description": meta.get("description", "")}
    return TrainedGenerator(net, latent, tuple(meta["data_shape"]), config, meta.get("step"))


def _count(value, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


#: what a gankit safetensors export's metadata must hold: field -> (check, what it must be)
METADATA = {
    "generator": (lambda v: isinstance(v, dict) and isinstance(v.get("name"), str),
                  "an object with a string 'name'"),
    "latent": (lambda v: isinstance(v, dict) and _count(v.get("z_dim"), 1)
               and set(v) <= {"z_dim", "num_classes", "categorical", "continuous"}
               and _count(v.get("num_classes", 0), 0) and _count(v.get("continuous", 0), 0)
               and isinstance(v.get("categorical", []), list)
               and all(_count(k, 2) for k in v.get("categorical", [])),
               "an object with z_dim >= 1 and optional num_classes, categorical (a list of "
               "counts >= 2), continuous"),
    "data_shape": (lambda v: isinstance(v, list) and len(v) in (1, 3)
                   and all(_count(d, 1) for d in v), "a list of 1 or 3 positive sizes"),
}  # fmt: skip


def check_metadata(meta, path: Path) -> None:
    """The export's JSON checked field by field before anything is built from it."""
    if not isinstance(meta, dict):
        raise GankitError(f"{path}: its gankit metadata is {type(meta).__name__}, not an object")
    for field, (ok, what) in METADATA.items():
        if field not in meta:
            raise GankitError(f"{path}: its gankit metadata has no '{field}' ({what})")
        if not ok(meta[field]):
            raise GankitError(
                f"{path}: metadata field '{field}' must be {what}, got {meta[field]!r:.80}"
            )
