import torch

from gankit.checks import NonNegative, Positive
from gankit.distributed import per_rank
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, DStep, Regularizer


def interpolate(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """x_hat = alpha * real + (1 - alpha) * fake, one alpha ~ U[0, 1] per sample ([N, 1, ..., 1])."""
    ones = (1,) * (real.dim() - 1)
    alpha = per_rank(
        lambda m: torch.rand((m, *ones), device=real.device, dtype=real.dtype), len(real)
    )
    return torch.lerp(fake, real, alpha)


def grad_norm(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """||grad_x out||_2 per sample [N] from D's output ``out`` on inputs ``x`` (made with
    x.requires_grad), over all non-batch dims, differentiable (double backward)."""
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    # The norm is taken in fp32 so the penalty stays finite under mixed precision.
    return torch.linalg.vector_norm(grad.flatten(1).float(), dim=1)


def input_grad_norm(D, x: torch.Tensor) -> torch.Tensor:
    """||grad_x D(x)||_2 per sample: ``grad_norm`` of a forward pass of its own."""
    x = x.detach().requires_grad_(True)
    return grad_norm(D(x), x)


@REGULARIZERS.register("gradient_penalty")
class GradientPenalty(Regularizer):
    """Two-sided gradient penalty of WGAN-GP (Gulrajani et al. 2017, "Improved Training of WGANs").

    Adds weight * E_{x_hat}[(||grad D(x_hat)||_2 - target)^2] to the critic's loss, with x_hat on
    straight lines between real and generated samples (per-sample alpha, shape [N, 1, ..., 1]).
    Works for any input shape: images [N, C, H, W] with any C, or points [N, D].
    Logs ``gp`` (the unweighted penalty) and ``grad_norm`` (mean ||grad D(x_hat)||).
    """

    graph_safe = True

    differentiates_twice = ("D",)

    constrains_lipschitz = True

    def __init__(self, weight: Positive = 10.0, target: NonNegative = 1.0):
        if weight <= 0:
            raise GankitError(
                f"gradient_penalty.weight must be > 0, got {weight}; the paper uses 10"
            )
        self.weight, self.target = float(weight), float(target)

    def d_penalty(self, ctx: DStep):
        norm = input_grad_norm(ctx.D, interpolate(ctx.real, ctx.fake))
        gp = ((norm - self.target) ** 2).mean()
        return self.weight * gp, {"gp": gp.detach(), "grad_norm": norm.detach().mean()}
