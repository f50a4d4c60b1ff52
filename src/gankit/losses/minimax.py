import torch
import torch.nn.functional as F

from gankit.checks import floats
from gankit.losses.base import LOSSES, GANLoss, bce_d_loss, check_smoothing


@LOSSES.register("minimax")
class MinimaxLoss(GANLoss):
    """The original GAN game (Goodfellow et al. 2014, "Generative Adversarial Nets").

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], D = sigmoid(logit).
    D minimises -V (binary cross-entropy, real target 1 - label_smoothing: one-sided smoothing,
    Salimans et al. 2016); G minimises the *saturating* E_z[log(1 - D(G(z)))], whose gradient
    vanishes when D confidently rejects fakes. At D = 1/2 everywhere, V = -2 log 2.
    Inputs: logits of shape [N].
    """

    def __init__(self, label_smoothing: floats(0, 0.5, hi_open=True) = 0.0):
        self.label_smoothing = check_smoothing(label_smoothing)

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return bce_d_loss(real, fake, self.label_smoothing)

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        # log(1 - sigmoid(l)) = -softplus(l)
        return -F.softplus(fake).mean()
