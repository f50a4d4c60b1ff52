"""Data-parallel training over processes: ``torchrun --nproc_per_node N -m gankit train ...``.

The design, and why it is not ``DistributedDataParallel``'s module wrapper:
- Every rank holds every network and steps every optimiser; after each phase's backward the
  gradients of the networks that phase trains are averaged over the ranks in one flat
  all-reduce (as stylegan2-ada-pytorch does). A DDP wrapper hooks parameters once, at
  construction: a GAN freezes and unfreezes whole networks between phases and differentiates
  twice for its penalties (WGAN-GP, R1), which its reducer does not follow.
- The global batch is ``train.batch_size``; rank r takes rows [r*b, (r+1)*b) of it, b =
  batch_size / world size (within each domain's block for translation batches). Every rank
  reads the same resumable stream, so its state is the same on every rank.
- Every rank starts from the same seed, and the batch-sized random draws of the objective (G's
  noise, the interpolation points of the gradient penalty, augmentations) are drawn for the
  global batch and sliced the same way (``per_rank``). With the averaged gradients and the averaged
  logged statistics, a run is the single-process run with the same global batch (to float
  tolerance), except for batch norm, whose statistics are per rank unless
  ``train.sync_batchnorm=true``.
- Rank 0 alone writes the run directory; a checkpoint also holds every rank's RNG state, and
  the world size, which a resume must match.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from gankit.errors import GankitError

#: a collective waits this long for the slowest rank (rank 0 evaluates and writes meanwhile)
TIMEOUT = datetime.timedelta(hours=2)


@dataclass(frozen=True)
class World:
    """This process's place in the job: rank r of ``size`` (``local`` on its machine)."""

    rank: int = 0
    size: int = 1
    local: int = 0

    @property
    def lead(self) -> bool:
        """Rank 0: the one process that writes the run directory."""
        return self.rank == 0

    @classmethod
    def from_env(cls) -> World:
        """torchrun's RANK / WORLD_SIZE / LOCAL_RANK; a plain process is rank 0 of 1."""
        try:
            return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                       int(os.environ.get("LOCAL_RANK", 0)))  # fmt: skip
        except ValueError:
            raise GankitError(
                "RANK, WORLD_SIZE and LOCAL_RANK must be integers (set by torchrun)"
            ) from None


def start(world: World, device: torch.device) -> None:
    """Join the job's process group: NCCL on CUDA (one GPU per rank), gloo on the CPU."""
    if world.size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(world.local)  # "cuda" now means this rank's GPU
            dist.init_process_group("nccl", timeout=TIMEOUT,
                                    device_id=torch.device("cuda", world.local))  # fmt: skip
        else:
            dist.init_process_group("gloo", timeout=TIMEOUT)


def sync_batchnorm(model, enabled: bool, world: World, device: torch.device) -> None:
    """Batch norm over the global batch: every BatchNorm of every network becomes SyncBatchNorm
    (torch's runs on GPUs only). One process: nothing to synchronise, nothing changes."""
    if not enabled or world.size == 1:
        return
    if device.type != "cuda":
        raise GankitError(
            "train.sync_batchnorm needs CUDA (torch's SyncBatchNorm runs on GPUs only); drop it "
            "on the CPU, or use networks without batch norm"
        )
    for name, net in list(model.networks.items()):
        model.networks[name] = torch.nn.SyncBatchNorm.convert_sync_batchnorm(net)


def stop() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def active() -> bool:
    return dist.is_initialized() and dist.get_world_size() > 1


def per_rank(draw, n: int, dim: int = 0):
    """``draw(n)`` in one process; under torchrun, this rank's n rows (along ``dim``) of
    ``draw(n * size)``. ``draw`` returns a tensor or a tuple of tensors (or None)."""
    if not active():
        return draw(n)
    size, rank = dist.get_world_size(), dist.get_rank()
    out = draw(n * size)

    def mine(t):
        return t.narrow(dim, rank * n, n) if t is not None else None

    return type(out)(*map(mine, out)) if isinstance(out, tuple) else mine(out)


def average_gradients(params: list[torch.nn.Parameter]) -> None:
    """Mean of every rank's gradients, in one flat all-reduce. A parameter without a gradient
    keeps none (the optimiser skips it), as in one process: every rank runs the same code."""
    params = [p for p in params if p.grad is not None]
    if not params:
        return
    flat = torch.cat([p.grad.flatten() for p in params])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    for p, g in zip(params, flat.split([p.numel() for p in params])):
        p.grad = g.view_as(p)


def average_stats(stats: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The logged statistics of a phase, averaged over the ranks (one all-reduce)."""
    if not stats:
        return stats
    keys = list(stats)  # the same order on every rank: the same code made it
    flat = torch.stack([stats[k].detach().float().reshape(()) for k in keys])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    return dict(zip(keys, flat.unbind()))


def any_rank(flag: bool, device: torch.device) -> bool:
    """True on every rank when it is True on one (a stop request, a non-finite loss)."""
    t = torch.tensor([float(flag)], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def gather(obj) -> list:
    """Every rank's ``obj``, in rank order, on every rank."""
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def barrier() -> None:
    if active():
        dist.barrier()


def check_world(state: dict, world: World) -> None:
    """A checkpoint resumes only with the world size that wrote it."""
    saved = int(state.get("world_size", 1))
    if saved != world.size:
        raise GankitError(
            f"this run was trained by {saved} process(es) and is resumed by {world.size}; resume "
            f"with the same number (torchrun --nproc_per_node {saved}, or gankit train --nproc "
            f"{saved})"
        )


def check_batch(batch_size: int, blocks: int, world: World) -> None:
    if batch_size % (blocks * world.size):
        raise GankitError(
            f"train.batch_size ({batch_size}) must split evenly over the {world.size} processes"
            + (f" within each of the {blocks} domains" if blocks > 1 else "")
            + f"; set it to a multiple of {blocks * world.size}"
        )
