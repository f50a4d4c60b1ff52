"""BigGAN's orthogonal regularisation against its closed form."""

import pytest
import torch
from torch import nn

from gankit.regularizers import REGULARIZERS, GStep
from gankit.regularizers.orthogonal import off_diagonal_gram


def step(G):
    return GStep(G=G, D=None, fake=None, fake_out=None)


def test_penalty_is_the_closed_form_over_filter_layers():
    G = nn.Sequential(nn.Linear(3, 2), nn.Embedding(4, 5), nn.Conv2d(1, 2, 2))
    with torch.no_grad():
        G[0].weight.copy_(torch.tensor([[1.0, 2.0, 0.0], [3.0, 0.0, 1.0]]))  # rows dot to 3
        G[2].weight.copy_(torch.tensor([1.0, 0, 0, 1, 2, 0, 0, 0]).view(2, 1, 2, 2))  # dot 2
    loss, stats = REGULARIZERS.build("orthogonal", weight=0.5).g_penalty(step(G))
    # ||W W^T * (1 - I)||_F^2 = 2 * dot^2 per layer; the embedding is not a filter bank
    assert stats["ortho"].item() == pytest.approx(2 * 3**2 + 2 * 2**2)
    assert loss.item() == pytest.approx(0.5 * 26)


def test_orthogonal_filters_of_any_norm_cost_nothing():
    q, _ = torch.linalg.qr(torch.randn(6, 6))
    w = q[:4] * torch.tensor([[0.1], [2.0], [5.0], [1.0]])  # orthogonal rows, free norms
    assert off_diagonal_gram(w).item() == pytest.approx(0.0, abs=1e-9)


def test_gradient_decorrelates_the_filters():
    layer = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.2], [1.0, -0.1]]))
    before = off_diagonal_gram(layer.weight).item()
    opt = torch.optim.SGD(layer.parameters(), lr=0.05)
    for _ in range(50):
        opt.zero_grad()
        REGULARIZERS.build("orthogonal", weight=1.0).g_penalty(step(layer))[0].backward()
        opt.step()
    assert off_diagonal_gram(layer.weight).item() < 0.01 * before
