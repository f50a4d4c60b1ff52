import torch
from torch.func import functional_call

from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, GStep, Regularizer


@REGULARIZERS.register("unrolled")
class Unrolled(Regularizer):
    """Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein 2017): the generator's loss is taken
    against the discriminator as it will be after ``steps`` more updates,
    L_G(theta, phi_k), phi_{i+1} = phi_i - step(grad_phi L_D(phi_i; real_i, G_theta(z_i))),
    and gradients flow through the unrolled updates into G (torch.func.functional_call on
    copies of D's parameters and buffers; D itself is not changed). Each unrolled step draws a
    fresh real batch and fresh noise. ``optimizer`` is "sgd" or "adam" (Adam's moments start
    at zero, as in the paper's code they start from D's state). steps=0 is exactly the plain
    update. Replaces G's loss; cost grows linearly in ``steps`` (double backward each)."""

    differentiates_twice = ("G", "D")

    replaces_g_loss = True

    def __init__(self, steps: int = 5, lr: float = 1e-4, optimizer: str = "adam",
                 betas: tuple[float, float] = (0.5, 0.999), eps: float = 1e-8):
        if steps < 0 or lr <= 0 or optimizer not in ("sgd", "adam"):
            raise GankitError(f"unrolled needs steps >= 0, lr > 0 and optimizer sgd or adam, got "
                              f"steps={steps}, lr={lr}, optimizer={optimizer!r}")
        self.steps, self.lr, self.optimizer = int(steps), float(lr), optimizer
        self.betas, self.eps = tuple(float(b) for b in betas), float(eps)

    def g_penalty(self, ctx: GStep):
        D = ctx.D
        params = {n: p.detach().requires_grad_() for n, p in D.named_parameters()}
        buffers = {n: b.clone() for n, b in D.named_buffers()}  # unrolling must not move BN statistics
        state = {n: (torch.zeros_like(p), torch.zeros_like(p)) for n, p in params.items()}
        for t in range(1, self.steps + 1):
            real = ctx.next_real()
            fake = ctx.G(torch.randn(len(real), ctx.z_dim, device=real.device))
            weights = {**params, **buffers}
            # two forwards, as in D's real step (batch statistics are per batch)
            d_loss = ctx.loss.d_loss(functional_call(D, weights, (real,)), functional_call(D, weights, (fake,)))
            grads = torch.autograd.grad(d_loss, list(params.values()), create_graph=True, allow_unused=True)
            params = {n: p - self._update(g, state, n, t) if g is not None else p
                      for (n, p), g in zip(params.items(), grads)}
        value = ctx.loss.g_loss(functional_call(D, {**params, **buffers}, (ctx.fake,)))
        return value, {"g_unrolled": value.detach()}

    def _update(self, g: torch.Tensor, state: dict, name: str, t: int) -> torch.Tensor:
        if self.optimizer == "sgd":
            return self.lr * g
        m, v = state[name]
        b1, b2 = self.betas
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        state[name] = (m, v)
        # the tiny floor keeps sqrt differentiable where a gradient is exactly zero
        denom = (v / (1 - b2**t) + 1e-24).sqrt() + self.eps
        return self.lr * (m / (1 - b1**t)) / denom
