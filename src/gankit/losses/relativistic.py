import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.losses.base import LOSSES, GANLoss


@LOSSES.register("relativistic")
class RelativisticPairingLoss(GANLoss):
    """Relativistic pairing GAN (RpGAN; Jolicoeur-Martineau 2019), the loss of R3GAN (Huang et
    al. 2024, "The GAN is dead; long live the GAN! A Modern GAN Baseline"):

        d_loss = E[softplus(-(D(x) - D(G(z))))]      g_loss = E[softplus(-(D(G(z)) - D(x)))]

    each fake paired with one real sample (the i-th of each batch). D judges whether a real
    sample looks more real than a fake one, not whether each is real; with R1 and R2 (the
    paper's pairing of penalties) its training is locally convergent. G's phase needs real
    scores, so it reads the last real batch. Inputs: D's logits [N] for reals and fakes.
    """

    pairs_with_real = True

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(-(real - _paired(real, fake))).mean()

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        if real is None:
            raise GankitError(
                "the relativistic loss pairs every fake with a real sample; pass D(x)"
            )
        return F.softplus(-(fake - _paired(fake, real))).mean()


def _paired(like: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """``other``, checked to pair one to one with ``like``."""
    if other.shape != like.shape:
        raise GankitError(
            f"the relativistic loss pairs samples one to one, but got scores of shapes "
            f"{tuple(like.shape)} and {tuple(other.shape)}"
        )
    return other
