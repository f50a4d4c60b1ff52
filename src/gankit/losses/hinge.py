import torch
import torch.nn.functional as F

from gankit.losses.base import LOSSES, GANLoss


@LOSSES.register("hinge")
class HingeLoss(GANLoss):
    """Hinge loss (Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018, SNGAN).

    d_loss = E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]
    g_loss = -E_z[D(G(z))]
    D outputs raw values, shape [N]. Usually paired with spectral normalisation in D.
    """

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()
