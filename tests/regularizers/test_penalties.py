import pytest
import torch

from gankit.errors import GankitError
from gankit.nets import DISCRIMINATORS
from gankit.regularizers import REGULARIZERS, DStep
from gankit.regularizers.dragan import perturb
from tests.regularizers.test_gradient_penalty import Linear


def ctx(D, real, fake, index=0):
    return DStep(D, real, fake, D(real), D(fake), index)


@pytest.mark.parametrize("name,side", [("r1", "real"), ("r2", "fake")])
def test_r1_r2_closed_form_for_a_linear_critic(name, side):
    D = Linear((3, 4, 4), 2.0)
    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    value, stats = REGULARIZERS.build(name, weight=4.0).d_penalty(ctx(D, real, fake))
    assert value.item() == pytest.approx(4.0 / 2 * 2.0**2, rel=1e-5)  # (gamma / 2) ||w||^2
    value.backward()
    torch.testing.assert_close(D.w.grad, 4.0 * D.w.detach(), rtol=1e-4, atol=1e-5)  # d/dw = gamma w
    assert stats[name].item() == pytest.approx(2.0, rel=1e-5)


def test_r1_looks_only_at_real_data():
    D = lambda x: (x**2).sum(1)  # noqa: E731  grad_x D = 2x, so R1 = (1/2) E||2 x_real||^2
    real = torch.randn(16, 3)
    expected = 0.5 * (4 * (real**2).sum(1)).mean()
    for fake in (torch.randn(16, 3), 100 * torch.randn(16, 3)):
        assert REGULARIZERS.build("r1", weight=1.0).penalty(
            DStep(D, real, fake, None, None)
        ).item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize("name", ["r1", "r2", "dragan"])
def test_lazy_regularisation_applies_every_k_steps_scaled_by_k(name):
    D = Linear((2,), 3.0)
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    eager = REGULARIZERS.build(name, weight=2.0).d_penalty(ctx(D, real, fake))[0]
    lazy = REGULARIZERS.build(name, weight=2.0, every=4)
    values = [lazy.d_penalty(ctx(D, real, fake, i)) for i in range(8)]
    assert [v is not None for v in values] == [True, False, False, False] * 2
    assert values[0][0].item() == pytest.approx(4 * eager.item(), rel=1e-5)


def test_dragan_zero_for_unit_norm_and_closed_form_otherwise():
    real, fake = torch.randn(6, 3, 4, 4), torch.randn(6, 3, 4, 4)
    assert (
        REGULARIZERS.build("dragan").d_penalty(ctx(Linear((3, 4, 4), 1.0), real, fake))[0].item()
        < 1e-10
    )
    value = REGULARIZERS.build("dragan", weight=10.0).d_penalty(
        ctx(Linear((3, 4, 4), 3.0), real, fake)
    )[0]
    assert value.item() == pytest.approx(10.0 * (3.0 - 1.0) ** 2, rel=1e-5)


def test_dragan_perturbs_real_data_by_at_most_c_std():
    real = torch.randn(1000, 8) * 3
    delta = perturb(real, 0.5) - real
    assert delta.min() >= 0 and delta.max() <= 0.5 * real.std() + 1e-6
    assert delta.mean() == pytest.approx(0.25 * real.std().item(), rel=0.05)


def test_spectral_norm_keeps_the_largest_singular_value_at_one():
    D = DISCRIMINATORS.build("dcgan", (3, 32, 32), width=8, norm="none")
    with torch.no_grad():
        for p in D.parameters():
            p.mul_(50)  # make the raw weights far from 1-Lipschitz
    n_layers = sum(isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) for m in D.modules())
    REGULARIZERS.build("spectral_norm").prepare(None, D)
    D.train()
    for _ in range(30):  # one power iteration per forward pass
        D(torch.randn(2, 3, 32, 32))
    layers = [m for m in D.modules() if hasattr(m, "parametrizations")]
    assert len(layers) == n_layers == 4
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("name,args", [("r1", {"weight": -1}), ("dragan", {"every": 0})])
def test_bad_settings_are_clear_errors(name, args):
    with pytest.raises(GankitError, match=r"must be a finite number > 0|must be an integer in \[1"):
        REGULARIZERS.build(name, **args)
