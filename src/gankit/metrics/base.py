"""The metric interface. A metric reads what it needs from an ``EvalContext`` (real and generated
samples, their features, logits) and returns named floats; the context computes each input
once, however many metrics share it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gankit.data import DataSource
from gankit.data.base import float_to_uint8
from gankit.errors import GankitError
from gankit.metrics.features import FeatureExtractor, extract
from gankit.metrics.stats import FeatureStats
from gankit.registry import Registry


class Metric:
    #: the key of the returned dict that ranks checkpoints, and which way is better
    primary: str
    higher_is_better = False

    def __call__(self, ctx: EvalContext) -> dict[str, float]:
        raise NotImplementedError


METRICS: Registry[Metric] = Registry("metric")


class EvalContext:
    """Lazily drawn samples and extracted features for one evaluation.

    real(n) and fake(n) return float samples in data space ([-1, 1] images or points); the
    extractor is built on first use; ``real_cache`` maps a key to stored real features.
    """

    def __init__(
        self,
        data: DataSource,
        real: Callable[[int], torch.Tensor],
        fake: Callable[[int], torch.Tensor],
        n: int,
        extractor: Callable[[], FeatureExtractor] | None = None,
        real_cache=None,
        batch: int = 100,
    ):
        self.data, self._draw, self.n, self.batch = data, {"real": real, "fake": fake}, n, batch
        self._make_extractor, self._extractor, self.real_cache = extractor, None, real_cache
        self._samples: dict[str, torch.Tensor] = {}
        self._stats: dict[str, FeatureStats] = {}
        self._logits: dict[str, np.ndarray] = {}
        #: samples actually used on each side (the real side may hold fewer than n)
        self.used: dict[str, int] = {}

    @property
    def sampler(self):
        """The generated side as a Sampler (draws given classes or codes), if it is one."""
        fake = self._draw["fake"]
        return fake if hasattr(fake, "latent") else None

    def conditional_sampler(self, metric: str):
        sampler = self.sampler
        if sampler is None or not sampler.latent.num_classes:
            raise GankitError(
                f"metric '{metric}' needs a class-conditional run (data.labels=true with "
                f"model.kind gan or acgan)"
            )
        return sampler

    @property
    def extractor(self) -> FeatureExtractor:
        if self._extractor is None:
            if self._make_extractor is None:
                raise GankitError(
                    "this metric needs image features, but no feature extractor was given"
                )
            self._extractor = self._make_extractor()
        return self._extractor

    def samples(self, which: str) -> torch.Tensor:
        if which not in self._samples:
            self._samples[which] = self._draw[which](self.n)
            self.used[which] = len(self._samples[which])
        return self._samples[which]

    def images(self, which: str) -> torch.Tensor:
        if not self.data.is_image:
            raise GankitError("this metric needs images; for toy data use --metrics modes")
        return float_to_uint8(self.samples(which))

    def stats(self, which: str) -> FeatureStats:
        if which not in self._stats:
            cache = self.real_cache if which == "real" else None
            features = cache.load(self.extractor.key, self.n) if cache else None
            if features is None:
                features = self._batched(which, self.extractor)
                if cache:
                    cache.save(self.extractor.key, self.n, features)
            self._stats[which] = FeatureStats.of(features)
            self.used[which] = len(features)
        return self._stats[which]

    def features(self, which: str) -> np.ndarray:
        return self.stats(which).features

    def logits(self, which: str) -> np.ndarray:
        if not self.extractor.has_logits:
            raise GankitError(
                f"the inception score needs class logits, which feature extractor "
                f"'{self.extractor.key}' does not provide (the packaged FID network stops at pool3); "
                f"use --extractor inception_logits"
            )
        if which not in self._logits:
            self._logits[which] = self._batched(which, self.extractor.logits)
        return self._logits[which]

    def _batched(self, which: str, fn) -> np.ndarray:
        return self.extract(self.images(which), fn, which)

    def extract(self, images: torch.Tensor, fn=None, label: str = "images") -> np.ndarray:
        """``fn`` (default: the feature extractor) over uint8 images [N, C, H, W], in batches,
        on the extractor's device; float32 [N, ...]."""
        return extract(self.extractor, images, fn, self.batch, label)


def parse_metrics(text: str | list[str]) -> list[str]:
    """Metric names from "fid,kid" or a list; an unknown name fails with a did-you-mean."""
    names = [m.strip() for m in text.split(",")] if isinstance(text, str) else list(text)
    for name in names:
        METRICS.get(name)  # unknown names fail here with "did you mean"
    return names
