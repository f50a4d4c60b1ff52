"""Classifiers that read a sample's class, by dataset name: what the class-wise metrics
(class_accuracy, code_purity) compare generated samples with. Each entry builds, from the data
source, a function float samples in data space [N, ...] -> int64 classes [N]. None downloads."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from gankit.data import DataSource
from gankit.data.base import float_to_uint8
from gankit.errors import GankitError
from gankit.metrics.mnist_classifier import load_classifier, read_digits
from gankit.metrics.stacked_modes import digit_triples
from gankit.registry import Registry

Classify = Callable[[torch.Tensor], torch.Tensor]
CLASSIFIERS: Registry[Classify] = Registry("classifier")


def classifier_for(data: DataSource) -> tuple[Classify, dict[str, float]]:
    """The dataset's classifier and facts to report beside the metric: a bundled one by name,
    else one trained on the run's own labelled images (its held-out accuracy reported)."""
    name = getattr(data, "registered_name", type(data).__name__)
    if name in CLASSIFIERS:
        return CLASSIFIERS.get(name)(data), {}
    if getattr(data, "labels", None) is None:
        raise GankitError(
            f"no classifier reads the classes of dataset '{name}': class_accuracy and "
            f"code_purity work on {', '.join(CLASSIFIERS.names())}, or on labelled data "
            f"(data.labels=true), where gankit trains one"
        )
    from gankit.metrics.learned_classifier import learned_classifier

    classify, accuracy = learned_classifier(data)
    return classify, {"classifier_heldout_accuracy": accuracy}


def _mnist(data) -> Classify:
    """gankit's own MNIST CNN (>= 99% test accuracy, trained once from the local copy, cached)."""
    net = load_classifier(str(data.root))
    return lambda x: read_digits(net, x[:, :1])


def _stacked_mnist(data) -> Classify:
    """The digit of each channel, read by the MNIST CNN: 100 * R + 10 * G + B."""
    net = load_classifier(str(data.path))
    return lambda x: digit_triples(float_to_uint8(x), net)


def _digits(data) -> Classify:
    """Logistic regression on scikit-learn's 8x8 digits (about 96% held-out accuracy), reading
    samples average-pooled back to 8x8."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    digits = load_digits()
    model = LogisticRegression(max_iter=2000).fit(digits.data / 16.0, digits.target)

    def classify(x):
        small = F.adaptive_avg_pool2d(x[:, :1].float(), 8).flatten(1)
        return torch.as_tensor(model.predict(((small + 1) / 2).numpy()), dtype=torch.int64)

    return classify


def _nearest_mode(data) -> Classify:
    """The index of the mixture component nearest to each point."""
    return lambda x: torch.cdist(x.float(), data.modes).argmin(1)


for _name, _build in {
    "mnist": _mnist,
    "stacked_mnist": _stacked_mnist,
    "digits": _digits,
    "ring": _nearest_mode,
    "grid": _nearest_mode,
    "gaussian1d": _nearest_mode,
}.items():
    CLASSIFIERS.add(_name, _build)


def confusion(pred: torch.Tensor, truth: torch.Tensor, rows: int, cols: int) -> np.ndarray:
    """counts[i, j] of samples with truth i read as j."""
    flat = truth.long() * cols + pred.long()
    return torch.bincount(flat, minlength=rows * cols).view(rows, cols).numpy()
