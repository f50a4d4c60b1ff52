import torch

from gankit.losses.base import LOSSES, GANLoss


@LOSSES.register("wasserstein")
class WassersteinLoss(GANLoss):
    """Wasserstein GAN (Arjovsky et al. 2017, "Wasserstein GAN"; Kantorovich-Rubinstein duality).

    The critic f (no sigmoid) maximises E_x[f(x)] - E_z[f(G(z))], so it minimises
    d_loss = E[f(G(z))] - E[f(x)]; G minimises -E[f(G(z))]. The objective is a distance only if
    f is kept 1-Lipschitz: pair it with the ``weight_clip`` or ``gradient_penalty`` regulariser.
    Inputs: critic values of shape [N]. -d_loss is the critic's estimate of W1 (logged as wdist).
    """

    estimates_wasserstein = True

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return fake.mean() - real.mean()

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()
