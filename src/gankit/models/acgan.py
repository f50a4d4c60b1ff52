"""ACGAN (Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs")."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.checks import NonNegative
from gankit.errors import GankitError
from gankit.losses import GANLoss
from gankit.models.base import MODELS
from gankit.models.heads import HeadedGAN
from gankit.models.latent import Draw, Latent
from gankit.regularizers import Regularizer


@MODELS.register("acgan")
class ACGAN(HeadedGAN):
    """A class-conditional G(z, y) and an unconditional D with an auxiliary classifier
    C: D's features [N, F] -> class logits [N, K] (network ``C``, stepped with D).

    D's phase minimises its adversarial loss + ``weight`` * CE(C(f(x_real)), y_real), plus
    ``weight`` * CE(C(f(x_fake)), y_fake) with ``classify_fakes`` (the paper's L_C on both real
    and generated images). G's phase minimises its adversarial loss + ``weight`` *
    CE(C(f(G(z, y))), y). Needs labelled data.

    ``classify_fakes`` is off by default: trained on fakes too, C can learn a mapping of its own
    for generated images (D's features tell them apart), and G then satisfies C with one wrong
    digit per class. On MNIST that gave a class accuracy of 0.2 where the real-only classifier
    passes 0.95 (docs/conditional.md).
    """

    label_nets = ("G",)
    needs_labels = True
    optim_groups = {"G": "g", "D": "d", "C": "d"}

    def __init__(self, G: nn.Module, D: nn.Module, loss: GANLoss, regularizers: list[Regularizer],
                 latent: Latent, n_critic: int = 1, fuse_d: bool = True,
                 weight: NonNegative = 1.0, classify_fakes: bool = False):  # fmt: skip
        if not latent.num_classes:
            raise GankitError(
                "model.kind=acgan needs labelled data: set data.labels=true (a dataset with "
                "classes: class sub-folders, mnist, cifar10, ...)"
            )
        super().__init__(G, D, loss, regularizers, latent, n_critic, fuse_d)
        self.C = self.add_head("C", lambda features: nn.Linear(features, latent.num_classes))
        self.weight, self.classify_fakes = float(weight), bool(classify_fakes)

    def d_extra(self, loss, stats, draw: Draw, y, shared):
        f_real, f_fake = shared["features"]
        logits_real = self.C(f_real).float()
        ce = F.cross_entropy(logits_real, y)
        stats["d_class"] = ce.detach()
        stats["class_acc_real"] = (logits_real.argmax(1) == y).float().mean()
        if self.classify_fakes:
            ce = ce + F.cross_entropy(self.C(f_fake).float(), draw.y)
        return loss + self.weight * ce, stats

    def g_extra(self, loss, stats, draw: Draw, fake: torch.Tensor, shared):
        ce = F.cross_entropy(self.C(shared["g_features"]).float(), draw.y)
        stats["g_class"] = ce.detach()
        return loss + self.weight * ce, stats
