"""Latent walks: spherical-linear paths between random latents, drawn as a grid and a GIF.

slerp follows the great circle between two Gaussian draws, so every point on the path has about
the norm of a Gaussian draw; a straight line would pass through the low-norm middle of the ball,
where G has seen no inputs (White 2016, "Sampling Generative Networks").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid

from gankit.data.base import float_to_uint8
from gankit.errors import GankitError
from gankit.models.latent import Draw, Latent
from gankit.run.rundir import atomic

#: points on each walk, both ends included
STEPS = 16


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Points on the great circle from a [N, D] to b [N, D] at fractions t [T]: [N, T, D].

    Endpoints are exact (t = 0 gives a, t = 1 gives b); between two vectors of equal norm every
    point keeps that norm. Nearly parallel pairs fall back to a straight line."""
    a, b, t = a.double(), b.double(), t.double().view(1, -1, 1)
    cos = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)
    omega = cos.clamp(-1, 1).acos().view(-1, 1, 1)
    sin = omega.sin()
    parallel = sin.abs() < 1e-6
    wa = torch.where(parallel, 1 - t, ((1 - t) * omega).sin() / sin.where(~parallel, 1.0))
    wb = torch.where(parallel, t, (t * omega).sin() / sin.where(~parallel, 1.0))
    return wa * a[:, None] + wb * b[:, None]


def walk_draws(latent: Latent, walks: int, steps: int = STEPS, seed: int = 0,
               y: int | None = None, truncation: float | None = None) -> Draw:  # fmt: skip
    """G's inputs for ``walks`` walks of ``steps`` points each, walk-major ([walks * steps]).

    The noise follows a slerp between two draws; continuous codes move on a straight line;
    class labels and categorical codes are those of the walk's start (they have no in-between)."""
    if walks < 1 or steps < 2:
        raise GankitError(f"--interpolate needs >= 1 walk of >= 2 points, got {walks} x {steps}")
    gen = torch.Generator().manual_seed(seed)
    labels = torch.full((walks,), y, dtype=torch.int64) if y is not None else None
    start = latent.sample(walks, "cpu", generator=gen, y=labels, truncation=truncation)
    end = latent.sample(walks, "cpu", generator=gen, y=labels, truncation=truncation)
    t = torch.linspace(0, 1, steps)
    noise = slerp(start.z[:, : latent.z_dim], end.z[:, : latent.z_dim], t).float()
    if truncation:  # the arc bulges past the endpoints' box; G never sees a component beyond T
        noise = noise.clamp(-truncation, truncation)
    noise = noise.reshape(walks * steps, latent.z_dim)
    cat = start.cat.repeat_interleave(steps, 0) if start.cat is not None else None
    cont = None
    if start.cont is not None:
        cont = torch.lerp(start.cont[:, None], end.cont[:, None], t.view(1, -1, 1))
        cont = cont.reshape(walks * steps, -1)
    labels = start.y.repeat_interleave(steps) if start.y is not None else None
    return Draw(latent.join(noise, cat, cont), labels, cat, cont)


def image_grid(images: torch.Tensor, nrow: int | None = None) -> Image.Image:
    """Images [N, C, H, W] in [-1, 1] as one picture, ``nrow`` to a row (default: square)."""
    nrow = nrow or int(np.ceil(np.sqrt(len(images))))
    grid = make_grid(float_to_uint8(images.float()), nrow=nrow, padding=2)
    return Image.fromarray(grid.permute(1, 2, 0).numpy())


def walk_grid(images: torch.Tensor, walks: int) -> Image.Image:
    """One row per walk, its points from left to right."""
    return image_grid(images, len(images) // walks)


def walk_frames(images: torch.Tensor, walks: int) -> list[Image.Image]:
    """Frame i shows every walk at its i-th point; the walk goes there and back (it loops)."""
    steps = len(images) // walks
    per_step = images.view(walks, steps, *images.shape[1:]).transpose(0, 1)
    frames = [
        make_grid(float_to_uint8(x.float()), nrow=int(np.ceil(np.sqrt(walks))), padding=2)
        for x in per_step
    ]
    frames = frames + frames[-2:0:-1]
    return [Image.fromarray(f.permute(1, 2, 0).numpy()) for f in frames]


def check_walk_file(out: Path) -> Path:
    """A walk's file: .gif (animated) or .png (a grid), refused before anything is drawn."""
    out = Path(out).expanduser()
    if out.suffix not in (".gif", ".png"):
        raise GankitError(
            f"{out}: a walk is written as .gif (animated) or .png (a row per walk); name it "
            f"{out.with_suffix('.gif').name} or {out.with_suffix('.png').name}"
        )
    return out


def save_walk(images: torch.Tensor, walks: int, out: Path, seconds: float = 0.08) -> Path:
    """walk.png: the grid; walk.gif: the animation."""
    out = check_walk_file(out)
    if images.dim() != 4:
        raise GankitError(
            "--interpolate draws images; this run's generator makes points (a toy dataset), "
            "use gankit sample --out FILE.npy to get them"
        )
    with atomic(out) as tmp:
        if out.suffix == ".gif":
            frames = walk_frames(images, walks)
            frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                           duration=int(seconds * 1000), loop=0)  # fmt: skip
        else:
            walk_grid(images, walks).save(tmp, format="PNG")
    return out
