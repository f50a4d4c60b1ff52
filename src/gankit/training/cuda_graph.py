"""Whole-step CUDA graphs: the n_critic discriminator steps and the generator step, replayed as
one graph.

At batch 64 a WGAN-GP step launches thousands of small kernels (forwards, the penalty's double
backward, fused optimiser steps); on a fast GPU the host cannot issue them as fast as the GPU
runs them. Capturing the step once and replaying it issues them all with one call. What is
captured must be the same computation at every step, so:
- real batches are copied into static buffers before each replay;
- noise and interpolation coefficients are drawn inside the graph (CUDA's generator is
  graph-aware: each replay advances it as the eager step would);
- optimisers run with ``capturable=True`` and learning rates held in device tensors, so the lr
  schedule and NaN-rollback scaling still take effect between replays;
- regularisers whose work depends on the step number (lazy penalties, annealed noise, running
  averages) are refused: each declares ``graph_safe``;
- the EMA of G stays outside the graph (its decay depends on the step).
Loading a checkpoint replaces optimiser state tensors, so ``reset`` re-captures.
"""

from __future__ import annotations

import torch

from gankit.errors import GankitError


class CapturedUpdate:
    """Calls ``trainer.all_phases(reals)`` eagerly for a few warm-up steps on a side stream, then
    captures it in a ``torch.cuda.CUDAGraph`` and replays that; returns the same statistics."""

    #: eager steps before capture: cuDNN/cuBLAS pick algorithms and allocate workspaces, and the
    #: optimisers create their state, none of which may happen inside a capture
    warmup = 3

    def __init__(self, trainer):
        unsafe = trainer.model.step_dependent()
        if unsafe:
            raise GankitError(
                f"train.cuda_graphs: {', '.join(unsafe)} change with the step number and cannot "
                f"be captured once; drop train.cuda_graphs or those regularizers"
            )
        if trainer.device.type != "cuda":
            raise GankitError(
                f"train.cuda_graphs needs a CUDA device, not {trainer.device}; "
                f"set train.device=cuda or drop train.cuda_graphs"
            )
        self.trainer = trainer
        self.reset()

    def reset(self) -> None:
        """Forget the graph (optimiser state was replaced): warm up and capture again."""
        self.graph, self.eager_steps = None, 0
        self.static_real: list = []  # Batch records of static tensors
        self.static_stats: list[dict[str, torch.Tensor]] = []

    def __call__(self, reals: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        if self.graph is None and self.eager_steps < self.warmup:
            return self._eager(reals)
        if self.graph is None:
            self._capture(reals)
        for buffer, real in zip(self.static_real, reals):
            for static, fresh in zip(buffer, real):
                if static is not None:
                    static.copy_(fresh)
        self.graph.replay()
        for phase in self.trainer.model.phases:  # what the replayed Python would have counted
            self.trainer.counts[phase.name] += phase.repeat
        # the graph overwrites its outputs at the next replay: hand out copies
        return [{k: v.clone() for k, v in row.items()} for row in self.static_stats]

    def _eager(self, reals):
        if self.eager_steps == 0:
            make_capturable(*self.trainer.optimizers.values(), device=self.trainer.device)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            stats = self.trainer.all_phases(reals)
        torch.cuda.current_stream().wait_stream(side)
        self.eager_steps += 1
        return stats

    def _capture(self, reals) -> None:
        t = self.trainer
        self.static_real = [
            type(r)(*(part.clone() if part is not None else None for part in r)) for r in reals
        ]
        counts = dict(t.counts)
        self.graph = torch.cuda.CUDAGraph()
        torch.cuda.synchronize()
        with torch.cuda.graph(self.graph):
            self.static_stats = t.all_phases(self.static_real)
        t.counts = counts  # capturing ran the Python once but no kernel; replay counts


def make_capturable(*optimizers: torch.optim.Optimizer, device: torch.device) -> None:
    """Optimiser steps that a graph can replay: step counts and learning rates on the device."""
    for opt in optimizers:
        for group in opt.param_groups:
            if "capturable" not in group:
                raise GankitError(
                    f"train.cuda_graphs: {type(opt).__name__} cannot run inside a CUDA graph; "
                    f"use adam, adamw or rmsprop, or drop train.cuda_graphs"
                )
            group["capturable"] = True
            group["lr"] = torch.as_tensor(group["lr"], dtype=torch.float32, device=device)
        for state in opt.state.values():  # state made by eager steps before capture
            if "step" in state and state["step"].device != device:
                state["step"] = state["step"].to(device, torch.float32)
