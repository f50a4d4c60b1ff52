import math

import pytest
import torch

from gankit.errors import GankitError
from gankit.losses import LOSSES, generator_loss

LOG2 = math.log(2.0)


def build(name, **args):
    return LOSSES.build(name, **args)


def test_minimax_value_at_half_is_minus_two_log_two():
    zero = torch.zeros(5)  # logit 0 <=> D = 1/2
    loss = build("minimax")
    # D minimises -V, so V(D=1/2) = -d_loss = -2 log 2 (the value of the game at p_g = p_r)
    assert -loss.d_loss(zero, zero).item() == pytest.approx(-2 * LOG2, abs=1e-7)
    # saturating G loss: E[log(1 - D)] = log(1/2)
    assert loss.g_loss(zero).item() == pytest.approx(-LOG2, abs=1e-7)


def test_minimax_and_nonsaturating_by_hand():
    d_real, d_fake = torch.tensor([0.9, 0.6]), torch.tensor([0.2, 0.3])
    logit = lambda p: torch.log(p / (1 - p))  # noqa: E731
    expected_d = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    for name in ("minimax", "nonsaturating"):
        assert build(name).d_loss(logit(d_real), logit(d_fake)).item() == pytest.approx(
            expected_d.item(), rel=1e-6
        )
    assert build("minimax").g_loss(logit(d_fake)).item() == pytest.approx(
        torch.log(1 - d_fake).mean().item(), rel=1e-6
    )
    assert build("nonsaturating").g_loss(logit(d_fake)).item() == pytest.approx(
        -torch.log(d_fake).mean().item(), rel=1e-6
    )


def test_one_sided_label_smoothing_changes_only_real_target():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -0.5])
    s = 0.1
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = (
        -((1 - s) * torch.log(p_real) + s * torch.log(1 - p_real)).mean()
        - torch.log(1 - p_fake).mean()
    )
    got = build("nonsaturating", label_smoothing=s).d_loss(real, fake)
    assert got.item() == pytest.approx(expected.item(), rel=1e-6)


def test_label_smoothing_out_of_range_is_a_clear_error():
    from gankit.errors import GankitError

    with pytest.raises(GankitError, match="label_smoothing"):
        build("minimax", label_smoothing=0.7)


def test_wasserstein_by_hand():
    real, fake = torch.tensor([3.0, 1.0]), torch.tensor([0.5, -0.5])
    loss = build("wasserstein")
    assert loss.d_loss(real, fake).item() == pytest.approx(0.0 - 2.0)  # E f(fake) - E f(real)
    assert loss.g_loss(fake).item() == pytest.approx(0.0)
    assert loss.estimates_wasserstein


def test_least_squares_by_hand_and_abc():
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    loss = build("least_squares")  # a=0, b=1, c=1
    assert loss.d_loss(real, fake).item() == pytest.approx(0.5 * 0.5 + 0.5 * 2.0)
    assert loss.g_loss(fake).item() == pytest.approx(0.5 * (1.0 + 1.0) / 2)
    pearson = build("least_squares", a=-1.0, b=1.0, c=0.0)
    assert pearson.d_loss(real, fake).item() == pytest.approx(0.5 * 0.5 + 0.5 * 5.0)
    assert pearson.g_loss(fake).item() == pytest.approx(0.5 * 2.0)


def test_ebgan_margin_by_hand():
    loss = build("ebgan", margin=2.0)
    real, fake = torch.tensor([0.5, 1.5]), torch.tensor([1.0, 3.0])
    # E[D(x)] + E[max(0, m - D(G(z)))] = 1.0 + (1.0 + 0) / 2
    assert loss.d_loss(real, fake).item() == pytest.approx(1.5)
    assert loss.g_loss(fake).item() == pytest.approx(2.0)


def test_hinge_by_hand():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    loss = build("hinge")
    assert loss.d_loss(real, fake).item() == pytest.approx((0 + 0.5) / 2 + (0 + 1.0) / 2)
    assert loss.g_loss(fake).item() == pytest.approx(1.0)


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_pushes_d_up_on_real_and_g_up_on_fake(name):
    """Sign convention: minimising d_loss raises D(real) and lowers D(fake); g_loss raises D(fake)."""
    # 0.5 lies strictly between every loss's targets (LSGAN's fake target 0 would be a fixed point)
    real = torch.full((8,), 0.5, requires_grad=True)
    fake = torch.full((8,), 0.5, requires_grad=True)
    loss = build(name)
    sign = -1 if loss.expects_energy else 1  # energies (EBGAN) are low on real data
    loss.d_loss(real, fake).backward()
    assert (sign * real.grad < 0).all() and (sign * fake.grad > 0).all()
    fake_g = torch.full((8,), 0.5, requires_grad=True)
    generator_loss(loss, fake_g, real.detach()).backward()  # a relativistic G also reads reals
    assert (sign * fake_g.grad < 0).all()


def test_relativistic_pairing_by_hand():
    loss = build("relativistic")
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    # softplus(-(D(x) - D(G(z)))) per pair: softplus(-1), softplus(1)
    d = (math.log1p(math.exp(-1.0)) + math.log1p(math.exp(1.0))) / 2
    assert loss.d_loss(real, fake).item() == pytest.approx(d)
    assert loss.g_loss(fake, real).item() == pytest.approx(d)  # G's differences are the negatives
    shifted = loss.d_loss(real + 5, fake + 5).item()
    assert shifted == pytest.approx(d)  # only differences matter: a shift of D changes nothing
    with pytest.raises(GankitError, match="pairs"):
        loss.g_loss(fake)
