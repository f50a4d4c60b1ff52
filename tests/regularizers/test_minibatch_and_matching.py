import pytest
import torch
from torch.nn.utils import parametrize

from gankit.build import build
from gankit.nets import DISCRIMINATORS
from gankit.regularizers import REGULARIZERS, GStep
from gankit.regularizers.minibatch import MinibatchDiscriminationLayer, MinibatchStdDevLayer


def test_minibatch_discrimination_scores_closeness_to_the_rest_of_the_batch():
    layer = MinibatchDiscriminationLayer(4, kernels=3, kernel_dim=2)
    same = torch.ones(5, 4)
    out = layer(same)
    assert out.shape == (5, 7)
    torch.testing.assert_close(out[:, 4:], torch.full((5, 3), 4.0))  # exp(0) for each of 4 others
    far = torch.arange(5.0).view(5, 1).repeat(1, 4) * 1e3
    assert out[:, :4].equal(same) and layer(far)[:, 4:].abs().max() < 1e-6


def test_minibatch_stddev_by_hand():
    f = torch.tensor([[0.0, 2.0], [2.0, 2.0], [1.0, 0.0], [3.0, 4.0]])
    out = MinibatchStdDevLayer(group=2)(f)
    # groups are samples {0, 2} and {1, 3}: per-feature std (0.5, 1) -> 0.75; (0.5, 1) -> 0.75
    torch.testing.assert_close(out[:, 2], torch.full((4,), 0.75), atol=1e-4, rtol=0)
    assert (
        MinibatchStdDevLayer(group=4)(torch.ones(6, 3))[:, 3].max() < 1e-3
    )  # gcd(4, 6) = 2 groups


@pytest.mark.parametrize("name,extra", [("minibatch_discrimination", 50), ("minibatch_stddev", 1)])
def test_minibatch_layers_replace_the_head_before_spectral_norm(tiny_config, name, extra):
    cfg = tiny_config(
        "regularizers.spectral_norm={}",
        f"regularizers.{name}={{}}",
        "model.discriminator.norm=none",
    )
    D = build(cfg).model.D
    linear = D.head[-1]
    assert linear.in_features == D.feature_dim + extra
    assert parametrize.is_parametrized(linear)  # spectral norm came after, though listed first
    assert D(torch.randn(6, 1, 16, 16)).shape == (6,)


def test_feature_matching_is_the_distance_of_mean_features():
    D = DISCRIMINATORS.build("mlp", (2,), width=8, depth=2)
    real, fake = torch.randn(32, 2), torch.randn(16, 2) + 1
    reg = REGULARIZERS.build("feature_matching", weight=2.0)
    value, stats = reg.g_penalty(GStep(None, D, fake, None, real=real))
    expected = ((D.embed(real).mean(0) - D.embed(fake).mean(0)) ** 2).sum()
    torch.testing.assert_close(stats["fm"], expected.detach())
    torch.testing.assert_close(value, 2 * expected)
    assert (
        reg.replaces_g_loss
        and not REGULARIZERS.build("feature_matching", replace=False).replaces_g_loss
    )


def test_feature_matching_replaces_the_generator_loss(tiny_config):
    from gankit.training.setup import make_trainer

    trainer = make_trainer(tiny_config("regularizers.feature_matching.weight=1.0"))
    stats = trainer.train_step()[-1]
    torch.testing.assert_close(stats["loss_g"], stats["fm"])


def test_two_loss_replacements_are_refused(tiny_config):
    from gankit.build import check_components
    from gankit.errors import GankitError

    with pytest.raises(GankitError, match="replace the generator's loss"):
        check_components(
            tiny_config("regularizers.feature_matching={}", "regularizers.unrolled={}")
        )
