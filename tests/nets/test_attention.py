"""SAGAN self-attention: identity at gamma = 0, learns through its gate, insertable in the
dcgan and resnet players at a chosen resolution, covered by spectral norm."""

import pytest
import torch

from gankit.errors import GankitError
from gankit.nets import DISCRIMINATORS, GENERATORS
from gankit.nets.attention import SelfAttention
from gankit.regularizers import REGULARIZERS


def test_attention_with_gamma_zero_is_exactly_the_identity():
    layer = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(layer(x), x)


def test_attention_learns_through_its_gate_and_mixes_distant_pixels():
    layer = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8, requires_grad=True)
    layer(x).pow(2).sum().backward()
    assert layer.gamma.grad.abs() > 0  # the gate gets a gradient at 0
    with torch.no_grad():
        layer.gamma.fill_(1.0)
        x2 = x.detach().clone()
        x2[:, :, 0, 0] += 5.0  # one corner pixel changes...
        changed = (layer(x2) - layer(x.detach()) - (x2 - x.detach())).abs().sum(1)
    assert changed[:, 7, 7].min() > 0  # ...and the far corner's output moves with it


@pytest.mark.parametrize("name", ["dcgan", "resnet"])
def test_players_take_attention_at_a_resolution(name):
    G = GENERATORS.build(name, (3, 32, 32), 8, width=8, attention=16)
    D = DISCRIMINATORS.build(name, (3, 32, 32), width=8, attention=16)
    assert sum(isinstance(m, SelfAttention) for m in G.modules()) == 1
    assert sum(isinstance(m, SelfAttention) for m in D.modules()) == 1
    x = G(torch.randn(4, 8))
    assert x.shape == (4, 3, 32, 32) and D(x).shape == (4,)
    with pytest.raises(GankitError, match="feature maps are"):
        GENERATORS.build(name, (3, 32, 32), 8, width=8, attention=12)


def test_spectral_norm_covers_the_attention_convolutions():
    G = GENERATORS.build("dcgan", (3, 32, 32), 8, width=8)
    D = DISCRIMINATORS.build("dcgan", (3, 32, 32), width=8, attention=8)
    REGULARIZERS.build("spectral_norm").prepare(G, D)
    attention = next(m for m in D.modules() if isinstance(m, SelfAttention))
    for conv in (attention.query, attention.key, attention.value, attention.out):
        assert hasattr(conv, "parametrizations"), conv
