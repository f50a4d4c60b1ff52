"""What a generator reads: noise, InfoGAN's codes and a class label, drawn together.

G's input is z ~ N(0, I) [N, z_dim] followed by the one-hot categorical codes and the continuous
codes (uniform in [-1, 1]) [N, code_dim]; a class-conditional G also reads y [N]. Codes are named
``cat0, cat1, ...`` (categorical) and ``c0, c1, ...`` (continuous), as `gankit sample --code`
and `--traverse` address them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F

from gankit.errors import GankitError


class Draw(NamedTuple):
    """One draw of G's inputs: ``z`` [N, Latent.dim] (noise and codes), ``y`` [N] or None, and
    the codes behind ``z``: ``cat`` [N, n_categorical] int64, ``cont`` [N, n_continuous]."""

    z: torch.Tensor
    y: torch.Tensor | None = None
    cat: torch.Tensor | None = None
    cont: torch.Tensor | None = None

    def split(self, size: int) -> list[Draw]:
        parts = [t.split(size) if t is not None else None for t in self]
        return [
            Draw(*(p[i] if p is not None else None for p in parts)) for i in range(len(parts[0]))
        ]

    def to(self, device) -> Draw:
        return Draw(*(t.to(device) if t is not None else None for t in self))


def run_generator(net, draw: Draw) -> torch.Tensor:
    """G's samples for ``draw``: G(z), or G(z, y) for a class-conditional G."""
    return net(draw.z) if draw.y is None else net(draw.z, draw.y)


@dataclass(frozen=True)
class Latent:
    """The generator's inputs of a run (saved in its checkpoints as ``latent``)."""

    z_dim: int
    num_classes: int = 0  # labels G is conditioned on; 0: unconditional
    categorical: tuple[int, ...] = ()  # InfoGAN: values of each categorical code
    continuous: int = 0  # InfoGAN: number of continuous codes

    @property
    def dim(self) -> int:
        """Width of G's first input."""
        return self.z_dim + sum(self.categorical) + self.continuous

    def describe(self) -> str:
        """e.g. 'z_dim=100, 10 classes' (for messages)."""
        parts = [f"z_dim={self.z_dim}"]
        parts += [f"{self.num_classes} classes"] if self.num_classes else ["no class labels"]
        if self.categorical or self.continuous:
            parts.append(
                f"codes categorical={list(self.categorical)}, continuous={self.continuous}"
            )
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return {**asdict(self), "categorical": list(self.categorical)}

    @classmethod
    def from_dict(cls, state: dict) -> Latent:
        return cls(**{**state, "categorical": tuple(state.get("categorical", ()))})

    def sample(self, n: int, device, generator: torch.Generator | None = None,
               y: torch.Tensor | None = None, fixed: dict[str, float] | None = None,
               truncation: float | None = None) -> Draw:  # fmt: skip
        """n draws; ``generator`` (CPU) makes them reproducible, else the global RNG on ``device``
        draws them. ``y`` defaults to classes 0, 1, ..., K-1 repeated; ``fixed`` pins codes;
        ``truncation`` t draws the noise from N(0, I) truncated to [-t, t] (BigGAN's trick)."""
        where = {"generator": generator} if generator is not None else {"device": device}
        z = (
            truncated_normal(n, self.z_dim, truncation, where)
            if truncation
            else torch.randn(n, self.z_dim, **where)
        )
        cat = torch.stack([torch.randint(k, (n,), **where) for k in self.categorical], 1) \
            if self.categorical else None  # fmt: skip
        cont = torch.rand(n, self.continuous, **where) * 2 - 1 if self.continuous else None
        cat, cont = self._pin(cat, cont, fixed or {})
        if self.num_classes and y is None:
            y = torch.arange(n) % self.num_classes
        return Draw(self.join(z, cat, cont), y, cat, cont).to(device)

    def join(self, z: torch.Tensor, cat, cont) -> torch.Tensor:
        parts = [z]
        if cat is not None:
            parts += [F.one_hot(cat[:, i], k).to(z.dtype) for i, k in enumerate(self.categorical)]
        if cont is not None:
            parts.append(cont.to(z))
        return torch.cat(parts, 1) if len(parts) > 1 else z

    def _pin(self, cat, cont, fixed: dict):
        """Codes set to a value, or to one value per sample (a tensor [n])."""
        for name, value in fixed.items():
            kind, index = self.code(name)
            if kind == "cat":
                values = torch.as_tensor(value)
                whole = not values.is_floating_point() or bool((values == values.round()).all())
                inside = bool(((values >= 0) & (values < self.categorical[index])).all())
                if not (whole and inside):
                    raise GankitError(
                        f"--code {name}={value}: {name} takes 0..{self.categorical[index] - 1}"
                    )
                cat[:, index] = values.long()
            else:
                cont[:, index] = torch.as_tensor(value, dtype=cont.dtype)
        return cat, cont

    def code(self, name: str) -> tuple[str, int]:
        """('cat', i) or ('c', i) for a code name; a one-line error naming the codes otherwise."""
        names = [f"cat{i}" for i in range(len(self.categorical))]
        names += [f"c{i}" for i in range(self.continuous)]
        if name not in names:
            have = ", ".join(names) if names else "none (this run has no InfoGAN codes)"
            raise GankitError(f"unknown code '{name}'; this run's codes: {have}")
        return ("cat", int(name[3:])) if name.startswith("cat") else ("c", int(name[1:]))


def truncated_normal(n: int, dim: int, threshold: float, where: dict) -> torch.Tensor:
    """[n, dim] standard normal draws, each component beyond +-threshold drawn again until it
    falls inside (the truncation trick, Brock et al. 2019: fidelity for variety)."""
    z = torch.randn(n, dim, **where)
    for _ in range(10_000):  # P(outside) <= 0.96 even at threshold 0.05: this always ends
        outside = z.abs() > threshold
        if not outside.any():
            return z
        z = torch.where(outside, torch.randn(n, dim, **where), z)
    return z.clamp(-threshold, threshold)
