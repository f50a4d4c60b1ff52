"""What an image-to-image translation model adds to a Model: named domains and ``translate``.

Batches come from a domain data source (``gankit.data.domains``): x [N, C, S, S] with the same
number of images of every domain, y [N] the domain of each. A translation model builds its own
networks from its options (``model.kind``) and the data's shape and domain names; it has no
generator to sample from, so pictures, metrics and ``gankit translate`` go through
``translate``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.losses import GANLoss
from gankit.models.base import Model, Phase


def l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference, the reconstruction distance of CycleGAN and StarGAN v2."""
    return F.l1_loss(a.float(), b.float())


class Translation(Model):
    """Base of translation models. Subclasses set ``networks``, ``phases`` and write
    ``objective`` and ``translate``."""

    sampler = None  # nothing draws from noise alone
    #: True if a translation takes a style (from noise or a reference image), as StarGAN v2's
    multimodal = False
    #: whether translating a domain to itself changes anything (a new style: StarGAN v2); a
    #: CycleGAN has no network for it and would hand the input back
    translates_within_domain = False

    def __init__(self, networks: dict[str, nn.Module], phases: list[Phase], style_dim: int,
                 shape: tuple[int, ...], domains: list[str], loss: GANLoss):  # fmt: skip
        super().__init__(networks, phases, None)
        self.shape, self.domains, self.loss = tuple(shape), list(domains), loss
        #: the size of the noise a multimodal model draws a style from (0: it takes none)
        self.style_dim = style_dim

    def translate(self, nets: dict[str, nn.Module], x: torch.Tensor, src: torch.Tensor,
                  dst: torch.Tensor, z: torch.Tensor | None = None,
                  ref: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """Images x [N, C, S, S] of domains src [N] as domains dst [N]. A multimodal model draws
        the style from noise z [N, latent] or from reference images ``ref`` of domains dst."""
        raise NotImplementedError

    def style_noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """z [n, style_dim] on the CPU for n translations; a model without styles gets one unused
        column, so that seeded pictures and metrics draw the same numbers for every kind."""
        return torch.randn(n, max(1, self.style_dim), generator=generator)

    def split(self, batch_x: torch.Tensor) -> list[torch.Tensor]:
        """A balanced batch [K*n, ...] into its K per-domain parts."""
        return list(batch_x.chunk(len(self.domains)))

    def state_dict(self) -> dict:
        return {"domains": self.domains}

    def load_state_dict(self, state: dict) -> None:
        pass

    @staticmethod
    def check_options(shape: tuple[int, ...], domains: list[str], **options) -> None:
        """Refuse a data shape or domain count the model cannot handle (GankitError)."""
