"""Translating images with a trained translation run (``gankit translate``).

Input and output are the same kind: a folder of images (written as PNGs under the same
relative names), one image file, or a ``.npy`` float32 array [N, C, H, W] in [-1, 1]. Images
are fitted to the run's resolution and channels as training data were (short side resized,
centre crop).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gankit.build.family import family_of
from gankit.data.base import float_to_uint8, uint8_to_float
from gankit.data.folder import EXTENSIONS
from gankit.data.npy import header_checked
from gankit.data.transforms import fit_pil
from gankit.errors import GankitError, WriteError, why
from gankit.models.translation import Translation
from gankit.registry import did_you_mean
from gankit.run.load import load_checkpoint
from gankit.run.rundir import RunDir, atomic


class Translator:
    """A translation model with its trained weights (EMA copies where the run kept them)."""

    def __init__(self, model: Translation, device="cpu", batch: int = 64):
        self.model, self.device, self.batch = model, torch.device(device), batch
        self.nets = {name: net.to(self.device).eval() for name, net in model.networks.items()}

    @classmethod
    def load(cls, run_dir: str, which: str = "latest", device="cpu") -> Translator:
        """A run directory, or a translation export (a .safetensors file or a hub folder)."""
        path = Path(run_dir).expanduser()
        if path.suffix == ".safetensors" or (path / "model.safetensors").is_file():
            from gankit.use.translation_export import read

            return cls(read(path), device)
        state, cfg = load_checkpoint(RunDir.existing(run_dir), which)
        return cls.from_state(state, cfg, device, run_dir)

    @classmethod
    def from_state(cls, state: dict, cfg, device="cpu", run_dir: str = "the run") -> Translator:
        """From a checkpoint and the config it was saved with."""
        model = family_of(cfg.model.kind.name).translation_model(state, cfg, run_dir)
        return cls(model, device)

    @property
    def domains(self) -> list[str]:
        return self.model.domains

    def domain(self, name: str, flag: str) -> int:
        if name not in self.domains:
            raise GankitError(
                f"{flag} {name}: the run's domains are {', '.join(self.domains)}"
                f"{did_you_mean(name, self.domains)}"
            )
        return self.domains.index(name)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, dst: int, src: int | None = None,
                 ref: torch.Tensor | None = None, seed: int = 0) -> torch.Tensor:  # fmt: skip
        """Images x [N, C, S, S] in [-1, 1] of domain ``src`` (default: the other of two) as
        domain ``dst``; a multimodal model takes its style from ``ref`` (cycled over the
        inputs) or from noise drawn with ``seed``."""
        src = (1 - dst if len(self.domains) == 2 else dst) if src is None else src
        g = torch.Generator().manual_seed(seed)
        z = self.model.style_noise(len(x), g)
        refs = ref[torch.arange(len(x)) % len(ref)] if ref is not None else None
        out = []
        for i in range(0, len(x), self.batch):
            rows = slice(i, i + self.batch)
            xs = x[rows].to(self.device)
            s, d = (torch.full((len(xs),), v, device=self.device) for v in (src, dst))
            r = refs[rows].to(self.device) if refs is not None else None
            out.append(
                self.model.translate(self.nets, xs, s, d, z=z[rows].to(self.device), ref=r).cpu()
            )
        return torch.cat(out)


# ---- files in and out
def read_images(
    path: Path, shape: tuple[int, ...], flag: str = "--in"
) -> tuple[torch.Tensor, list[str]]:
    """(images [N, C, S, S] in [-1, 1], their names) from a folder, an image or a .npy array."""
    if not path.exists():
        raise GankitError(f"{flag} {path} does not exist; pass a folder, an image or a .npy file")
    if path.suffix == ".npy":
        return read_array(path, shape, flag), []
    # regular files only: a FIFO or device among the inputs would block the read forever
    files = (
        sorted(p for p in path.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
        if path.is_dir()
        else [path]
    )
    if not files:
        raise GankitError(f"{flag} {path} holds no images ({', '.join(e[1:] for e in EXTENSIONS)})")
    images = []
    for f in files:
        try:
            with Image.open(f) as img:
                images.append(fit_pil(img, shape[1], shape[0]))
        except Image.DecompressionBombError:
            raise GankitError(
                f"{flag}: {f} claims more pixels than PIL's safety limit; shrink it"
            ) from None
        except OSError:
            raise GankitError(f"{flag}: {f} is not a readable image; remove it or fix it") from None
    names = [str(f.relative_to(path)) if path.is_dir() else f.name for f in files]
    return uint8_to_float(torch.stack(images)), names


def read_array(path: Path, shape: tuple[int, ...], flag: str = "--in") -> torch.Tensor:
    array = header_checked(path, flag)  # memory-mapped: the header is checked before any read
    if array.ndim != 4 or tuple(array.shape[1:]) != tuple(shape) or array.dtype.kind != "f":
        raise GankitError(
            f"{flag} {path} holds {array.dtype} {list(array.shape)}; this run translates float "
            f"arrays [N, {', '.join(map(str, shape))}] in [-1, 1]"
        )
    if len(array) == 0:
        raise GankitError(f"{flag} {path} holds no images (its first dimension is 0)")
    array = np.array(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise GankitError(f"{flag} {path} holds NaN or infinite values; every pixel must be finite")
    return torch.from_numpy(array)


def targets(out: Path, names: list[str], source: Path) -> list[Path]:
    """Where each translation goes: a folder of PNGs under the input names, or one file."""
    return [out / Path(n).with_suffix(".png") for n in names] if source.is_dir() else [out]


def check_paths(inp: Path, out: Path, names: list[str], overwrite: bool) -> None:
    """Outputs never overwrite inputs, never collide, and replace files only when asked."""
    if inp.is_dir() and (out.resolve() == inp.resolve() or inp.resolve() in out.resolve().parents):
        raise GankitError(
            f"--out {out} is inside --in {inp}: the inputs would be overwritten or translated "
            f"again next time; write to a folder outside {inp}"
        )
    if not inp.is_dir() and out.resolve() == inp.resolve():
        raise GankitError(f"--out {out} is the input itself; name another file")
    if inp.is_file() and inp.suffix != ".npy" and out.suffix.lower() != ".png":
        raise GankitError(
            f"--out {out}: translations are written as PNG; name it {out.with_suffix('.png')}"
        )
    paths = targets(out, names, inp)
    seen: dict[Path, str] = {}
    for name, path in zip(names, paths):
        if path in seen:
            raise GankitError(
                f"--in holds {seen[path]} and {name}, which would both be written to {path}; "
                f"rename one of them"
            )
        seen[path] = name
    existing = [p for p in (paths if names else [out]) if p.exists()]
    if existing and not overwrite:
        raise GankitError(
            f"--out would replace {len(existing)} existing file(s) such as {existing[0]}; pass "
            f"--overwrite to replace them or choose another --out"
        )


def write_images(images: torch.Tensor, out: Path, names: list[str], source: Path) -> None:
    """The same kind as the input: .npy, one image, or a folder of PNGs under the input names."""
    try:
        if out.suffix == ".npy":
            out.parent.mkdir(parents=True, exist_ok=True)
            with atomic(out) as tmp, open(tmp, "wb") as f:
                np.save(f, images.numpy().astype(np.float32))
            return
        pixels = float_to_uint8(images).permute(0, 2, 3, 1).numpy()
        for array, target in zip(pixels, targets(out, names, source)):
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic(target) as tmp:
                Image.fromarray(array.squeeze(-1) if array.shape[-1] == 1 else array).save(
                    tmp, format="PNG"
                )
    except OSError as exc:
        raise WriteError(f"could not write {out} ({why(exc)})") from None


def translate_files(run_dir: str, inp: str, to: str, out: str, ref: str | None = None,
                    seed: int = 0, which: str = "latest", src: str | None = None,
                    overwrite: bool = False) -> Path:  # fmt: skip
    """``gankit translate``: read, translate, write; returns the output path."""
    inp_path, out_path = Path(inp).expanduser(), Path(out).expanduser()
    if (inp_path.suffix == ".npy") != (out_path.suffix == ".npy"):
        raise GankitError("--in and --out must be the same kind: both .npy, or both images/folders")
    translator = Translator.load(run_dir, which)
    if ref and not translator.model.multimodal:
        kind = getattr(translator.model, "registered_name", type(translator.model).__name__)
        raise GankitError(
            f"--ref copies a reference's style, but {kind} translates without styles; drop --ref"
        )
    dst = translator.domain(to, "--to")
    source = translator.domain(src, "--from") if src else None
    if source == dst and not translator.model.translates_within_domain:
        raise GankitError(
            f"--from {src} and --to {to} are the same domain, which this model leaves unchanged; "
            f"translate to another of {', '.join(translator.domains)}"
        )
    shape = translator.model.shape
    x, names = read_images(inp_path, shape)
    check_paths(inp_path, out_path, names, overwrite)
    refs = read_images(Path(ref).expanduser(), shape, "--ref")[0] if ref else None
    write_images(translator(x, dst, source, refs, seed), out_path, names, inp_path)
    return out_path
