"""GANs with extra heads on the discriminator's features (ACGAN's classifier, InfoGAN's Q)."""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.gan import GAN


class HeadedGAN(GAN):
    """A GAN whose D phase also steps heads that read D's penultimate features f(x) [N, F].

    D's body runs once per batch: the scores come from ``D.head(f)``, and the features of the
    batches are kept for the heads in the iteration's ``shared`` entries (``features`` in the d
    phase: (real, fake); ``g_features`` in the g phase). Heads are named networks trained in
    phase d together with D.
    """

    def add_head(self, name: str, make) -> nn.Module:
        D = self.D
        if not hasattr(D, "embed") or not hasattr(D, "feature_dim"):
            raise GankitError(
                f"model.kind={self.registered_name} puts a head on the discriminator's features, "
                f"which '{type(D).__name__}' does not expose; use discriminator dcgan, resnet or mlp"
            )
        if getattr(D, "pack", 1) > 1:
            raise GankitError(
                f"model.kind={self.registered_name} reads D's features per sample, but "
                f"regularizers.pack makes them per pack; drop one of them"
            )
        head = make(D.feature_dim).to(next(D.parameters()).device)
        self.networks[name] = head
        self.phases = [
            replace(p, trains=(*p.trains, name)) if p.name == "d" else p for p in self.phases
        ]
        return head

    def d_outputs(self, real, fake, y, shared):
        f_real, f_fake = self.D.embed(real), self.D.embed(fake)
        shared["features"] = (f_real, f_fake)
        return self.D.head(f_real).flatten().float(), self.D.head(f_fake).flatten().float()

    def g_scores(self, D, fake: torch.Tensor, shared: dict) -> torch.Tensor:
        shared["g_features"] = D.embed(fake)
        return D.head(shared["g_features"]).flatten().float()
