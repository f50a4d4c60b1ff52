"""The Dirac GAN (Mescheder et al. 2018): data at 0, G(z) = theta, D(x) = psi * x. The only
equilibrium is theta = psi = 0. Plain gradient descent circles it; R1, the WGAN-GP-style
penalties around real data, consensus optimisation and locally stable GD make it converge.
Run through the real Trainer."""

import math

import pytest
import torch
from torch import nn

from gankit.data import DATASETS
from gankit.losses import LOSSES
from gankit.models import GAN, Latent
from gankit.regularizers import REGULARIZERS
from gankit.training.trainer import Trainer


class Dirac(nn.Module):
    def __init__(self, theta: float):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([theta]))

    def forward(self, z):
        return self.theta.expand(len(z), 1)


class Linear(nn.Module):
    def __init__(self, psi: float):
        super().__init__()
        self.psi = nn.Parameter(torch.tensor([psi]))

    def forward(self, x):
        return (self.psi * x).flatten()


def run(regularizers, steps=3000, lr=0.05, loss="minimax"):
    torch.manual_seed(0)
    G, D = Dirac(1.0), Linear(0.0)
    regs = [REGULARIZERS.build(name, **args) for name, args in regularizers.items()]
    model = GAN(G, D, LOSSES.build(loss), regs, Latent(1))
    optimizers = {
        "G": torch.optim.SGD(G.parameters(), lr),
        "D": torch.optim.SGD(D.parameters(), lr),
    }
    data = DATASETS.build("gaussian1d", means=[0.0], std=1e-6)
    trainer = Trainer(model, optimizers, data, torch.device("cpu"), batch_size=8, ema=None, seed=0)
    radii = []
    for _ in range(steps):
        trainer.train_step()
        radii.append(math.hypot(G.theta.item(), D.psi.item()))
    return radii


def test_plain_gradient_descent_does_not_converge():
    radii = run({})
    assert min(radii[-500:]) > 0.5  # still circling far from the equilibrium


@pytest.mark.parametrize(
    "name,args",
    [
        ("r1", {"weight": 1.0}),
        ("gradient_penalty", {"weight": 1.0, "target": 0.0}),
        ("consensus", {"weight": 1.0}),
        ("locally_stable", {"weight": 1.0}),
    ],
)
def test_stabilisers_converge_where_plain_gd_circles(name, args):
    radii = run({name: args}, steps=1000)
    assert radii[-1] < 0.05 and radii[-1] < radii[0] / 20


def test_relativistic_loss_with_r1_and_r2_converges():
    """R3GAN's pairing: RpGAN with both penalties reaches the equilibrium; alone it circles."""
    alone = run({}, steps=1000, loss="relativistic")
    assert min(alone[-300:]) > 0.3  # still circling
    radii = run({"r1": {"weight": 1.0}, "r2": {"weight": 1.0}}, steps=1000, loss="relativistic")
    assert radii[-1] < 0.05 and radii[-1] < radii[0] / 20
