import pytest
import torch
from torch import nn

from gankit.errors import GankitError
from gankit.regularizers import REGULARIZERS, DStep
from gankit.regularizers.gradient_penalty import interpolate


class Linear(nn.Module):
    """D(x) = <w, x>: its input gradient is w everywhere, so ||grad|| = ||w||."""

    def __init__(self, shape, norm):
        super().__init__()
        w = torch.randn(shape)
        self.w = nn.Parameter(w / w.norm() * norm)

    def forward(self, x):
        return (x * self.w).flatten(1).sum(1)


def penalty(D, real, fake, weight=10.0):
    gp = REGULARIZERS.build("gradient_penalty", weight=weight)
    return gp.d_penalty(DStep(D, real, fake, D(real), D(fake)))


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 8, 8), (4, 5, 7), (2,)])
def test_penalty_is_zero_for_a_unit_norm_linear_critic(shape):
    D = Linear(shape, 1.0)
    value, stats = penalty(D, torch.randn(6, *shape), torch.randn(6, *shape))
    assert value.item() == pytest.approx(0.0, abs=1e-10)
    assert stats["grad_norm"].item() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("norm", [0.0, 0.5, 3.0])
def test_penalty_matches_closed_form_for_known_norm(norm):
    D = Linear((3, 4, 4), norm)
    value, stats = penalty(D, torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4), weight=10.0)
    assert value.item() == pytest.approx(10.0 * (norm - 1.0) ** 2, rel=1e-5)
    assert stats["gp"].item() == pytest.approx((norm - 1.0) ** 2, rel=1e-5)


def test_penalty_has_gradient_wrt_critic_weights():
    D = Linear((3, 4, 4), 3.0)
    value, _ = penalty(D, torch.randn(4, 3, 4, 4), torch.randn(4, 3, 4, 4))
    value.backward()
    # d/dw 10 (||w|| - 1)^2 = 20 (||w|| - 1) w / ||w||
    expected = 20 * (3.0 - 1.0) * D.w.detach() / 3.0
    torch.testing.assert_close(D.w.grad, expected, rtol=1e-4, atol=1e-5)


def test_interpolates_lie_on_segments_with_one_alpha_per_sample():
    real, fake = torch.ones(1000, 3, 2, 2), torch.zeros(1000, 3, 2, 2)
    x = interpolate(real, fake)
    per_sample = x.flatten(1)
    assert torch.allclose(
        per_sample, per_sample[:, :1].expand_as(per_sample)
    )  # same alpha across C, H, W
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert abs(per_sample[:, 0].mean().item() - 0.5) < 0.05  # alpha ~ U[0, 1]


def test_nonpositive_weight_is_a_clear_error():
    with pytest.raises(GankitError, match="weight"):
        REGULARIZERS.build("gradient_penalty", weight=0)
