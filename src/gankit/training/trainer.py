"""The GAN update: n_critic discriminator steps, then one generator step.

The trainer receives built objects (networks, loss, regularisers, optimisers, data) and knows
nothing of names, files or configs; ``gankit.training.loop`` drives it and writes the run.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch

from gankit.build import Built
from gankit.errors import GankitError
from gankit.nets.layers import independent_samples
from gankit.regularizers import DStep, GStep
from gankit.run.checkpoint import rng_state, set_rng_state
from gankit.training.cuda_graph import CapturedUpdate
from gankit.training.ema import EMA


class Trainer:
    def __init__(
        self,
        built: Built,
        *,
        z_dim: int,
        batch_size: int,
        n_critic: int,
        ema: float | None,
        seed: int,
        amp: torch.dtype | None = None,
        channels_last: bool = False,
        fuse_d: bool = True,
        decay_until: int | None = None,
        cuda_graphs: bool = False,
    ):
        self.G, self.D, self.loss = built.G, built.D, built.loss
        self.regularizers, self.opt_g, self.opt_d = built.regularizers, built.opt_g, built.opt_d
        self.device, self.z_dim = built.device, z_dim
        self.batch_size, self.n_critic = batch_size, n_critic
        self.batches = built.data.batches(batch_size, built.device, seed)
        self.ema = EMA(self.G, ema) if ema else None
        self.step = 0  # generator updates done
        self.d_steps = 0  # discriminator updates done (lazy regularisers count these)
        self.last_real: torch.Tensor | None = None  # for G-side terms that need real data
        self.amp, self.channels_last = amp, channels_last
        # one D forward over [real; fake] computes the same as two when D scores samples independently
        self.fuse_d = fuse_d and independent_samples(self.D)
        # learning rates: base x a rollback factor x (linear decay to 0 at decay_until, if set)
        self.base_lr = (self.opt_g.param_groups[0]["lr"], self.opt_d.param_groups[0]["lr"])
        self.lr_scale, self.decay_until = 1.0, decay_until
        self.g_loss_replaced = any(reg.replaces_g_loss for reg in self.regularizers)
        self.graph = CapturedUpdate(self) if cuda_graphs else None

    def autocast(self):
        if self.amp is None:
            return nullcontext()
        # a CUDA graph must not capture autocast's weight-cast cache (it lives outside the graph)
        return torch.autocast(self.device.type, dtype=self.amp, cache_enabled=self.graph is None)

    def d_outputs(
        self, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.fuse_d:
            real_out, fake_out = (
                self.D(torch.cat([real, fake])).float().split([len(real), len(fake)])
            )
            return real_out, fake_out
        return self.D(real).float(), self.D(fake).float()

    def sample_z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, device=self.device)

    def d_input(self, x: torch.Tensor) -> torch.Tensor:
        """What D sees: regularisers may transform its inputs (e.g. instance noise)."""
        for reg in self.regularizers:
            x = reg.d_input(x, self.step)
        return x

    def d_step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.channels_last and real.dim() == 4:
            real = real.contiguous(memory_format=torch.channels_last)
        z = self.sample_z(len(real))
        with self.autocast():
            # Fakes come from the current G without building its graph: D's step never updates G.
            with torch.no_grad():
                fake = self.G(z)
            self.last_real = real
            real, fake = self.d_input(real), self.d_input(fake.to(real.dtype))
            real_out, fake_out = self.d_outputs(real, fake)
            loss = self.loss.d_loss(real_out, fake_out)
            stats = {"d_real": real_out.mean(), "d_fake": fake_out.mean()}
            if self.loss.estimates_wasserstein:
                stats["wdist"] = -loss
            ctx = DStep(
                self.D, real, fake, real_out, fake_out, self.d_steps, G=self.G, z=z, loss=self.loss
            )
            for reg in self.regularizers:
                out = reg.d_penalty(ctx)
                if out is not None:
                    loss = loss + out[0]
                    stats.update(out[1])
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        for reg in self.regularizers:
            reg.after_d_step(self.D)
        self.d_steps += 1
        return {"loss_d": loss, **stats}

    def g_step(self) -> dict[str, torch.Tensor]:
        # D's weights are constants here: skipping their grads saves a third of the backward.
        self.D.requires_grad_(False)
        try:
            with self.autocast():
                loss, stats = self.g_objective()
            stats["loss_g"] = loss  # the full objective G minimises, like loss_d
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        for reg in self.regularizers:
            reg.after_g_step(self.G)
        return stats

    def g_objective(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        # fresh noise: reusing the fakes D just trained on would bias G's gradient towards them
        fake = self.G(self.sample_z(self.batch_size))
        fake_out = self.D(self.d_input(fake)).float()
        loss = 0.0 if self.g_loss_replaced else self.loss.g_loss(fake_out)
        stats = {}
        ctx = GStep(
            self.G,
            self.D,
            fake,
            fake_out,
            self.step,
            real=self.last_real,
            loss=self.loss,
            next_real=lambda: next(self.batches),
            sample_z=self.sample_z,
            opt_d=self.opt_d,
        )
        for reg in self.regularizers:
            out = reg.g_penalty(ctx)
            if out is not None:
                loss = loss + out[0]
                stats.update(out[1])
        return loss, stats

    def train_step(self) -> list[dict[str, torch.Tensor]]:
        if self.decay_until:
            self._set_lr()
        reals = [next(self.batches) for _ in range(self.n_critic)]
        stats = self.graph(reals) if self.graph is not None else self.update(reals)
        if self.ema is not None:
            self.ema.update(self.G, self.step)
        self.step += 1
        return stats

    def update(self, reals: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        """One D step per real batch, then one G step: the computation a CUDA graph captures."""
        stats = [self.d_step(real) for real in reals]
        stats.append(self.g_step())
        return stats

    def scale_lr(self, base_g: float, base_d: float, scale: float) -> None:
        self.base_lr, self.lr_scale = (base_g, base_d), scale
        self._set_lr()

    def _set_lr(self) -> None:
        schedule = max(0.0, 1.0 - self.step / self.decay_until) if self.decay_until else 1.0
        for opt, base in zip((self.opt_g, self.opt_d), self.base_lr):
            for group in opt.param_groups:
                if torch.is_tensor(group["lr"]):  # a captured optimiser step reads it on the device
                    group["lr"].fill_(base * self.lr_scale * schedule)
                else:
                    group["lr"] = base * self.lr_scale * schedule

    def weights_finite(self) -> bool:
        params = [p.detach() for p in (*self.G.parameters(), *self.D.parameters())]
        return bool(torch.isfinite(torch.stack([p.abs().max() for p in params])).all())

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator that draws pictures: the EMA copy when there is one."""
        return self.ema.G if self.ema is not None else self.G

    @torch.no_grad()
    def generate(self, z: torch.Tensor, batch: int = 512) -> torch.Tensor:
        G, was_training = self.sampler, self.sampler.training
        G.eval()
        try:
            return torch.cat([G(chunk) for chunk in z.split(batch)])
        finally:
            G.train(was_training)

    # ---- checkpoint state
    def state_dict(self) -> dict:
        return {
            "step": self.step,
            "d_steps": self.d_steps,
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.ema.G.state_dict() if self.ema is not None else None,
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "data_stream": self.batches.state_dict(),
            "regularizers": [reg.state_dict() for reg in self.regularizers],
            "rng": rng_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        try:
            self.G.load_state_dict(state["G"])
            self.D.load_state_dict(state["D"])
            if self.ema is not None and state["G_ema"] is not None:
                self.ema.G.load_state_dict(state["G_ema"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise GankitError(
                f"checkpoint does not fit this run's networks/optimizers "
                f"({str(exc).splitlines()[0][:100]}); was it written by another architecture?"
            ) from None
        self.batches.load_state_dict(state["data_stream"])
        for reg, reg_state in zip(self.regularizers, state.get("regularizers", [])):
            reg.load_state_dict(reg_state)
        set_rng_state(state["rng"])
        for opt in (
            self.opt_g,
            self.opt_d,
        ):  # lr tensors of a graph-captured run become floats again
            for group in opt.param_groups:
                group["lr"] = float(group["lr"])
        if self.graph is not None:
            self.graph.reset()  # new optimiser state tensors: the captured graph points at the old ones
        self.step = int(state["step"])
        self.d_steps = int(state.get("d_steps", self.step * self.n_critic))
