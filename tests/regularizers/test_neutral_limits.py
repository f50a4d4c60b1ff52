"""A stabiliser at its neutral limit trains like the plain GAN it is added to.

The mode-collapse table (benchmarks/mode_tuning.py) calls a technique's failure a property of the
method only if this holds: with its strength at zero (or negligible) the technique must reproduce
the non-saturating GAN's weights on the ring, step for step. A wiring bug (noise drawn when it
should not be, a penalty that moves D at weight ~0, a forgotten detach) breaks it.
"""

import pytest
import torch

from gankit.build import build
from gankit.config import resolve
from gankit.training.setup import make_trainer

SMALL = [
    "model.generator.width=16",
    "model.discriminator.width=16",
    "train.batch_size=32",
    "train.device=cpu",
]
#: technique at its neutral limit -> tolerance on the weights after the steps (0: bit for bit)
NEUTRAL = {
    "instance noise, std 0": (["regularizers.instance_noise.std=0"], 0.0),
    "unrolled, k 0": (["regularizers.unrolled.steps=0"], 0.0),
    "R1, weight 1e-12": (["regularizers.r1.weight=1e-12"], 1e-6),
    "R2, weight 1e-12": (["regularizers.r2.weight=1e-12"], 1e-6),
    "consensus, weight 1e-12": (["regularizers.consensus.weight=1e-12"], 1e-6),
    "locally stable GD, weight 1e-12": (["regularizers.locally_stable.weight=1e-12"], 1e-6),
    "historical averaging, weight 1e-12": (
        ["regularizers.historical_averaging.weight=1e-12"],
        1e-6,
    ),
    "feature matching added, weight 1e-12": (
        [
            "regularizers.feature_matching.weight=1e-12",
            "regularizers.feature_matching.replace=false",
        ],
        1e-6,
    ),
}


def trained_weights(*sets: str, steps: int = 20) -> list[torch.Tensor]:
    torch.manual_seed(0)
    cfg = resolve("ring8-gan", sets=[*SMALL, *sets, f"train.steps={steps}"])
    built = build(cfg)
    trainer = make_trainer(cfg, built)
    for _ in range(steps):
        trainer.train_step()
    return [p.detach().clone() for p in (*built.model.G.parameters(), *built.model.D.parameters())]


@pytest.fixture(scope="module")
def plain():
    return trained_weights()


@pytest.mark.parametrize("name", list(NEUTRAL))
def test_neutral_limit_reproduces_the_plain_gan(plain, name):
    sets, tol = NEUTRAL[name]
    got = trained_weights(*sets)
    assert len(got) == len(plain)
    worst = max((a - b).abs().max().item() for a, b in zip(got, plain))
    assert worst <= tol, f"{name}: weights differ from the plain GAN by {worst:.3g}"


def test_instance_noise_is_not_inert_above_zero(plain):
    noisy = trained_weights("regularizers.instance_noise.std=0.1")
    assert max((a - b).abs().max().item() for a, b in zip(noisy, plain)) > 1e-3
