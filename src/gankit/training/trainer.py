"""The generic update: every phase of a model in order, each stepping one network's optimiser.

The trainer receives built objects (a model of named networks and phases, one optimiser per
trained network, data) and knows nothing of names, files or configs; it owns AMP,
channels_last, CUDA graphs, the EMA of the model's sampler network, the learning-rate
schedule and the checkpoint state of all of them. ``gankit.training.loop`` drives it.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager, nullcontext

import torch

from gankit import distributed
from gankit.data import DataSource
from gankit.data.streams import Batch
from gankit.distributed import World
from gankit.errors import GankitError
from gankit.models import Context, Draw, Latent, Model, Phase
from gankit.run.checkpoint import rng_state, set_rng_state
from gankit.training import schedules
from gankit.training.cuda_graph import CapturedUpdate
from gankit.training.ema import EMA
from gankit.training.precision import Precision


class Trainer:
    def __init__(
        self,
        model: Model,
        optimizers: dict[str, torch.optim.Optimizer],
        data: DataSource,
        device: torch.device,
        *,
        batch_size: int,
        ema: float | None,
        seed: int,
        precision: Precision | None = None,
        channels_last: bool = False,
        cuda_graphs: bool = False,
        schedules: dict | None = None,
        total_steps: int = 0,
        world: World | None = None,
    ):
        world = world or World()
        self.model, self.optimizers, self.device, self.world = model, optimizers, device, world
        # train.batch_size is the global batch; under torchrun each rank takes its share of it
        self.global_batch, self.batch_size = batch_size, batch_size // world.size
        self.batches = self._batches(data, batch_size, seed, cuda_graphs)
        # EMA copies of the networks that draw pictures (G; StarGAN v2 also its F and E)
        self.emas = {name: EMA(model.networks[name], ema) for name in model.ema_nets} if ema else {}
        self.step = 0  # iterations done (one run of every phase)
        self.counts = {phase.name: 0 for phase in model.phases}  # runs of each phase
        self.reals_per_step = sum(p.repeat for p in model.phases if p.reads_real)
        # real batches drawn and iterations run by this process (ctx.next_real draws more)
        self.reals_drawn, self.steps_run = 0, 0
        self.shared: dict = {}  # what this iteration's phases hand each other (Context.shared)
        self.precision = precision or Precision(None, "fp32 by default")
        self.amp, self.channels_last = self.precision.dtype, channels_last
        # learning rates: the configured one x the NaN guard's scale x the lr schedule's factor
        self.base_lr = [opt.param_groups[0]["lr"] for opt in optimizers.values()]
        self.lr_scale, self.lr_factor = 1.0, 1.0
        self.schedules, self.total_steps = schedules or {}, total_steps  # training.schedules
        self.graph = CapturedUpdate(self) if cuda_graphs else None

    def _batches(self, data: DataSource, batch_size: int, seed: int, cuda_graphs: bool):
        """The real-batch stream; under torchrun each rank gathers only its rows of it."""
        batches = data.batches(batch_size, self.device, seed)
        if self.world.size > 1:
            distributed.check_batch(batch_size, getattr(batches, "blocks", 1), self.world)
            if cuda_graphs:
                raise GankitError(
                    "train.cuda_graphs captures one process's step; drop it under torchrun"
                )
            batches.shard(self.world.rank, self.world.size)
        return batches

    def autocast(self):
        if self.amp is None:
            return nullcontext()
        # a CUDA graph must not capture autocast's weight-cast cache (it lives outside the graph)
        return torch.autocast(self.device.type, dtype=self.amp, cache_enabled=self.graph is None)

    def train_step(self) -> list[dict[str, torch.Tensor]]:
        if self.schedules:
            schedules.apply(self, self.schedules, self.total_steps)
        reals = [self.next_real() for _ in range(self.reals_per_step)]
        stats = self.graph(reals) if self.graph is not None else self.all_phases(reals)
        self.steps_run += 1
        for name, ema in self.emas.items():
            ema.update(self.model.networks[name], self.step)
        self.step += 1
        return stats

    def all_phases(self, reals: list[Batch]) -> list[dict[str, torch.Tensor]]:
        """Every phase in order, each on its own real batch: the computation a CUDA graph captures."""
        batches, stats = iter(reals), []
        self.shared = {}
        for phase in self.model.phases:
            for _ in range(phase.repeat):
                stats.append(self.phase_step(phase, next(batches) if phase.reads_real else None))
        return stats

    def phase_step(self, phase: Phase | str, real: Batch | torch.Tensor | None = None):
        """One update of ``phase``: its loss with only its own networks trainable, then their steps.
        Returns the phase's statistics {name: 0-d tensor}."""
        phase = phase if isinstance(phase, Phase) else self.phase(phase)
        real = Batch(real) if isinstance(real, torch.Tensor) else real
        if real is not None and self.channels_last and real.x.dim() == 4:
            real = real._replace(x=real.x.contiguous(memory_format=torch.channels_last))
        missing = [key for key in phase.needs if key not in self.shared]
        if missing:
            raise RuntimeError(f"phase {phase.name} needs {missing} from an earlier phase")
        ctx = Context(step=self.step, index=self.counts[phase.name], batch_size=self.batch_size,
                      next_real=self.next_real, optimizers=self.optimizers, shared=self.shared)  # fmt: skip
        with self.only_trainable(phase.trains):
            with self.autocast():
                loss, stats = self.model.objective(phase, real, ctx)
            opts = [self.optimizers[name] for name in phase.trains]
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            if self.world.size > 1:  # the mean over the global batch, as one process computes it
                params = [
                    p for name in phase.trains for p in self.model.networks[name].parameters()
                ]
                distributed.average_gradients(params)
                stats = distributed.average_stats(stats)
            for opt in opts:
                opt.step()
        self.model.after(phase)
        self.counts[phase.name] += 1
        return stats

    def next_real(self) -> Batch:
        self.reals_drawn += 1
        return next(self.batches)

    def real_batches_per_step(self) -> float:
        """Real batches an iteration drew on average (its phases' and their terms' own draws)."""
        return self.reals_drawn / self.steps_run if self.steps_run else self.reals_per_step

    def phase(self, name: str) -> Phase:
        return next(p for p in self.model.phases if p.name == name)

    @contextmanager
    def only_trainable(self, names: tuple[str, ...]):
        """Freeze the networks a phase does not train: their gradients are never needed (and
        skipping them saves a third of the G phase's backward). Terms that differentiate through
        a frozen network unfreeze it themselves (regularizers.trainable)."""
        names = (names,) if isinstance(names, str) else names
        others = [net for key, net in self.model.networks.items() if key not in names]
        flags = [[p.requires_grad for p in net.parameters()] for net in others]
        for net in others:
            net.requires_grad_(False)
        try:
            yield
        finally:
            for net, saved in zip(others, flags):
                for p, flag in zip(net.parameters(), saved):
                    p.requires_grad_(flag)

    # ---- what schedules and the NaN guard change (training.schedules, nan_guard)
    def set_lr_scale(self, scale: float) -> None:
        """The NaN guard's scale on every learning rate (1 until a rollback)."""
        self.lr_scale = scale
        self._set_lr()

    def set_lr_factor(self, factor: float) -> None:
        """The lr schedule's factor at this step."""
        self.lr_factor = factor
        self._set_lr()

    def set_beta2(self, beta2: float) -> None:
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                if "betas" in group:
                    group["betas"] = (group["betas"][0], beta2)

    def set_gamma(self, gamma: float) -> None:
        """The weight of the gamma-weighted regularisers (R1, R2)."""
        for reg in getattr(self.model, "regularizers", []):
            if reg.gamma_weighted:
                reg.weight = gamma

    def set_ema_half_life(self, images: float) -> None:
        for ema in self.emas.values():
            ema.beta = 0.5 ** (self.global_batch / max(images, 1e-8))

    def _set_lr(self) -> None:
        for opt, base in zip(self.optimizers.values(), self.base_lr):
            for group in opt.param_groups:
                lr = base * self.lr_scale * self.lr_factor
                if torch.is_tensor(group["lr"]):  # a captured optimiser step reads it on the device
                    group["lr"].fill_(lr)
                else:
                    group["lr"] = lr

    # ---- sampling and health
    def weights_finite(self) -> bool:
        params = [p.detach() for net in self.model.networks.values() for p in net.parameters()]
        return bool(torch.isfinite(torch.stack([p.abs().max() for p in params])).all())

    @property
    def ema(self) -> EMA | None:
        """The EMA of the sampler network, if the run keeps one."""
        return self.emas.get(self.model.sampler)

    def inference(self, name: str) -> torch.nn.Module:
        """Network ``name`` as pictures and metrics use it: its EMA copy when there is one."""
        return self.emas[name].net if name in self.emas else self.model.networks[name]

    @property
    def sampler(self) -> torch.nn.Module:
        """The network that draws pictures: its EMA copy when there is one."""
        return self.inference(self.model.sampler)

    @contextmanager
    def evaluating(self):
        """{name: network} as ``inference`` gives them, in eval mode for the block."""
        nets = {name: self.inference(name) for name in self.model.networks}
        modes = {name: net.training for name, net in nets.items()}
        for net in nets.values():
            net.eval()
        try:
            with torch.no_grad():
                yield nets
        finally:
            for name, net in nets.items():
                net.train(modes[name])

    @torch.no_grad()
    def generate(self, draw: Draw | torch.Tensor, batch: int = 512) -> torch.Tensor:
        """Samples for G's inputs ``draw`` (see Model.latent; a tensor is plain noise z)."""
        draw = Draw(draw) if isinstance(draw, torch.Tensor) else draw
        net, was_training = self.sampler, self.sampler.training
        net.eval()
        try:
            return torch.cat([self.model.generate(net, chunk) for chunk in draw.split(batch)])
        finally:
            net.train(was_training)

    # ---- checkpoint state
    def _check_latent(self, state: dict) -> None:
        """A conditional or InfoGAN checkpoint never loads into a run whose G reads otherwise."""
        mine = self.model.latent
        if mine is None:  # nothing samples from noise (older translation checkpoints hold one)
            return
        theirs = Latent.from_dict(state.get("latent") or {"z_dim": mine.z_dim})
        if theirs != mine:
            raise GankitError(
                f"the checkpoint's generator reads {theirs.describe()} but this run's reads "
                f"{mine.describe()}; resume it with the config it was trained with"
            )

    def state_dict(self) -> dict:
        nets, opts = self.model.networks, self.optimizers
        ema = {name: e.net.state_dict() for name, e in self.emas.items()}
        return {
            "step": self.step,
            "counts": dict(self.counts),
            "latent": self.model.latent.to_dict() if self.model.latent is not None else None,
            "networks": {name: net.state_dict() for name, net in nets.items()},
            "optimizers": {name: opt.state_dict() for name, opt in opts.items()},
            "ema": ema,
            "model": self.model.state_dict(),
            "data_stream": self.batches.state_dict(),
            "rng": rng_state(),
            "world_size": self.world.size,
            "precision": self.precision.name,
            # every rank's RNG (they run in step, but a checkpoint must not rely on it)
            "rank_rng": distributed.gather(rng_state()) if self.world.size > 1 else None,
        }

    def load_state_dict(self, state: dict) -> None:
        self._check_latent(state)
        distributed.check_world(state, self.world)
        try:
            for name, net in self.model.networks.items():
                net.load_state_dict(state["networks"][name])
            for name, ema in self.emas.items() if state["ema"] else ():
                ema.net.load_state_dict(state["ema"][name])
            for name, opt in self.optimizers.items():
                opt.load_state_dict(state["optimizers"][name])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise GankitError(
                f"checkpoint does not fit this run's networks/optimizers "
                f"({str(exc).splitlines()[0][:100]}); was it written by another architecture?"
            ) from None
        self.batches.load_state_dict(state["data_stream"])
        self.model.load_state_dict(state["model"])
        ranks = state.get("rank_rng")
        set_rng_state(ranks[self.world.rank] if ranks else state["rng"])
        for opt in self.optimizers.values():  # lr tensors of a graph-captured run become floats
            for group in opt.param_groups:
                group["lr"] = float(group["lr"])
        if self.graph is not None:
            self.graph.reset()  # new optimiser state tensors: the captured graph points at the old
        self.step = int(state["step"])
        self.counts = {name: int(state["counts"].get(name, 0)) for name in self.counts}
        saved = state.get("precision") or "fp32"
        if saved != self.precision.name:
            warnings.warn(
                f"the checkpoint trained in {saved}, this machine continues in {self.precision}; "
                f"the run goes on, not bitwise as it would have on the first machine"
            )
