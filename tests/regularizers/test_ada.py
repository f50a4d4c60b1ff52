"""ADA: p follows D's overfitting heuristic, the pipeline is differentiable and the identity at
p = 0, and its state is in the checkpoint."""

import copy

import pytest
import torch

from gankit.regularizers import REGULARIZERS, DStep


def d_step(real_out, index):
    return DStep(D=None, real=None, fake=None, real_out=real_out, fake_out=None, index=index)


@pytest.mark.parametrize("sign, direction", [(1.0, 1), (-1.0, -1)], ids=["overfitting", "not"])
def test_p_moves_with_the_sign_of_rt_minus_target(sign, direction):
    ada = REGULARIZERS.build("ada", interval=2, kimg=0.064, p=0.5)  # 64 images move p by 1
    ps = []
    for i in range(8):
        _, stats = ada.d_penalty(d_step(torch.full((8,), sign), i))
        ps.append(stats["ada_p"].item())
    assert stats["ada_rt"].item() == pytest.approx(sign)
    # every 2 steps p moves by 16 images / 64 = 0.25, clamped to [0, 1]
    expected = (
        [0.5, 0.5, 0.75, 0.75, 1.0, 1.0, 1.0, 1.0]
        if direction > 0
        else [0.5, 0.5, 0.25, 0.25, 0.0, 0.0, 0.0, 0.0]
    )
    assert ps == pytest.approx(expected)
    assert ada.state_dict()["history"] == pytest.approx(expected[2::2] + [expected[-1]])


def test_rt_at_the_target_holds_p():
    ada = REGULARIZERS.build("ada", interval=1, kimg=0.01, p=0.3, target=0.5)
    for i in range(5):  # 3 of 4 positive: r_t = 0.5
        ada.d_penalty(d_step(torch.tensor([1.0, 1.0, 1.0, -1.0]), i))
    assert ada.p.item() == pytest.approx(0.3)


def test_p_zero_is_the_identity_and_p_one_is_differentiable():
    x = torch.randn(4, 3, 16, 16)
    assert torch.equal(REGULARIZERS.build("ada", p=0.0).d_input(x, 0), x)
    x.requires_grad_(True)
    out = REGULARIZERS.build("ada", p=1.0).d_input(x, 0)
    assert not torch.allclose(out, x)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_reflects_and_rotation_keeps_pixels():
    torch.manual_seed(0)
    ada = REGULARIZERS.build("ada", p=1.0)
    ada._state_on("cpu")
    x = torch.arange(2 * 8 * 8, dtype=torch.float32).view(2, 1, 8, 8)
    rotated = ada._rotate90(x)
    assert torch.equal(rotated.flatten(1).sort(1).values, x.flatten(1).sort(1).values)
    moved = ada._translate(x)
    assert set(moved.unique().tolist()) <= set(x.unique().tolist())  # no zero padding


def test_state_round_trips():
    ada = REGULARIZERS.build("ada", interval=1, kimg=0.01)
    for i in range(3):
        ada.d_penalty(d_step(torch.ones(4), i))
    state = copy.deepcopy(ada.state_dict())
    other = REGULARIZERS.build("ada", interval=1, kimg=0.01)
    other.load_state_dict(state)
    assert other.p.item() == ada.p.item() > 0 and other.history == ada.history
