import torch
import torch.nn.functional as F

from gankit.checks import Positive
from gankit.errors import GankitError
from gankit.losses.base import LOSSES, GANLoss


@LOSSES.register("ebgan")
class EBGANLoss(GANLoss):
    """Energy-based GAN (Zhao, Mathieu & LeCun 2017): D(x) >= 0 is an energy, the reconstruction
    error of an autoencoder discriminator (``--set model.discriminator.name=autoencoder``).

    d_loss = E_x[D(x)] + E_z[max(0, margin - D(G(z)))]
    g_loss = E_z[D(G(z))]
    Inputs are energies, shape [N]; low means real. D only pushes fakes up to ``margin``.
    """

    expects_energy = True

    def __init__(self, margin: Positive = 1.0):
        if margin <= 0:
            raise GankitError(f"ebgan.margin must be > 0, got {margin}")
        self.margin = float(margin)

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return real.mean() + F.relu(self.margin - fake).mean()

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return fake.mean()
