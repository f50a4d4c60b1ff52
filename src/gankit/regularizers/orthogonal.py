import torch
from torch import nn

from gankit.checks import Positive
from gankit.regularizers.base import REGULARIZERS, GStep, Regularizer

#: layers whose weights are filter banks (an embedding's rows are not filters)
FILTER_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def off_diagonal_gram(weight: torch.Tensor) -> torch.Tensor:
    """||W W^T * (1 - I)||_F^2 for W = ``weight`` flattened to [filters, fan-in] (float32)."""
    w = weight.flatten(1).float()
    gram = w @ w.T
    return (gram - torch.diag_embed(torch.diagonal(gram))).pow(2).sum()


@REGULARIZERS.register("orthogonal")
class Orthogonal(Regularizer):
    """BigGAN's orthogonal regularisation (Brock et al. 2019, section 3.1): adds
    beta * sum_W ||W^T W * (1 - I)||_F^2 over G's convolution and linear weights to G's loss,
    with W's filters as its vectors. Unlike the full ||W^T W - I||^2 it leaves the filters'
    norms free and only decorrelates them, which made G amenable to the truncation trick.
    Logs ``ortho`` (the unweighted sum). The paper's beta: 1e-4."""

    graph_safe = True

    def __init__(self, weight: Positive = 1e-4):
        self.weight = float(weight)

    def g_penalty(self, ctx: GStep):
        layers = [m for m in ctx.G.modules() if isinstance(m, FILTER_LAYERS)]
        value = torch.stack([off_diagonal_gram(m.weight) for m in layers]).sum()
        return self.weight * value, {"ortho": value.detach()}
