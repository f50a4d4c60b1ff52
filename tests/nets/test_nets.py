import pytest
import torch

from gankit.errors import GankitError
from gankit.nets import DISCRIMINATORS, GENERATORS
from gankit.nets.base import Discriminator

G_CASES = [
    (name, shape) for name in GENERATORS.names() for shape in GENERATORS.get(name).example_shapes()
]
D_CASES = [
    (name, shape)
    for name in DISCRIMINATORS.names()
    for shape in DISCRIMINATORS.get(name).example_shapes()
]
SMALL = {"width": 4}


@pytest.mark.parametrize(
    "name,shape", G_CASES, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in G_CASES]
)
def test_generator_output_shape_and_range(name, shape):
    G = GENERATORS.build(name, shape, 7, **SMALL)
    out = G(torch.randn(3, 7))
    assert out.shape == (3, *shape)
    if len(shape) == 3 and getattr(G, "bounded", True):  # images live in [-1, 1] (tanh)
        assert out.min() >= -1 and out.max() <= 1


@pytest.mark.parametrize(
    "name,shape", D_CASES, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in D_CASES]
)
def test_discriminator_gives_one_score_per_sample(name, shape):
    D = DISCRIMINATORS.build(name, shape, **SMALL)
    out = D(torch.randn(3, *shape))
    assert out.shape == (3,)
    out.sum().backward()
    assert all(p.grad is not None for p in D.parameters())


HEADED = [(n, s) for n, s in D_CASES if issubclass(DISCRIMINATORS.get(n), Discriminator)]


@pytest.mark.parametrize(
    "name,shape", HEADED, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in HEADED]
)
def test_discriminator_is_head_of_embedding(name, shape):
    """Feature matching and minibatch layers rely on D(x) == head(embed(x)), embed: [N, feature_dim]."""
    D = DISCRIMINATORS.build(name, shape, **SMALL).eval()
    x = torch.randn(3, *shape)
    features = D.embed(x)
    assert features.shape == (3, D.feature_dim)
    torch.testing.assert_close(D.head(features).flatten(), D(x))


@pytest.mark.parametrize("norm", ["batch", "layer", "instance", "none"])
def test_dcgan_discriminator_norms(norm):
    D = DISCRIMINATORS.build("dcgan", (3, 32, 32), width=8, norm=norm)
    kinds = {type(m).__name__ for m in D.modules()}
    expected = {"batch": "BatchNorm2d", "layer": "GroupNorm", "instance": "InstanceNorm2d"}.get(
        norm
    )
    assert (
        (expected in kinds)
        if expected
        else not kinds & {"BatchNorm2d", "GroupNorm", "InstanceNorm2d"}
    )
    # without batch norm, one sample's score does not depend on the rest of the batch
    if norm != "batch":
        x = torch.randn(4, 3, 32, 32)
        torch.testing.assert_close(D(x)[:1], D(x[:1]))


def test_canonical_dcgan_64_channel_plan():
    G = GENERATORS.build("dcgan", (3, 64, 64), 100, width=64)
    convs = [m for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [512, 256, 128, 64, 3]
    D = DISCRIMINATORS.build("dcgan", (3, 64, 64), width=64)
    assert [c.out_channels for c in D.modules() if isinstance(c, torch.nn.Conv2d)] == [
        64,
        128,
        256,
        512,
    ]
    assert (D.head.in_features, D.head.out_features) == (
        512 * 4 * 4,
        1,
    )  # the classic final 4x4 conv


def test_textbook_feature_map_sizes_match_the_book():
    """003, 13.3.3: 64 -> 31 -> 14 -> 6 -> 4 -> 2, then global average pooling over 16f channels."""
    D = DISCRIMINATORS.build("textbook", (3, 64, 64), width=4)
    sizes, x = [], torch.randn(2, 3, 64, 64)
    for m in D.features:
        x = m(x)
        if isinstance(m, torch.nn.Conv2d):
            sizes.append(tuple(x.shape[1:]))
    assert sizes == [(4, 31, 31), (8, 14, 14), (16, 6, 6), (32, 4, 4), (64, 2, 2)]
    G = GENERATORS.build("textbook", (3, 64, 64), 100, width=4)
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in G.modules()) == 5


@pytest.mark.parametrize("name", ["dcgan", "textbook"])
def test_unsupported_size_is_a_clear_error(name):
    with pytest.raises(GankitError, match="square images of size"):
        GENERATORS.build(name, (3, 48, 48), 8)


def test_autoencoder_energy_is_reconstruction_error():
    D = DISCRIMINATORS.build("autoencoder", (1, 16, 16), width=4)
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    energy = D(x)
    assert energy.shape == (3,) and (energy >= 0).all()
    torch.testing.assert_close(energy, ((D.decoder(D.encoder(x)) - x) ** 2).mean(dim=(1, 2, 3)))


def test_gated_nonlinearity_is_tanh_times_sigmoid_of_the_channel_halves():
    from gankit.nets.layers import Gated

    x = torch.randn(2, 6, 3, 3)
    torch.testing.assert_close(Gated()(x), torch.tanh(x[:, :3]) * torch.sigmoid(x[:, 3:]))


@pytest.mark.parametrize("act,module", [("tanh", torch.nn.Tanh), ("gated", None)])
def test_dcgan_activation_variants_keep_the_channel_plan(act, module):
    G = GENERATORS.build("dcgan", (3, 32, 32), 16, width=8, act=act)
    D = DISCRIMINATORS.build("dcgan", (3, 32, 32), width=8, act=act)
    gated = act == "gated"
    # a gated layer's conv produces twice the channels its nonlinearity passes on
    assert [c.out_channels for c in G.modules() if isinstance(c, torch.nn.ConvTranspose2d)] == (
        [64, 32, 16, 3] if gated else [32, 16, 8, 3]
    )
    assert [c.out_channels for c in D.modules() if isinstance(c, torch.nn.Conv2d)] == (
        [16, 32, 64] if gated else [8, 16, 32]
    )
    if module:  # every hidden nonlinearity is replaced, not only some
        assert not any(
            isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU)) for m in [*G.modules(), *D.modules()]
        )
    assert G(torch.randn(2, 16)).shape == (2, 3, 32, 32) and D(torch.randn(2, 3, 32, 32)).shape == (
        2,
    )


def test_dcgan_generator_with_constant_filters():
    G = GENERATORS.build("dcgan", (3, 64, 64), 100, width=64, norm="none", constant_width=True)
    assert [c.out_channels for c in G.modules() if isinstance(c, torch.nn.ConvTranspose2d)] == [
        64,
        64,
        64,
        64,
        3,
    ]
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in G.modules())


def test_resnet_depth_and_residual_identity():
    shallow = DISCRIMINATORS.build("resnet", (3, 32, 32), width=8, blocks=1)
    deep = DISCRIMINATORS.build("resnet", (3, 32, 32), width=8, blocks=4)
    convs = lambda m: sum(isinstance(c, torch.nn.Conv2d) for c in m.modules())  # noqa: E731
    assert (
        convs(deep) - convs(shallow) == 3 * 2 * 3
    )  # 3 more blocks of 2 convs at each of 3 resolutions
    G = GENERATORS.build("resnet", (1, 16, 16), 8, width=8, norm="none", blocks=3)
    block = next(m for m in G.modules() if type(m).__name__ == "ResBlock")
    torch.nn.init.zeros_(block.body[-1].weight), torch.nn.init.zeros_(block.body[-1].bias)
    x = torch.randn(2, block.body[2].in_channels, 4, 4)
    torch.testing.assert_close(
        block(x), x
    )  # a zeroed residual branch is the identity (and x is not modified)
