import numpy as np
from scipy.special import log_softmax

from gankit.checks import ints
from gankit.metrics.base import METRICS, Metric


def inception_score(logits: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) || p(y))) per split; mean and std over the splits."""
    logp = log_softmax(np.asarray(logits, np.float64), axis=1)
    scores = []
    for part in np.array_split(logp, splits):
        marginal = np.log(np.exp(part).mean(0))
        scores.append(np.exp((np.exp(part) * (part - marginal)).sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


@METRICS.register("is")
class InceptionScore(Metric):
    """Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs") on
    generated samples only, 10 splits. Higher is better. Needs an extractor with class logits."""

    primary, higher_is_better = "is", True

    def __init__(self, splits: ints(1, 1000) = 10):
        self.splits = splits

    def __call__(self, ctx):
        mean, std = inception_score(ctx.logits("fake"), self.splits)
        return {"is": mean, "is_std": std}
