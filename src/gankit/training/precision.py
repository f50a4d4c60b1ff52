"""Which precision a run trains in (``train.amp``): auto picks bf16 autocast where the hardware
runs it fast, fp32 elsewhere.

bf16 autocast pays off only where the matrix units take bf16: CUDA GPUs with bf16 support, and
CPUs with AVX512-BF16 or AMX. On other CPUs (AVX2, plain AVX-512) PyTorch emulates it and a step
is slower than fp32, so auto keeps fp32 there. Only forward passes run under autocast; gradient
penalties take their norms in fp32, and optimiser state, the EMA and every metric stay fp32.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Precision:
    """The chosen autocast dtype (None: fp32), its name and why it was chosen."""

    dtype: torch.dtype | None
    reason: str

    @property
    def name(self) -> str:
        return "bf16" if self.dtype is torch.bfloat16 else "fp32"

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU has bf16 matrix instructions (AVX512-BF16 or AMX), as PyTorch reports;
    ``GANKIT_CPU_BF16=0`` or ``=1`` overrides the detection (the test suite sets 0 so that its
    bitwise comparisons hold on every CPU)."""
    forced = os.environ.get("GANKIT_CPU_BF16")
    if forced in ("0", "1"):
        return forced == "1"
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, p, lambda: False)() for p in probes)


def choose(setting: str, device: torch.device) -> Precision:
    """``train.amp`` resolved for ``device``."""
    if setting == "none":
        return Precision(None, "train.amp=none")
    if setting == "bf16":
        return Precision(torch.bfloat16, "train.amp=bf16")
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision(torch.bfloat16, "auto: this GPU computes in bf16")
        return Precision(None, "auto: this GPU has no bf16")
    if device.type == "cpu" and cpu_has_fast_bf16():
        return Precision(torch.bfloat16, "auto: this CPU has AVX512-BF16/AMX")
    return Precision(None, f"auto: this {device.type} has no fast bf16 (AVX512-BF16 or AMX)")
