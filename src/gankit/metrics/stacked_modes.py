import torch

from gankit.data.base import float_to_uint8
from gankit.data.stacked_mnist import StackedMNIST
from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric
from gankit.metrics.mnist_classifier import load_classifier, read_digits
from gankit.metrics.modes import kl_to_uniform


def digit_triples(images: torch.Tensor, classifier, batch: int = 1000) -> torch.Tensor:
    """uint8 [N, 3, H, W] -> mode ids 100*R + 10*G + B, each channel read by ``classifier``."""
    modes = []
    for chunk in images.split(batch):
        x = chunk.float().div(127.5).sub(1).flatten(0, 1).unsqueeze(1)  # [3N, 1, H, W]
        d = read_digits(classifier, x, 3 * batch).view(-1, 3)
        modes.append(d[:, 0] * 100 + d[:, 1] * 10 + d[:, 2])
    return torch.cat(modes)


def mode_histogram_stats(modes: torch.Tensor, k: int = 1000) -> dict[str, float]:
    """Modes found, KL of the mode histogram to uniform, and ``stacked_kl_digits``: the sum over
    the three channels of each channel's digit histogram's KL to uniform. The gap between the two
    KLs is the total correlation of the channels, so when they are close, the imbalance is in how
    often each digit is drawn, not in which digits are drawn together."""
    counts = torch.bincount(modes, minlength=k).double().numpy()
    digits = (modes // 100, modes // 10 % 10, modes % 10)
    per_digit = sum(kl_to_uniform(torch.bincount(d, minlength=10).double().numpy()) for d in digits)
    return {"stacked_modes": float((counts > 0).sum()), "stacked_kl": kl_to_uniform(counts),
            "stacked_kl_digits": per_digit}  # fmt: skip


@METRICS.register("stacked_modes")
class StackedModes(Metric):
    """Modes of Stacked MNIST (Metz et al. 2017) found among generated samples (of 1,000), and
    KL(q || uniform) of their histogram, read by gankit's own MNIST classifier (>= 99% test
    accuracy, trained once and cached). The protocol uses n = 26,000 samples.

    Checkpoints rank by the KL, lower is better: a run finds all 1,000 modes early and the count
    then ties, so ranking by it kept the first such checkpoint as best.pt even when the run went
    on to balance its modes better (or collapsed); a lost mode raises the KL too."""

    primary, higher_is_better = "stacked_kl", False

    def __call__(self, ctx):
        if not isinstance(ctx.data, StackedMNIST):
            raise GankitError("metric 'stacked_modes' needs a run on the stacked_mnist dataset")
        classifier = load_classifier(ctx.data.path)
        return mode_histogram_stats(digit_triples(float_to_uint8(ctx.samples("fake")), classifier))
