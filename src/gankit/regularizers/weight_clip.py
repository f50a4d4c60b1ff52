import torch

from gankit.checks import Positive
from gankit.errors import GankitError
from gankit.regularizers.base import REGULARIZERS, Regularizer


@REGULARIZERS.register("weight_clip")
class WeightClip(Regularizer):
    """Weight clipping of the original WGAN (Arjovsky et al. 2017, Algorithm 1, line 7).

    After every critic update, every parameter of D is clamped into [-clip, clip], which bounds
    the critic's Lipschitz constant (crudely). The paper uses clip = 0.01 with RMSProp.
    """

    graph_safe = True

    constrains_lipschitz = True

    def __init__(self, clip: Positive = 0.01):
        if clip <= 0:
            raise GankitError(f"weight_clip.clip must be > 0, got {clip}; the paper uses 0.01")
        self.clip = float(clip)

    @torch.no_grad()
    def after_d_step(self, D) -> None:
        for p in D.parameters():
            p.clamp_(-self.clip, self.clip)
