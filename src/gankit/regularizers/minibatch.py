"""Layers that let D look at a whole batch, so a collapsed generator (all samples alike) is
easy to tell from real data. Each replaces D's linear head with [features, batch statistics]
-> linear. Two registered regularisers: minibatch_discrimination and minibatch_stddev."""

import math

import torch
from torch import nn

from gankit.checks import ints
from gankit.errors import GankitError
from gankit.nets.base import Discriminator
from gankit.regularizers.base import REGULARIZERS, Regularizer


class MinibatchDiscriminationLayer(nn.Module):
    """f [N, A] -> [f, o] [N, A + B]: M = f T reshaped [N, B, C];
    o_b(x_i) = sum_j exp(-||M_i,b - M_j,b||_1) over the other samples j of the batch."""

    mixes_batch = True

    def __init__(self, in_features: int, kernels: int, kernel_dim: int):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(
            torch.randn(in_features, kernels * kernel_dim) / math.sqrt(in_features)
        )

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        M = (f @ self.T).view(-1, self.kernels, self.kernel_dim).transpose(0, 1)  # [B, N, C]
        l1 = torch.cdist(M, M, p=1)  # [B, N, N]; ~4x faster than broadcasting, forward and backward
        o = torch.exp(-l1).sum(2).t() - 1.0  # [N, B], leaving out j = i (exp(0) = 1)
        return torch.cat([f, o], dim=1)


class MinibatchStdDevLayer(nn.Module):
    """f [N, F] -> [f, s] [N, F + 1]: s is the standard deviation of each feature over a group
    of ``group`` samples, averaged over features (ProGAN's layer, on D's feature vector)."""

    mixes_batch = True

    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        n = f.shape[0]
        g = math.gcd(self.group, n)  # groups must tile the batch
        std = (f.view(g, n // g, -1).var(0, unbiased=False) + 1e-8).sqrt()  # [n/g, F]
        s = std.mean(1).repeat(g)  # sample i belongs to group slot i mod n/g
        return torch.cat([f, s.unsqueeze(1)], dim=1)


def replace_head(D, name: str, layer: nn.Module, extra: int) -> None:
    if not isinstance(D, Discriminator):
        raise GankitError(
            f"{name} needs a discriminator with features (dcgan, textbook, mlp), "
            f"not {type(D).__name__}"
        )
    D.head = nn.Sequential(layer, nn.Linear(D.feature_dim + extra, 1))


@REGULARIZERS.register("minibatch_discrimination")
class MinibatchDiscrimination(Regularizer):
    """Minibatch discrimination (Salimans et al. 2016): D's head also sees, per sample, B
    closeness scores to the rest of its batch (``kernels`` = B, ``kernel_dim`` = C). Real and
    fake batches go through D separately, so the scores compare like with like."""

    graph_safe = True

    edits_architecture = True

    def __init__(self, kernels: ints(1, 4096) = 50, kernel_dim: ints(1, 1024) = 5):
        if kernels < 1 or kernel_dim < 1:
            raise GankitError(
                f"minibatch_discrimination needs kernels, kernel_dim >= 1, got {kernels}, {kernel_dim}"
            )
        self.kernels, self.kernel_dim = int(kernels), int(kernel_dim)

    def prepare(self, G, D) -> None:
        layer = MinibatchDiscriminationLayer(
            D.feature_dim if isinstance(D, Discriminator) else 1, self.kernels, self.kernel_dim
        )
        replace_head(D, "minibatch_discrimination", layer, self.kernels)


@REGULARIZERS.register("minibatch_stddev")
class MinibatchStdDev(Regularizer):
    """Minibatch standard deviation (Karras et al. 2018, ProGAN): D's head also sees the mean
    over features of each feature's standard deviation within groups of ``group`` samples."""

    graph_safe = True

    edits_architecture = True

    def __init__(self, group: ints(1, 4096) = 4):
        if group < 1:
            raise GankitError(f"minibatch_stddev.group must be >= 1, got {group}")
        self.group = int(group)

    def prepare(self, G, D) -> None:
        replace_head(D, "minibatch_stddev", MinibatchStdDevLayer(self.group), 1)
