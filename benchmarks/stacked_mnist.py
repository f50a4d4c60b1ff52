"""Stacked MNIST evidence: the self-trained classifier's test accuracy and the mode count of real
Stacked MNIST data (should be close to 1,000). Prints one JSON line.

    python benchmarks/stacked_mnist.py --data ../shared/data/mnist [--n 26000]
"""

import argparse
import json
import time

from gankit.data import DATASETS
from gankit.metrics.mnist_classifier import CACHE, MNIST, _labels, accuracy, load_classifier
from gankit.metrics.stacked_modes import digit_triples, mode_histogram_stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="MNIST root (holds MNIST/raw)")
    ap.add_argument("--n", type=int, default=26000)
    ap.add_argument("--cache", default=CACHE, help="where the trained classifier is kept")
    ap.add_argument("--min-accuracy", type=float, default=0.99, help="0: the smoke test's blobs")
    args = ap.parse_args()
    t0 = time.perf_counter()
    classifier = load_classifier(args.data, args.cache, args.min_accuracy)
    trained_s = time.perf_counter() - t0
    test = MNIST(args.data, resolution=28, channels=1, train=False).images
    acc = accuracy(classifier, test, _labels(args.data, False))
    real = DATASETS.build("stacked_mnist", path=args.data, resolution=32, n=args.n, seed=1)
    stats = mode_histogram_stats(digit_triples(real.images, classifier))
    print(
        json.dumps(
            {
                "classifier_test_accuracy": acc,
                "classifier_seconds": round(trained_s, 1),
                "classifier_cache": args.cache,
                "real_samples": args.n,
                **stats,
            }
        )
    )


if __name__ == "__main__":
    main()
