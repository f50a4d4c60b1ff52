"""DiffAugment: differentiable, per-sample, identity at p = 0, on every image D sees."""

import pytest
import torch

from gankit.errors import GankitError
from gankit.regularizers import REGULARIZERS


def test_probability_zero_is_the_identity():
    x = torch.rand(6, 3, 16, 16) * 2 - 1
    aug = REGULARIZERS.build("diffaugment", p=0.0)
    assert torch.equal(aug.d_input(x, 0), x)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_gradients_flow_to_the_input(policy):
    x = (torch.rand(4, 3, 16, 16) * 2 - 1).requires_grad_()
    out = REGULARIZERS.build("diffaugment", policy=policy).d_input(x, 0)
    assert out.shape == x.shape and not torch.equal(out, x)
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_moves_whole_pixels_and_pads_with_zeros():
    x = torch.arange(64.0).view(1, 1, 8, 8).repeat(32, 1, 1, 1)
    out = REGULARIZERS.build("diffaugment", policy="translation", translation=0.5).d_input(x, 0)
    for img in out[:, 0]:
        kept = img[img != 0]
        # every value comes from the original at an integer offset of at most 2 pixels
        assert set(kept.tolist()) <= set(range(64))
    shifts = {int(o[0].flatten().nonzero()[0]) for o in out}
    assert len(shifts) > 3  # each sample draws its own shift


def test_cutout_zeroes_a_square_of_the_given_size():
    x = torch.ones(16, 1, 16, 16)
    out = REGULARIZERS.build("diffaugment", policy="cutout", cutout=0.5).d_input(x, 0)
    zeros = (out == 0).flatten(1).sum(1)
    assert zeros.max() == 64 and zeros.min() > 0  # 8x8 where it lies inside, less at the border


def test_both_players_see_augmented_images(tiny_config):
    from gankit.build import build
    from gankit.training import setup

    cfg = tiny_config(
        "regularizers.diffaugment.policy=cutout", "regularizers.diffaugment.cutout=0.5"
    )
    built = build(cfg)
    seen = []
    built.model.D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    setup.make_trainer(cfg, built).train_step()
    assert len(seen) >= 3  # D's real and fake batches in phase d, the fakes in phase g
    assert all(((x == 0).flatten(1).sum(1) >= 16).all() for x in seen)  # a hole in every image


def test_points_and_unknown_policies_are_one_line():
    with pytest.raises(GankitError, match="augments images"):
        REGULARIZERS.build("diffaugment").d_input(torch.zeros(4, 2), 0)
    with pytest.raises(GankitError, match="subset of color, translation, cutout"):
        REGULARIZERS.build("diffaugment", policy="colour")
