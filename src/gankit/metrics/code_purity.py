import torch
from scipy.optimize import linear_sum_assignment

from gankit.errors import GankitError
from gankit.metrics.base import METRICS, Metric
from gankit.metrics.classifiers import classifier_for, confusion


def purity(counts) -> tuple[float, list[int]]:
    """counts[v, c]: samples of code value v read as class c. The best one-to-one assignment of
    values to classes (Hungarian method) and the share of samples it matches."""
    rows, cols = linear_sum_assignment(counts, maximize=True)
    assigned = [-1] * counts.shape[0]
    for r, c in zip(rows, cols):
        assigned[r] = int(c)
    return float(counts[rows, cols].sum() / counts.sum()), assigned


@METRICS.register("code_purity")
class CodePurity(Metric):
    """For InfoGAN: how well the first categorical code (cat0) picks the class. n // V samples
    are drawn for each of its V values; each value is assigned one class by the best
    one-to-one matching (scipy's linear_sum_assignment) of the classifier's readings, and the
    share of samples whose class matches their value's is reported. Higher is better."""

    primary, higher_is_better = "code_purity", True

    def __call__(self, ctx):
        sampler = ctx.sampler
        if sampler is None or not getattr(sampler.latent, "categorical", ()):
            raise GankitError("code_purity needs an InfoGAN run with a categorical code")
        (classify, facts), values = classifier_for(ctx.data), sampler.latent.categorical[0]
        per = max(ctx.n // values, 1)
        preds = [classify(sampler.draw(per, fixed={"cat0": v})) for v in range(values)]
        truth = torch.arange(values).repeat_interleave(per)
        pred = torch.cat(preds)
        classes = max(values, int(pred.max()) + 1)
        score, _ = purity(confusion(pred, truth, values, classes))
        return {"code_purity": score, **facts}
