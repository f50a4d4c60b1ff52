"""The Python API is as strict as the CLI (issues 25 and 28): every bad argument to
TrainedGenerator.sample is one GankitError line, never silently ignored, never a raw IndexError."""

import pytest
import torch

from gankit.errors import GankitError
from gankit.models.latent import Latent
from gankit.run.load import make_generator
from gankit.use.generator import TrainedGenerator


def generator(classes: int) -> TrainedGenerator:
    latent = Latent(z_dim=8, num_classes=classes)
    net = make_generator("dcgan", {"width": 8}, (1, 16, 16), latent).eval()
    return TrainedGenerator(net, latent, (1, 16, 16), {}, step=0)


CASES = {
    "a class for an unconditional G": (0, dict(n=4, y=3), "needs a class-conditional generator"),
    "a class out of range": (10, dict(n=10, y=12), "class 12 is out of range"),
    "a negative class in a tensor": (10, dict(n=2, y=torch.tensor([1, -1])), "class -1 is out"),
    "classes of the wrong length": (10, dict(n=3, y=torch.tensor([1, 2])), r"\[n\] = \[3\]"),
    "float classes": (10, dict(n=2, y=torch.tensor([1.0, 2.0])), "integer classes"),
    "no samples": (0, dict(n=0), "integer >= 1"),
    "negative n": (0, dict(n=-1), "integer >= 1"),
    "a seed beyond 64 bits": (0, dict(n=2, seed=2**70), "fits in 64 bits"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_sample_arguments_are_one_line(case):
    classes, kwargs, fragment = CASES[case]
    with pytest.raises(GankitError, match=fragment) as info:
        generator(classes).sample(**kwargs)
    assert "\n" not in str(info.value)


def test_good_arguments_still_sample():
    G = generator(10)
    assert G.sample(10, y=9).shape == (10, 1, 16, 16)
    assert G.sample(2, y=torch.tensor([0, 9])).shape == (2, 1, 16, 16)
    assert generator(0).sample(3, seed=2**63).shape == (3, 1, 16, 16)
