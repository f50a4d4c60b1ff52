"""Endless, resumable streams of training batches."""

from __future__ import annotations

from typing import NamedTuple

import torch

from gankit.errors import GankitError


class Batch(NamedTuple):
    """One training batch: samples [N, ...] and, for labelled data, integer classes [N] (int64)."""

    x: torch.Tensor
    y: torch.Tensor | None = None


def share_of(start: int, batch_size: int, share: tuple[int, int]) -> slice:
    """Rows of the global batch [start, start + batch_size) that rank ``share[0]`` of
    ``share[1]`` reads: the rank-th contiguous block (the batch splits evenly, checked earlier)."""
    rank, size = share
    n = batch_size // size
    return slice(start + rank * n, start + (rank + 1) * n)


class TensorBatches:
    """Epochs of random permutations over an in-memory tensor (kept on ``device``).

    The last incomplete batch of an epoch is dropped so every batch has ``batch_size`` rows.
    With ``hflip`` each drawn sample is mirrored left-right with probability 1/2 (on the device).
    The permutation and flips of an epoch go to the device in one copy: a per-batch copy of
    indices from host memory would make the host wait for the GPU at every batch.
    ``labels`` [N] travel with their samples (on the device, gathered by the same permutation).
    ``state_dict`` captures permutation, flips and position, so a resumed run sees the same batches.
    Under torchrun ``shard`` makes this process gather only its rows of every global batch; the
    permutation and position are the same on every rank.
    """

    share = (0, 1)  # (rank, world size): which rows of each global batch this process reads

    def __init__(
        self,
        data: torch.Tensor,
        batch_size: int,
        device,
        seed: int,
        to_float,
        hflip: bool = False,
        labels: torch.Tensor | None = None,
    ):
        if batch_size > len(data):
            raise GankitError(
                f"train.batch_size ({batch_size}) is larger than the dataset ({len(data)} samples); "
                f"lower it with --set train.batch_size=N"
            )
        self.data = data.to(device)
        self.labels = labels.to(device) if labels is not None else None
        self.batch_size, self.to_float, self.hflip = batch_size, to_float, hflip
        self.generator = torch.Generator().manual_seed(seed)
        self._new_epoch()

    def _new_epoch(self) -> None:
        perm = torch.randperm(len(self.data), generator=self.generator)
        flips = torch.rand(len(self.data), generator=self.generator) < 0.5 if self.hflip else None
        self._start_epoch(perm, flips)

    def _start_epoch(self, perm: torch.Tensor, flips: torch.Tensor | None, pos: int = 0) -> None:
        """Held on the data's device; only a checkpoint copies them back."""
        device = self.data.device
        self.perm, self.pos = perm.to(device), pos
        self.flips = flips.to(device) if flips is not None else None

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        if self.pos + self.batch_size > len(self.perm):
            self._new_epoch()
        rows = share_of(self.pos, self.batch_size, self.share)
        self.pos += self.batch_size
        index = self.perm[rows]
        batch = self.data[index]
        if self.flips is not None:
            flip = self.flips[rows].view(-1, *([1] * (batch.dim() - 1)))
            batch = torch.where(flip, batch.flip(-1), batch)
        return Batch(self.to_float(batch), self.labels[index] if self.labels is not None else None)

    def state_dict(self) -> dict:
        flips = self.flips.cpu() if self.flips is not None else None
        return {
            "generator": self.generator.get_state(),
            "perm": self.perm.cpu(),
            "flips": flips,
            "pos": self.pos,
        }

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self._start_epoch(state["perm"], state.get("flips"), int(state["pos"]))

    def shard(self, rank: int, size: int) -> None:
        self.share = (rank, size)


class SampledBatches:
    """Fresh draws from ``sample(n, generator)`` for every batch (infinite data); ``sample``
    returns samples, or (samples, labels) for labelled data. A shard still draws the whole global
    batch (the generator's stream must match on every rank) and keeps its rows."""

    share = (0, 1)

    def __init__(self, sample, batch_size: int, device, seed: int):
        self.sample, self.batch_size, self.device = sample, batch_size, device
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        out = self.sample(self.batch_size, self.generator)
        x, y = out if isinstance(out, tuple) else (out, None)
        rows = share_of(0, self.batch_size, self.share)
        return Batch(x[rows].to(self.device), y[rows].to(self.device) if y is not None else None)

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])

    def shard(self, rank: int, size: int) -> None:
        self.share = (rank, size)
