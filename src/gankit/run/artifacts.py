"""Pictures a run leaves behind: sample grids, scatter plots, the progress GIF, loss curves."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw, PngImagePlugin  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402

from gankit.run.rundir import atomic  # noqa: E402


def save_samples(
    samples: torch.Tensor,
    path: Path,
    real: torch.Tensor | None = None,
    title: str = "",
    caption: str = "",
    nrow: int | None = None,
) -> None:
    """Images [N, C, H, W] in [-1, 1] -> a grid PNG (square unless ``nrow`` images to a row);
    points [N, D] -> a plot over ``real``."""
    if samples.dim() == 4:
        save_grid(samples, path, caption, nrow)
    else:
        save_points(samples, real, path, title)


def save_grid(images: torch.Tensor, path: Path, caption: str = "", nrow: int | None = None) -> None:
    nrow = nrow or max(1, int(math.ceil(math.sqrt(len(images)))))
    grid = make_grid(
        images.detach().float().cpu(), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1)
    )
    array = grid.mul(255).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
    info = PngImagePlugin.PngInfo()
    if caption:
        info.add_text("Description", caption)  # says e.g. which generator/step drew it
    with atomic(path) as tmp:
        Image.fromarray(array).save(tmp, pnginfo=info)


def save_points(
    points: torch.Tensor, real: torch.Tensor | None, path: Path, title: str = ""
) -> None:
    """2-D: generated points over a scatter of real ones; 1-D: histograms of both."""
    points = points.detach().float().cpu().numpy()
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    if points.shape[1] >= 2:
        if real is not None:
            ax.scatter(
                *real[:, :2].numpy().T, s=4, c="#bbbbbb", alpha=0.5, label="real", linewidths=0
            )
        ax.scatter(*points[:, :2].T, s=4, c="#d62728", alpha=0.6, label="generated", linewidths=0)
        ax.set_aspect("equal")
    else:
        bins = np.linspace(*_limits(real, points, 0), 80)
        if real is not None:
            ax.hist(real[:, 0].numpy(), bins=bins, density=True, color="#bbbbbb", label="real")
        ax.hist(
            points[:, 0],
            bins=bins,
            density=True,
            histtype="step",
            color="#d62728",
            lw=2,
            label="generated",
        )
    if real is not None and points.shape[1] >= 2:
        ax.set_xlim(*_limits(real, points, 0))
        ax.set_ylim(*_limits(real, points, 1))
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    with atomic(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)


def _limits(real, points, axis: int) -> tuple[float, float]:
    """Axis range fixed by the real data (so GIF frames line up), padded by a quarter."""
    ref = real[:, axis].numpy() if real is not None else points[:, axis]
    lo, hi = float(ref.min()), float(ref.max())
    pad = 0.25 * (hi - lo) + 0.1
    return lo - pad, hi + pad


def make_gif(frames: list[Path], out: Path, steps: list[int], seconds: float = 0.25) -> None:
    """Animate the frames, each captioned with its training step; the last frame lingers. The
    GIF starts at the first frame with content: an untrained G's output is flat grey (step 0),
    and a viewer that shows only a GIF's first frame (the report's static view) would show
    nothing."""
    images = []
    for i, (frame, step) in enumerate(zip(frames, steps)):
        try:
            with Image.open(frame) as img:
                if not images and i < len(frames) - 1 and _is_flat(img):
                    continue  # leading flat frames; the last one is always kept
                images.append(_captioned(img.convert("RGB"), f"step {step}"))
        except OSError:  # e.g. a frame from a run killed mid-write by an older version
            warnings.warn(f"skipping unreadable frame {frame}")
    if not images:
        return
    durations = [int(seconds * 1000)] * (len(images) - 1) + [2000]
    with atomic(out) as tmp:
        images[0].save(
            tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0
        )


#: a frame whose grey levels spread less than this (of 255) shows nothing
FLAT_STDDEV = 2.0


def _is_flat(image: Image.Image) -> bool:
    """No content inside the cells: the grid's padding lines (rows and columns of one value
    across the whole frame) are left out, or a grid of flat grey cells would count as busy."""
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    inner = grey[grey.std(axis=1) > 0][:, grey.std(axis=0) > 0]
    return inner.size == 0 or float(inner.std()) < FLAT_STDDEV


def _captioned(image: Image.Image, text: str) -> Image.Image:
    canvas = Image.new("RGB", (image.width, image.height + 16), "white")
    canvas.paste(image, (0, 16))
    ImageDraw.Draw(canvas).text((4, 2), text, fill="black")
    return canvas


#: logged terms drawn in the second panel of losses.png, with their labels
TERMS = {
    "wdist": "critic W1 estimate",
    "gp": "gradient penalty",
    "g_adv": "G adversarial",
    "cycle": "cycle",
    "identity": "identity",
    "style": "style reconstruction",
    "diversity": "diversity (maximised)",
    "r1": "R1",
    "ada_p": "ADA augmentation probability p",
}


def plot_losses(rows: list[dict], out: Path) -> None:
    """D and G loss curves in one image; a second panel for the W1 estimate, penalties and the
    terms of a composite objective (cycle, identity, style, ...) when they are logged."""
    if not rows:
        return
    steps = [r["step"] for r in rows]
    extra = [k for k in TERMS if k in rows[-1]]
    fig, axes = plt.subplots(
        1, 2 if extra else 1, figsize=(11 if extra else 6, 4), dpi=100, squeeze=False
    )
    ax = axes[0, 0]
    ax.plot(steps, [r["loss_d"] for r in rows], label="D loss", color="#1f77b4")
    ax.plot(steps, [r["loss_g"] for r in rows], label="G loss", color="#ff7f0e")
    ax.set(xlabel="generator step", ylabel="loss", title="Discriminator and generator losses")
    ax.legend()
    ax.grid(alpha=0.3)
    if extra:
        ax2 = axes[0, 1]
        for key in extra:
            ax2.plot(steps, [_num(r.get(key)) for r in rows], label=TERMS[key])
        ax2.set(xlabel="generator step", title="Terms of the objectives (unweighted)")
        ax2.legend()
        ax2.grid(alpha=0.3)
    fig.tight_layout()
    with atomic(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)


def _num(v) -> float:
    """A plottable value: numbers as they are, anything else (missing, null, text) as a gap."""
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan


def plot_metrics(rows: list[dict], out: Path) -> None:
    """One panel per evaluation metric over training (rows: {"step", "eval": {name: value}})."""
    keys = [k for k in rows[-1]["eval"] if not k.endswith("_std")]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.5), dpi=100, squeeze=False)
    for ax, key in zip(axes[0], keys):
        ax.plot([r["step"] for r in rows], [_num(r["eval"].get(key)) for r in rows], marker="o")
        ax.set(xlabel="generator step", title=key)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
