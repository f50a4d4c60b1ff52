"""The adversarial loss interface.

Every loss maps discriminator outputs (raw logits/critic values, shape [N]) to two scalars that
are *minimised*: ``d_loss`` by the discriminator, ``g_loss`` by the generator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.registry import Registry


class GANLoss:
    """Base class. ``real``/``fake`` are D's raw outputs on real and generated batches, shape [N]."""

    #: True when E[D(real)] - E[D(fake)] estimates a Wasserstein distance (logged as ``wdist``).
    estimates_wasserstein = False
    #: True when D's output is an energy (low on real data) rather than a score (high on real).
    expects_energy = False
    #: True when G's loss compares each fake with a real sample: ``g_loss(fake, real)``
    pairs_with_real = False

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


def generator_loss(loss: GANLoss, fake: torch.Tensor, real: torch.Tensor | None) -> torch.Tensor:
    """``loss.g_loss`` on D's outputs for fakes, and for reals when the loss pairs them."""
    return loss.g_loss(fake, real) if getattr(loss, "pairs_with_real", False) else loss.g_loss(fake)


def bce_d_loss(real: torch.Tensor, fake: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    """-E[t log D(x) + (1-t) log(1-D(x))] - E[log(1-D(G(z)))] with real target t = 1 - smoothing.

    Uses softplus on logits: -log(sigmoid(l)) = softplus(-l), -log(1-sigmoid(l)) = softplus(l).
    """
    t = 1.0 - label_smoothing
    real_term = t * F.softplus(-real) + (1.0 - t) * F.softplus(real)
    return real_term.mean() + F.softplus(fake).mean()


def check_smoothing(label_smoothing: float) -> float:
    if not 0.0 <= label_smoothing < 0.5:
        raise GankitError(
            f"label_smoothing must be in [0, 0.5), got {label_smoothing}; 0.1 is the usual choice"
        )
    return float(label_smoothing)


LOSSES: Registry[GANLoss] = Registry("loss")
