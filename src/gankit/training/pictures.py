"""What a run draws while it trains: fixed-noise frames and the best samples."""

from __future__ import annotations

import torch

from gankit.data import DataSource
from gankit.data.base import uint8_to_float
from gankit.metrics.translation import pick
from gankit.models import Draw, Latent, Translates
from gankit.run.artifacts import save_samples
from gankit.run.rundir import RunDir
from gankit.training.trainer import Trainer

#: a picture grid has 8 columns and 8 rows, or one row per class (or categorical value) up to
#: MAX_ROWS
COLUMNS, MAX_ROWS = 8, 16


def grid_rows(latent: Latent) -> int:
    """Rows of 8 images: one per class of a conditional G (or value of an InfoGAN's first
    categorical code) so that every class appears, at least 8 and at most MAX_ROWS."""
    kinds = latent.num_classes or (latent.categorical[0] if latent.categorical else 0)
    return min(max(kinds, 8), MAX_ROWS)


def shown_classes(latent: Latent) -> str:
    """A caption's note when a grid cannot show every class."""
    kinds = latent.num_classes or (latent.categorical[0] if latent.categorical else 0)
    what = "classes" if latent.num_classes else "values of cat0"
    return f"; rows: {what} 0-{MAX_ROWS - 1} of {kinds}" if kinds > MAX_ROWS else ""


def grid_draw(latent: Latent, n: int, seed: int, device, columns: int = COLUMNS) -> Draw:
    """n reproducible draws; for images laid out ``columns`` to a row, row r shows class r of a
    conditional G, or value r of the first categorical code of an InfoGAN."""
    gen = torch.Generator().manual_seed(seed)
    rows = torch.arange(n) // columns
    y = rows % latent.num_classes if latent.num_classes else None
    fixed = {"cat0": rows % latent.categorical[0]} if latent.categorical else None
    return latent.sample(n, device, generator=gen, y=y, fixed=fixed)


def fixed_noise(shape: tuple[int, ...], latent: Latent, seed: int, device) -> Draw:
    """What every progress frame is drawn from: a grid of 8 columns (8x8 unless there are more
    classes) or 1,000 points."""
    n = COLUMNS * grid_rows(latent) if len(shape) == 3 else 1000
    return grid_draw(latent, n, seed + 1, device)


class Pictures:
    """Frames from the same noise at every sample step (the GIF), and best.png/best.json."""

    def __init__(self, run: RunDir, data: DataSource, latent: Latent, seed: int, device):
        self.run, self.seed, self.is_image, self.latent = run, seed, data.is_image, latent
        self.fixed = fixed_noise(data.shape, latent, seed, device)
        self.scale = data.scale  # pictures show the data's own units
        self.real = None if data.is_image else data.real_sample(2000, seed=seed) * self.scale

    @property
    def frame_noise(self) -> torch.Tensor:
        """The noise every frame is drawn from (kept in checkpoints, so a resumed run's GIF goes
        on with the same inputs): here G's input z, noise and codes (labels follow from the
        grid layout)."""
        return self.fixed.z

    @frame_noise.setter
    def frame_noise(self, z: torch.Tensor) -> None:
        if len(z) != len(self.fixed.z):  # a checkpoint from before one row per class: its grid
            self.fixed = grid_draw(self.latent, len(z), self.seed + 1, z.device)
        self.fixed = self.fixed._replace(z=z)

    def frame(self, trainer: Trainer) -> torch.Tensor:
        step = trainer.step
        samples = trainer.generate(self.fixed) * self.scale
        path = self.run.frame_path(step)
        caption = f"fixed noise, step {step}{shown_classes(self.latent)}"
        save_samples(samples, path, self.real, f"step {step}", caption, nrow=COLUMNS)
        return samples

    def best(self, trainer: Trainer, why: str, best: dict | None) -> None:
        """best.png and best.json from the current sampler (EMA generator if there is one)."""
        n = COLUMNS * grid_rows(self.latent) if self.is_image else 2500
        draw = grid_draw(self.latent, n, self.seed + 2, trainer.device)
        who = "EMA generator" if trainer.ema is not None else "generator"
        source = f"{who} at step {trainer.step}: {why}{shown_classes(self.latent)}"
        title = f"best: {who}, step {trainer.step}"
        samples = trainer.generate(draw) * self.scale
        save_samples(samples, self.run.best, self.real, title, source, nrow=COLUMNS)
        info = {"source": source, "step": trainer.step, **(best or {})}
        self.run.write_json(self.run.best_info, info)


class TranslationPictures:
    """The translation frames: for every domain, a row of 8 fixed inputs, their translation to
    the next domain (fixed noise picks the style of a multimodal model) and the translation
    back (reference-guided by the input itself), so the GIF shows cycle consistency forming."""

    columns = 8

    def __init__(self, run: RunDir, data, model, seed: int, device):
        self.run, self.model, self.device = run, model, device
        g = torch.Generator().manual_seed(seed + 1)
        k = len(data.domain_names)
        parts = [pick(data.domain(d), self.columns, g, fill=True) for d in range(k)]
        self.x = uint8_to_float(torch.cat(parts)).to(device)
        self.src = torch.arange(k, device=device).repeat_interleave(self.columns)
        self.dst = (self.src + 1) % k
        self.z = model.style_noise(len(self.x), g).to(device)

    @property
    def frame_noise(self) -> torch.Tensor:
        """The noise every frame is drawn from (see Pictures.frame_noise): here the style noise
        of the translations [K * 8, max(1, style_dim)] (K domains, 8 inputs each)."""
        return self.z

    @frame_noise.setter
    def frame_noise(self, z: torch.Tensor) -> None:
        self.z = z

    def rows(self, trainer: Trainer) -> torch.Tensor:
        """[3 K * 8, C, S, S]: input, output and reconstruction rows, domain by domain."""
        with trainer.evaluating() as nets:
            out = self.model.translate(nets, self.x, self.src, self.dst, z=self.z)
            back = self.model.translate(nets, out, self.dst, self.src, ref=self.x)
        # [3, K * 8, ...] -> per domain, its inputs, translations and reconstructions
        k = len(self.x) // self.columns
        rows = torch.stack([self.x, out, back]).unflatten(1, (k, self.columns))
        return rows.transpose(0, 1).flatten(0, 2)

    def frame(self, trainer: Trainer) -> torch.Tensor:
        images = self.rows(trainer)
        caption = f"inputs / translated / reconstructed, step {trainer.step}"
        save_samples(images, self.run.frame_path(trainer.step), caption=caption, nrow=self.columns)
        return images

    def best(self, trainer: Trainer, why: str, best: dict | None) -> None:
        who = "EMA networks" if trainer.emas else "networks"
        source = f"{who} at step {trainer.step}: {why}"
        save_samples(self.rows(trainer), self.run.best, caption=source, nrow=self.columns)
        self.run.write_json(
            self.run.best_info, {"source": source, "step": trainer.step, **(best or {})}
        )


def make_pictures(run: RunDir, data: DataSource, trainer: Trainer, seed: int):
    """The pictures a run draws: translation frames for a translation model, else samples."""
    model = trainer.model
    if isinstance(model, Translates):
        return TranslationPictures(run, data, model, seed, trainer.device)
    return Pictures(run, data, model.latent, seed, trainer.device)
