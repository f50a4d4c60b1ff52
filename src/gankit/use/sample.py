"""Drawing samples from a run's generator: reproducible draws by class or code, to files."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from gankit.config import Config
from gankit.data import DATASETS
from gankit.errors import GankitError, WriteError, why
from gankit.models.latent import Draw, Latent, run_generator
from gankit.run.artifacts import save_samples
from gankit.run.load import build_generator, in_data_units, latent_of, load_checkpoint
from gankit.run.rundir import RunDir, atomic


class Sampler:
    """Reproducible samples (CPU floats in data space) from ``generate(draw)``, a function of G's
    inputs: by default every class in turn (conditional G); or one class; or pinned codes."""

    def __init__(self, generate, latent: Latent, device, seed: int = 0, batch: int = 512,
                 truncation: float | None = None):  # fmt: skip
        self.generate, self.latent, self.device = generate, latent, device
        self.seed, self.batch, self.truncation = seed, batch, truncation

    def __call__(self, n: int) -> torch.Tensor:
        return self.draw(n)

    @torch.no_grad()
    def draw(self, n: int, y: int | torch.Tensor | None = None, fixed: dict | None = None,
             noise: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """n samples; ``y`` one class for all, or [n] classes; ``fixed`` pins codes; ``noise``
        [n, z_dim] replaces the drawn noise (codes are still drawn or pinned)."""
        check_draw(n, y, self.latent, self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        labels = torch.full((n,), y, dtype=torch.int64) if isinstance(y, int) else y
        draw = self.latent.sample(n, "cpu", generator=gen, y=labels, fixed=fixed,
                                  truncation=self.truncation)  # fmt: skip
        if noise is not None:
            draw = draw._replace(z=self.latent.join(check_noise(noise, self.latent), *draw[2:]))
        return self.generate_all(draw.to(self.device))

    def generate_all(self, draw: Draw) -> torch.Tensor:
        return torch.cat([self.generate(chunk).cpu() for chunk in draw.split(self.batch)])


def check_draw(n, y, latent: Latent, seed) -> None:
    """What every sampling entry point (CLI, API, metrics) may ask for, one line otherwise."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise GankitError(f"the number of samples must be an integer >= 1, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not -(2**63) <= seed < 2**64:
        raise GankitError(f"seed must be an integer that fits in 64 bits, got {seed!r}")
    if y is None:
        return
    if not latent.num_classes:
        raise GankitError(
            f"a class (y={y if isinstance(y, int) else '...'}) needs a class-conditional "
            f"generator; this one reads no labels (train with data.labels=true)"
        )
    labels = torch.as_tensor(y)
    if labels.is_floating_point() or labels.dim() > 1 or (labels.dim() == 1 and len(labels) != n):
        raise GankitError(f"y must be one class or [n] = [{n}] integer classes")
    if (
        len(labels.view(-1))
        and not 0 <= int(labels.min()) <= int(labels.max()) < latent.num_classes
    ):
        raise GankitError(
            f"class {int(labels.max()) if int(labels.max()) >= latent.num_classes else int(labels.min())} "
            f"is out of range: this generator has classes 0..{latent.num_classes - 1}"
        )


def check_noise(noise, latent: Latent) -> torch.Tensor:
    """Explicit latents: float [N, z_dim] (a tensor or an array); a one-line error otherwise."""
    z = torch.as_tensor(noise)
    if z.dim() != 2 or z.shape[1] != latent.z_dim or not z.is_floating_point():
        raise GankitError(
            f"--z must hold float latents of shape [N, {latent.z_dim}] (this generator's z_dim), "
            f"got {'x'.join(map(str, z.shape)) or 'a scalar'} of {str(z.dtype).replace('torch.', '')}"
        )
    if not torch.isfinite(z).all():
        raise GankitError("--z holds NaN or infinite values; every latent must be finite")
    return z.float()


def generator_sampler(G: torch.nn.Module, latent: Latent, seed: int = 0,
                      truncation: float | None = None) -> Sampler:  # fmt: skip
    device = next(G.parameters()).device
    return Sampler(lambda draw: run_generator(G, draw), latent, device, seed, truncation=truncation)


#: one sample file stays well inside memory (float32 samples are built in RAM before saving)
MAX_SAMPLE_BYTES = 4 * 2**30


@dataclass
class Choice:
    """What ``gankit sample`` draws: one class (``--class``), pinned codes (``--code cat0=K``)
    or InfoGAN's traversal figure (``--traverse c1``)."""

    klass: int | None = None
    codes: dict[str, float] = field(default_factory=dict)
    traverse: str | None = None
    truncation: float | None = None  # BigGAN's truncation trick: |z_i| <= truncation
    noise: np.ndarray | None = None  # --z: explicit latents [N, z_dim]
    interpolate: int | None = None  # --interpolate K: K slerp walks

    def check(self, latent: Latent) -> None:
        if self.noise is not None:
            check_noise(self.noise, latent)
        if self.interpolate is not None and not 1 <= self.interpolate <= 256:
            raise GankitError(f"--interpolate takes 1..256 walks, got {self.interpolate}")
        if self.interpolate is not None and (self.noise is not None or self.traverse):
            raise GankitError("--interpolate draws its own latents; drop --z / --traverse")
        if self.truncation is not None and not 0 < self.truncation < 100:
            raise GankitError(
                f"--truncation must be a positive threshold on |z_i| (e.g. 0.5), got {self.truncation}"
            )
        if self.klass is not None:
            if not latent.num_classes:
                raise GankitError(
                    "--class needs a class-conditional run, but this run's generator reads no "
                    "labels (train with data.labels=true)"
                )
            if not 0 <= self.klass < latent.num_classes:
                raise GankitError(
                    f"--class {self.klass} is out of range: this run has classes "
                    f"0..{latent.num_classes - 1}"
                )
        for name in [*self.codes, *([self.traverse] if self.traverse else [])]:
            latent.code(name)
        if self.traverse and (latent.code(self.traverse)[0] != "c" or not latent.categorical):
            raise GankitError(
                f"--traverse takes a continuous code (c0, c1, ...) of an InfoGAN run with a "
                f"categorical code, not '{self.traverse}'"
            )


#: the traversal figure's columns: the continuous code from -2 to 2, as in the InfoGAN paper
TRAVERSE_STEPS = 10


def traversal(latent: Latent, name: str, seed: int, device) -> Draw:
    """Rows: the values of cat0; columns: code ``name`` from -2 to 2; the rest fixed (one z)."""
    rows, index = latent.categorical[0], latent.code(name)[1]
    one = latent.sample(1, "cpu", generator=torch.Generator().manual_seed(seed))
    n = rows * TRAVERSE_STEPS
    cat = one.cat.repeat(n, 1)
    cat[:, 0] = torch.arange(rows).repeat_interleave(TRAVERSE_STEPS)
    cont = torch.zeros(n, latent.continuous)
    cont[:, index] = torch.linspace(-2, 2, TRAVERSE_STEPS).repeat(rows)
    z = latent.join(one.z[:, : latent.z_dim].repeat(n, 1), cat, cont)
    return Draw(z, None, cat, cont).to(device)


def choose(sampler: Sampler, n: int, choice: Choice, grid: bool) -> tuple[torch.Tensor, int | None]:
    """The samples and, for a PNG grid, how many go to a row."""
    latent = sampler.latent
    if choice.traverse:
        draw = traversal(latent, choice.traverse, sampler.seed, sampler.device)
        return sampler.generate_all(draw), TRAVERSE_STEPS
    if choice.noise is not None:
        noise = torch.from_numpy(choice.noise)
        return sampler.draw(len(noise), y=choice.klass, fixed=choice.codes, noise=noise), None
    if choice.klass is not None or not latent.num_classes or not grid:
        return sampler.draw(n, y=choice.klass, fixed=choice.codes), None
    rows = min(latent.num_classes, 10)  # one row per class
    columns = math.ceil(n / rows)
    return sampler.draw(n, y=torch.arange(n) // columns, fixed=choice.codes), columns


def sample_to_file(run_dir: str, n: int, out: str, which: str = "latest", seed: int = 0,
                   choice: Choice | None = None) -> Path:  # fmt: skip
    """FILE.png: a grid (or a scatter for toy data); FILE.npy: float32 samples in data space
    ([N, C, H, W] in [-1, 1] for images, [N, D] for points); with ``choice.interpolate``,
    FILE.gif or FILE.png: the latent walks."""
    choice = choice or Choice()
    if n < 1:
        raise GankitError(f"--n must be >= 1, got {n}")
    walking = choice.interpolate is not None
    out_path = checked_out(out, (".gif", ".png") if walking else (".png", ".npy"))
    state, cfg = load_checkpoint(RunDir.existing(run_dir), which)
    G, latent = in_data_units(build_generator(state, cfg), cfg), latent_of(state, cfg)
    choice.check(latent)
    n = len(choice.noise) if choice.noise is not None else n
    size = n * math.prod(state.data_shape) * 4
    if size > MAX_SAMPLE_BYTES or (out_path.suffix == ".png" and n > 10_000):
        raise GankitError(
            f"--n {n} is too many for one file ({size / 2**30:.1f} GiB of samples; a PNG grid "
            f"holds at most 10,000); draw several files with different --seed"
        )
    make_parent(out_path)
    if walking:
        from gankit.use.walk import STEPS, save_walk, walk_draws

        draw = walk_draws(latent, choice.interpolate, STEPS, seed, choice.klass, choice.truncation)
        sampler = generator_sampler(G, latent, seed)
        return save_walk(sampler.generate_all(draw), choice.interpolate, out_path)
    sampler = generator_sampler(G, latent, seed, choice.truncation)
    samples, nrow = choose(sampler, n, choice, out_path.suffix == ".png")
    if out_path.suffix == ".npy":
        with atomic(out_path) as tmp, open(tmp, "wb") as f:
            np.save(f, samples.numpy().astype(np.float32))
    else:
        real = None if samples.dim() == 4 else real_in_data_units(cfg, 2000)
        save_samples(samples, out_path, real, title=f"{len(samples)} samples", nrow=nrow)
    return out_path


def real_in_data_units(cfg: Config, n: int) -> torch.Tensor:
    data = DATASETS.build(cfg.data.name, **cfg.data.args)
    return data.real_sample(n) * data.scale


def checked_out(out: str, suffixes: tuple[str, ...]) -> Path:
    """--out checked before anything is computed: a file name of a kind we write."""
    out_path = Path(out).expanduser()
    if out_path.suffix not in suffixes:
        kinds = {
            ".png": ".png (a picture)",
            ".npy": ".npy (raw samples)",
            ".gif": ".gif (animated)",
        }
        raise GankitError(
            f"--out must end in {' or '.join(kinds[s] for s in suffixes)}, got {out_path.name}"
        )
    if out_path.is_dir():
        raise GankitError(
            f"--out {out_path} is a directory; name a file, e.g. {out_path / ('samples' + out_path.suffix)}"
        )
    blocking = next((p for p in out_path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise GankitError(f"--out {out_path} cannot be written: {blocking} is a file, not a folder")
    return out_path


def make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"could not create {path.parent} ({why(exc)})") from None


def read_noise(path: str) -> np.ndarray:
    """--z FILE.npy: float32 latents [N, z_dim]; a one-line error for anything else."""
    from gankit.data.npy import header_checked

    z = header_checked(Path(path).expanduser(), "--z")
    if z.dtype.kind != "f" or z.ndim != 2 or len(z) == 0:
        raise GankitError(
            f"--z {path} must be a float array [N, z_dim] with N >= 1, got {z.dtype} of shape "
            f"{list(z.shape)}"
        )
    return np.array(z, dtype=np.float32)
