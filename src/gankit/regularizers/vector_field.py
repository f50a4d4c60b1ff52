"""The players' gradient field, as a differentiable quantity (for consensus optimisation and
locally stable GD, which penalise its norm).

v = (grad_phi L_D, grad_theta L_G): what simultaneous gradient descent follows. Both helpers
build the graph (create_graph=True) so the squared norm can itself be differentiated.
"""

from __future__ import annotations

import torch
from torch import nn

from gankit.losses.base import generator_loss
from gankit.regularizers.base import trainable


def squared_grad_norm(loss: torch.Tensor, module: nn.Module) -> torch.Tensor:
    """||d loss / d params(module)||^2, differentiable (zero for parameters loss does not touch)."""
    params = [p for p in module.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params, create_graph=True, allow_unused=True)
    return sum(
        (g.pow(2).sum() for g in grads if g is not None), torch.zeros((), device=loss.device)
    )


def player_losses(D: nn.Module, G: nn.Module, loss, real: torch.Tensor, z: torch.Tensor):
    """(L_D, L_G) at the current point, with G's graph (fake = G(z) is not detached)."""
    fake_out, real_out = D(G(z)), D(real)
    return loss.d_loss(real_out, fake_out), generator_loss(loss, fake_out, real_out)


def d_field_norm(
    D: nn.Module, G: nn.Module, loss, real: torch.Tensor, z: torch.Tensor
) -> torch.Tensor:
    """||grad_phi L_D||^2, differentiable w.r.t. both players (D is unfrozen while it is built)."""
    with trainable(D):
        d_loss, _ = player_losses(D, G, loss, real, z)
        return squared_grad_norm(d_loss, D)


def field_norm(
    D: nn.Module, G: nn.Module, loss, real: torch.Tensor, z: torch.Tensor
) -> torch.Tensor:
    """||v||^2 = ||grad_phi L_D||^2 + ||grad_theta L_G||^2, differentiable w.r.t. both players."""
    with trainable(D), trainable(G):
        d_loss, g_loss = player_losses(D, G, loss, real, z)
        return squared_grad_norm(d_loss, D) + squared_grad_norm(g_loss, G)


def step_noise(ctx) -> torch.Tensor:
    """The G step's own noise (the paper's minibatch); fresh noise where a caller gave none."""
    return ctx.z if ctx.z is not None else ctx.sample_z(len(ctx.real))
