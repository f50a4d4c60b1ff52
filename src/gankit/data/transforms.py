"""Turning decoded pictures into the training format: uint8 [C, S, S], short side resized to S
then centre-cropped (the DCGAN-tutorial pipeline of the seeds)."""

from __future__ import annotations

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image

# ITU-R 601-2 luma, the weights PIL uses for RGB -> L
LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def to_mode(img: Image.Image, channels: int) -> Image.Image:
    """Any PIL image (palette, alpha, CMYK, 16-bit, float) -> 8-bit 'L' or 'RGB'.

    Transparency is composited on white, because dropping alpha exposes whatever colour the
    transparent pixels happen to hold. High-bit-depth images are rescaled, not clipped.
    """
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return img.convert("L" if channels == 1 else "RGB")


def fit_pil(img: Image.Image, resolution: int, channels: int) -> torch.Tensor:
    """PIL image -> uint8 tensor [channels, resolution, resolution]."""
    img = to_mode(img, channels)
    img = TF.resize(img, resolution, interpolation=TF.InterpolationMode.BICUBIC, antialias=True)
    return TF.pil_to_tensor(TF.center_crop(img, [resolution, resolution]))


def fit_tensor(images: torch.Tensor, resolution: int, channels: int) -> torch.Tensor:
    """uint8 [N, C, H, W] (C in 1, 3) -> uint8 [N, channels, resolution, resolution]."""
    if images.shape[1] != channels:
        images = (
            images.expand(-1, 3, -1, -1)
            if channels == 3
            else (images.float() * LUMA).sum(1, keepdim=True).round().to(torch.uint8)
        )
    if min(images.shape[-2:]) != resolution:
        images = (
            TF.resize(
                images.float(),
                resolution,
                interpolation=TF.InterpolationMode.BILINEAR,
                antialias=True,
            )
            .round()
            .clamp(0, 255)
            .to(torch.uint8)
        )
    return TF.center_crop(images, [resolution, resolution]).contiguous()
