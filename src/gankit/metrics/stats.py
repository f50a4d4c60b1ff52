"""Streaming float64 feature statistics: the mean and covariance do not depend on batch size."""

from __future__ import annotations

import numpy as np


class FeatureStats:
    """Accumulates sum(x) and sum(x x^T) in float64, and keeps the features for KID/PR."""

    def __init__(self, dim: int):
        self.n, self.sum, self.outer = 0, np.zeros(dim), np.zeros((dim, dim))
        self.chunks: list[np.ndarray] = []

    def add(self, features: np.ndarray) -> None:
        x = np.asarray(features, dtype=np.float64)
        self.n += len(x)
        self.sum += x.sum(0)
        self.outer += x.T @ x
        self.chunks.append(np.asarray(features, dtype=np.float32))

    @property
    def features(self) -> np.ndarray:
        return (
            np.concatenate(self.chunks) if self.chunks else np.zeros((0, len(self.sum)), np.float32)
        )

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and unbiased covariance (divides by n - 1)."""
        mu = self.sum / self.n
        cov = (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)
        return mu, cov

    @classmethod
    def of(cls, features: np.ndarray, batch: int = 1000) -> FeatureStats:
        stats = cls(features.shape[1])
        for i in range(0, len(features), batch):
            stats.add(features[i : i + batch])
        return stats
