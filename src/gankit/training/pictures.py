"""What a run draws while it trains: fixed-noise frames and the best samples."""

from __future__ import annotations

import torch

from gankit.data import DataSource
from gankit.run.artifacts import save_samples
from gankit.run.rundir import RunDir
from gankit.training.trainer import Trainer


def fixed_noise(shape: tuple[int, ...], z_dim: int, seed: int, device) -> torch.Tensor:
    """The noise every progress frame is drawn from: 64 images (8x8 grid) or 1,000 points."""
    n = 64 if len(shape) == 3 else 1000
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed + 1)).to(device)


class Pictures:
    """Frames from the same noise at every sample step (the GIF), and best.png/best.json."""

    def __init__(self, run: RunDir, data: DataSource, z_dim: int, seed: int, device):
        self.run, self.seed, self.is_image, self.z_dim = run, seed, data.is_image, z_dim
        self.fixed_z = fixed_noise(data.shape, z_dim, seed, device)
        self.real = None if data.is_image else data.real_sample(2000, seed=seed)

    def frame(self, trainer: Trainer) -> torch.Tensor:
        step = trainer.step
        samples = trainer.generate(self.fixed_z)
        path = self.run.frame_path(step)
        save_samples(samples, path, self.real, f"step {step}", f"fixed noise, step {step}")
        return samples

    def best(self, trainer: Trainer, why: str, best: dict | None) -> None:
        """best.png and best.json from the current sampler (EMA generator if there is one)."""
        n = 64 if self.is_image else 2500
        z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(self.seed + 2))
        who = "EMA generator" if trainer.ema is not None else "generator"
        source = f"{who} at step {trainer.step}: {why}"
        title = f"best: {who}, step {trainer.step}"
        save_samples(
            trainer.generate(z.to(trainer.device)), self.run.best, self.real, title, source
        )
        info = {"source": source, "step": trainer.step, **(best or {})}
        self.run.write_json(self.run.best_info, info)
