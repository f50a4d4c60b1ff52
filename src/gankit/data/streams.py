"""Endless, resumable streams of training batches."""
from __future__ import annotations

import torch

from gankit.errors import GankitError


class TensorBatches:
    """Epochs of random permutations over an in-memory tensor (kept on ``device``).

    The last incomplete batch of an epoch is dropped so every batch has ``batch_size`` rows.
    ``state_dict`` captures the permutation and position, so a resumed run sees the same batches.
    """

    def __init__(self, data: torch.Tensor, batch_size: int, device, seed: int, to_float):
        if batch_size > len(data):
            raise GankitError(
                f"train.batch_size ({batch_size}) is larger than the dataset ({len(data)} samples); "
                f"lower it with --set train.batch_size=N"
            )
        self.data = data.to(device)
        self.batch_size, self.to_float = batch_size, to_float
        self.generator = torch.Generator().manual_seed(seed)
        self.perm, self.pos = self._new_epoch(), 0

    def _new_epoch(self) -> torch.Tensor:
        return torch.randperm(len(self.data), generator=self.generator)

    def __iter__(self):
        return self

    def __next__(self) -> torch.Tensor:
        if self.pos + self.batch_size > len(self.perm):
            self.perm, self.pos = self._new_epoch(), 0
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return self.to_float(self.data[idx.to(self.data.device)])

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "perm": self.perm, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.perm, self.pos = state["perm"], int(state["pos"])


class SampledBatches:
    """Fresh draws from ``sample(n, generator)`` for every batch (infinite data)."""

    def __init__(self, sample, batch_size: int, device, seed: int):
        self.sample, self.batch_size, self.device = sample, batch_size, device
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self):
        return self

    def __next__(self) -> torch.Tensor:
        return self.sample(self.batch_size, self.generator).to(self.device)

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
