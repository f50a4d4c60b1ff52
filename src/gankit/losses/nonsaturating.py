import torch
import torch.nn.functional as F

from gankit.checks import floats
from gankit.losses.base import LOSSES, GANLoss, bce_d_loss, check_smoothing


@LOSSES.register("nonsaturating")
class NonSaturatingLoss(GANLoss):
    """Non-saturating GAN (Goodfellow et al. 2014, section 3; the DCGAN loss).

    D minimises the same cross-entropy as the minimax game (real target 1 - label_smoothing);
    G minimises -E_z[log D(G(z))], which has strong gradients exactly where the saturating
    loss has none. Inputs: logits of shape [N].
    """

    def __init__(self, label_smoothing: floats(0, 0.5, hi_open=True) = 0.0):
        self.label_smoothing = check_smoothing(label_smoothing)

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return bce_d_loss(real, fake, self.label_smoothing)

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        # -log(sigmoid(l)) = softplus(-l)
        return F.softplus(-fake).mean()
