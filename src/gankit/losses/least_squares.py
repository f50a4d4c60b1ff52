import torch

from gankit.checks import Finite
from gankit.losses.base import LOSSES, GANLoss


@LOSSES.register("least_squares")
class LeastSquaresLoss(GANLoss):
    """Least-squares GAN (Mao et al. 2017, "Least Squares Generative Adversarial Networks").

    d_loss = 1/2 E_x[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2]
    g_loss = 1/2 E_z[(D(G(z)) - c)^2]
    a: target for fakes, b: target for reals, c: the value G wants D to believe for fakes.
    Defaults a=0, b=1, c=1 (the paper's 0-1 coding); a=-1, b=1, c=0 minimises the Pearson
    chi^2 divergence. D outputs raw values (no sigmoid), shape [N].
    """

    def __init__(self, a: Finite = 0.0, b: Finite = 1.0, c: Finite = 1.0):
        self.a, self.b, self.c = float(a), float(b), float(c)

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real - self.b) ** 2).mean() + 0.5 * ((fake - self.a) ** 2).mean()

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake - self.c) ** 2).mean()
