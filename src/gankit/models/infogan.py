"""InfoGAN (Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information
Maximizing Generative Adversarial Nets"; textbook 003, section 13.4.2)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gankit.checks import NonNegative, ints
from gankit.losses import GANLoss
from gankit.models.base import MODELS
from gankit.models.heads import HeadedGAN
from gankit.models.latent import Draw, Latent
from gankit.regularizers import Regularizer

CATEGORICAL, CONTINUOUS = (10,), 2  # the paper's MNIST codes


def mutual_information_terms(out: torch.Tensor, draw: Draw, latent: Latent):
    """The variational lower bound's losses from Q's output [N, sum(categorical) + continuous]:
    the summed cross-entropy of the categorical codes, and the summed Gaussian negative
    log-likelihood (unit variance) of the continuous codes; each a batch mean."""
    sizes = [*latent.categorical, latent.continuous]
    parts = out.float().split(sizes, dim=1)
    cat = sum((F.cross_entropy(p, draw.cat[:, i]) for i, p in enumerate(parts[:-1])),
              out.new_zeros(()))  # fmt: skip
    cont = out.new_zeros(())
    if latent.continuous:
        nll = 0.5 * (draw.cont - parts[-1]) ** 2 + 0.5 * math.log(2 * math.pi)
        cont = nll.sum(1).mean()
    return cat, cont


@MODELS.register("infogan")
class InfoGAN(HeadedGAN):
    """G reads z [N, z_dim] and codes c: ``categorical`` one-hot codes (e.g. one 10-way) and
    ``continuous`` codes ~ U(-1, 1). Q, a head on D's features ([N, F] -> 128 -> code logits
    and means), predicts c from G(z, c). The mutual-information lower bound L_I (cross-entropy
    for categorical codes, Gaussian NLL for continuous ones, weighted by ``continuous_weight``)
    is added with weight ``weight`` (lambda) to D/Q's objective (phase d, on the fakes) and to
    G's (phase g), as in the paper: min_{G,Q} max_D V(D, G) - lambda L_I(G, Q).
    """

    label_nets = ()
    optim_groups = {"G": "g", "D": "d", "Q": "d"}

    def __init__(self, G: nn.Module, D: nn.Module, loss: GANLoss, regularizers: list[Regularizer],
                 latent: Latent, n_critic: int = 1, fuse_d: bool = True,
                 categorical: tuple[ints(2, 1000), ...] = CATEGORICAL,
                 continuous: ints(0, 100) = CONTINUOUS, weight: NonNegative = 1.0,
                 continuous_weight: NonNegative = 0.1):  # fmt: skip
        super().__init__(G, D, loss, regularizers, latent, n_critic, fuse_d)
        width = sum(latent.categorical) + latent.continuous
        self.Q = self.add_head("Q", lambda f: nn.Sequential(
            nn.Linear(f, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2), nn.Linear(128, width)))  # fmt: skip
        self.weight, self.continuous_weight = float(weight), float(continuous_weight)

    @classmethod
    def make_latent(cls, z_dim: int, num_classes: int, args: dict) -> Latent:
        categorical = tuple(args.get("categorical", CATEGORICAL))
        return Latent(z_dim, 0, categorical, int(args.get("continuous", CONTINUOUS)))

    def info_loss(self, features: torch.Tensor, draw: Draw, prefix: str, stats: dict):
        cat, cont = mutual_information_terms(self.Q(features), draw, self.latent)
        stats[f"{prefix}_cat"], stats[f"{prefix}_cont"] = cat.detach(), cont.detach()
        return self.weight * (cat + self.continuous_weight * cont)

    def d_extra(self, loss, stats, draw: Draw, y, shared):
        return loss + self.info_loss(shared["features"][1], draw, "q", stats), stats

    def g_extra(self, loss, stats, draw: Draw, fake: torch.Tensor, shared):
        return loss + self.info_loss(shared["g_features"], draw, "info", stats), stats
