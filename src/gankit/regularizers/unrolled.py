from typing import Literal

import torch
from torch.func import functional_call

from gankit.checks import Positive, Unit, ints
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, GStep, Regularizer


@REGULARIZERS.register("unrolled")
class Unrolled(Regularizer):
    """Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein 2017): the generator's loss is taken
    against the discriminator as it will be after ``steps`` more updates,
    L_G(theta, phi_k), phi_{i+1} = phi_i - step(grad_phi L_D(phi_i; real_i, G_theta(z_i))),
    and gradients flow through the unrolled updates into G (torch.func.functional_call on
    copies of D's parameters and buffers; D itself is not changed). Each unrolled step draws a
    fresh real batch and fresh noise. ``optimizer`` "adam" continues D's own Adam state (moments
    and step count, as the paper's code does); "sgd" takes plain steps. ``lr``/``betas`` default
    to D's optimiser's. steps=0 is exactly the plain update. Replaces G's loss; cost grows
    linearly in ``steps`` (a double backward each)."""

    replaces_g_loss = True
    differentiates_twice = ("G", "D")
    handles_labels = False
    handles_paired_losses = False

    def __init__(
        self,
        steps: ints(0, 100) = 5,
        lr: Positive | None = None,
        optimizer: Literal["sgd", "adam"] = "adam",
        betas: tuple[Unit, Unit] | None = None,
        eps: Positive = 1e-8,
    ):
        if steps < 0 or (lr is not None and lr <= 0) or optimizer not in ("sgd", "adam"):
            raise GankitError(
                f"unrolled needs steps >= 0, lr > 0 and optimizer sgd or adam, got "
                f"steps={steps}, lr={lr}, optimizer={optimizer!r}"
            )
        self.steps, self.lr, self.optimizer = int(steps), lr, optimizer
        self.betas, self.eps = betas, float(eps)

    def g_penalty(self, ctx: GStep):
        D = ctx.D
        params = {n: p.detach().requires_grad_() for n, p in D.named_parameters()}
        buffers = {
            n: b.clone() for n, b in D.named_buffers()
        }  # unrolling must not move BN statistics
        state = self._start_state(dict(D.named_parameters()), ctx.opt_d)
        lr, betas = self._hyper(ctx.opt_d)
        for _ in range(self.steps):
            real = ctx.next_real()
            fake = ctx.G(ctx.sample_z(len(real)))
            weights = {**params, **buffers}
            # two forwards, as in D's real step (batch statistics are per batch)
            d_loss = ctx.loss.d_loss(
                functional_call(D, weights, (real,)), functional_call(D, weights, (fake,))
            )
            grads = torch.autograd.grad(
                d_loss, list(params.values()), create_graph=True, allow_unused=True
            )
            params = {
                n: p - self._update(g, state, n, lr, betas) if g is not None else p
                for (n, p), g in zip(params.items(), grads)
            }
        value = ctx.loss.g_loss(functional_call(D, {**params, **buffers}, (ctx.fake,)))
        return value, {"g_unrolled": value.detach()}

    def _hyper(self, opt_d) -> tuple[float, tuple[float, float]]:
        group = opt_d.param_groups[0] if opt_d is not None else {}
        lr = self.lr if self.lr is not None else group.get("lr", 1e-4)
        betas = (
            tuple(self.betas) if self.betas is not None else tuple(group.get("betas", (0.5, 0.999)))
        )
        return float(lr), betas

    @staticmethod
    def _start_state(named: dict, opt_d) -> dict:
        """Adam moments and step count per parameter: D's optimiser's where it has them."""
        state = {}
        for n, p in named.items():
            s = opt_d.state.get(p, {}) if opt_d is not None else {}
            if "exp_avg" in s:
                state[n] = (s["exp_avg"].detach(), s["exp_avg_sq"].detach(), int(s["step"]))
            else:
                state[n] = (torch.zeros_like(p), torch.zeros_like(p), 0)
        return state

    def _update(self, g, state: dict, name: str, lr: float, betas) -> torch.Tensor:
        if self.optimizer == "sgd":
            return lr * g
        m, v, t = state[name]
        b1, b2 = betas
        m, v, t = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g, t + 1
        state[name] = (m, v, t)
        # the tiny floor keeps sqrt differentiable where a gradient is exactly zero
        denom = (v / (1 - b2**t) + 1e-24).sqrt() + self.eps
        return lr * (m / (1 - b1**t)) / denom
