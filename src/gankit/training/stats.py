"""Averaging training statistics between log points without a host sync every step."""

from __future__ import annotations

import torch


class RunningStats:
    """Sums detached scalar tensors on their device; ``flush`` syncs once and returns means."""

    def __init__(self):
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}

    def add(self, stats: dict[str, torch.Tensor]) -> None:
        for key, value in stats.items():
            value = value.detach().float()
            self._sums[key] = self._sums[key] + value if key in self._sums else value
            self._counts[key] = self._counts.get(key, 0) + 1

    def flush(self) -> dict[str, float]:
        if not self._sums:
            return {}
        keys = list(self._sums)
        means = torch.stack(
            [self._sums[k] / self._counts[k] for k in keys]
        ).tolist()  # the one sync
        self._sums.clear()
        self._counts.clear()
        return dict(zip(keys, means))

    def all_finite(self) -> bool:
        """True if nothing accumulated since the last flush is NaN/Inf (one host sync)."""
        return not self._sums or bool(torch.isfinite(torch.stack(list(self._sums.values()))).all())

    def state_dict(self) -> dict:
        return {"sums": dict(self._sums), "counts": dict(self._counts)}

    def load_state_dict(self, state: dict) -> None:
        self._sums, self._counts = dict(state["sums"]), dict(state["counts"])
