import copy

import pytest
import torch

from gankit.build import build
from gankit.errors import GankitError
from gankit.nets import DISCRIMINATORS
from gankit.regularizers import REGULARIZERS
from gankit.training import setup

# every feature discriminator, at a shape it handles
FEATURE_DS = [("dcgan", (3, 16, 16), {}), ("mlp", (2,), {}), ("resnet", (3, 32, 32), {}),
              ("textbook", (1, 64, 64), {}), ("r3gan", (3, 16, 16), {"width": 32})]  # fmt: skip


def make_trainer(cfg):
    built = build(cfg)
    return setup.make_trainer(cfg, built), built


def packed(name, shape, args, m):
    torch.manual_seed(0)
    D = DISCRIMINATORS.build(name, shape, width=args.get("width", 8))
    REGULARIZERS.build("pack", m=m).prepare(None, D)
    return D.eval()


@pytest.mark.parametrize("name,shape,args", FEATURE_DS)
def test_a_packed_d_gives_each_sample_its_packs_score(name, shape, args):
    D = packed(name, shape, args, m=3)
    x = torch.randn(6, *shape)
    out = D(x)
    assert out.shape == (6,)
    assert torch.equal(out[0:3], out[0].expand(3)) and torch.equal(out[3:6], out[3].expand(3))
    assert D.embed(x).shape == (2, D.feature_dim)  # one feature row per pack
    # the pack's score depends on every sample in it, and on no other pack
    y = x.clone()
    y[1] += 1
    changed = D(y)
    assert changed[0] != out[0] and torch.equal(changed[3:], out[3:])


def test_packs_are_consecutive_samples_stacked_along_channels():
    D = packed("dcgan", (3, 16, 16), {}, m=2)
    conv = D.net[0].layer
    assert conv.in_channels == 6
    x = torch.randn(4, 3, 16, 16)
    torch.testing.assert_close(
        D.net[0](x), conv(torch.cat([x[0::2], x[1::2]], dim=1)), rtol=0, atol=0
    )


def test_the_widened_layer_starts_as_the_mean_of_the_samples_responses():
    torch.manual_seed(0)
    D = DISCRIMINATORS.build("mlp", (5,), width=8, depth=1)
    first = D.net[0]
    x = torch.randn(4, 5)
    expected = (first(x[0::2]) + first(x[1::2])) / 2
    REGULARIZERS.build("pack", m=2).prepare(None, D)
    torch.testing.assert_close(D.net[0](x), expected)


def test_a_batch_that_does_not_split_into_packs_is_a_clear_error():
    D = packed("dcgan", (3, 16, 16), {}, m=4)
    with pytest.raises(GankitError, match="multiple of the pack size 4; set train.batch_size"):
        D(torch.randn(6, 3, 16, 16))


def test_pack_trains_and_resumes_bitwise(tiny_config):
    cfg = tiny_config("regularizers.pack.m=2", "regularizers.spectral_norm={}")
    a, built_a = make_trainer(cfg)
    assert built_a.model.D.net[0].layer.in_channels == 2
    a.train_step()
    state = copy.deepcopy(a.state_dict())
    a.train_step()
    b, built_b = make_trainer(cfg)
    b.load_state_dict(state)
    b.train_step()
    for x, y in zip(built_a.model.D.state_dict().values(), built_b.model.D.state_dict().values()):
        assert torch.equal(x, y)


@pytest.mark.parametrize(
    "sets,match",
    [
        (["model.kind.name=infogan"], "per sample.*drop one"),
        (["model.kind.name=acgan", "data.labels=true"], "per sample.*drop one"),
        (["data.labels=true"], "labelled samples"),
        (["model.discriminator.name=autoencoder", "loss.name=ebgan"], "feature discriminator"),
        (
            ["train.batch_size=6", "regularizers.pack.m=4"],
            "batch_size to be a multiple of 4, got 6",
        ),
    ],
)
def test_pack_refuses_what_it_cannot_score(tiny_config, sets, match):
    with pytest.raises(GankitError, match=match):
        build(tiny_config("regularizers.pack.m=2", *sets))
