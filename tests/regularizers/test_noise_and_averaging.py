import pytest
import torch

from gankit.regularizers import REGULARIZERS, DStep, GStep


def test_instance_noise_follows_its_annealing_schedule():
    noise = REGULARIZERS.build("instance_noise", std=0.2, anneal_steps=1000)
    assert [noise.std_at(t) for t in (0, 250, 500, 1000, 5000)] == pytest.approx(
        [0.2, 0.15, 0.1, 0.0, 0.0]
    )
    for step in (0, 500):
        x = torch.zeros(200_000)
        assert noise.d_input(x, step).std().item() == pytest.approx(noise.std_at(step), rel=0.01)
    x = torch.randn(10)
    assert noise.d_input(x, 1000) is x  # annealed away: D sees the data untouched


def test_historical_average_is_the_mean_of_past_parameters_and_gradient_closed_form():
    ha = REGULARIZERS.build("historical_averaging", weight=0.5)
    D = torch.nn.Linear(3, 1)
    seen = []
    for _ in range(4):
        seen.append([p.detach().clone() for p in D.parameters()])
        ha.after_d_step(D)
        with torch.no_grad():
            for p in D.parameters():
                p.add_(torch.randn_like(p))
    mean = [torch.stack(values).mean(0) for values in zip(*seen)]
    for m, expected in zip(ha.d_mean.mean, mean):
        torch.testing.assert_close(m, expected)
    value, stats = ha.d_penalty(DStep(D, None, None, None, None))
    value.backward()
    for p, m in zip(D.parameters(), mean):  # d/dtheta w ||theta - mean||^2 = 2 w (theta - mean)
        torch.testing.assert_close(p.grad, 2 * 0.5 * (p.detach() - m))
    assert stats["ha_d"].item() == pytest.approx(
        sum(((p - m) ** 2).sum().item() for p, m in zip(D.parameters(), mean))
    )


def test_historical_averaging_covers_the_generator_too():
    ha = REGULARIZERS.build("historical_averaging", weight=1.0)
    G = torch.nn.Linear(2, 2)
    value, stats = ha.g_penalty(GStep(G, None, None, None))
    assert value.item() == 0.0 and "ha_g" in stats  # history starts at the current weights
    with torch.no_grad():
        G.weight.add_(1.0)
    assert ha.g_penalty(GStep(G, None, None, None))[0].item() == pytest.approx(
        4.0
    )  # four entries moved by 1
