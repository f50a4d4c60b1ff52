"""Class conditioning of the players, checked against hand-computed values."""

import pytest
import torch

from gankit.errors import GankitError
from gankit.nets import DISCRIMINATORS, GENERATORS, build_player
from gankit.nets.conditional import ConditionalBatchNorm2d

CONDITIONAL_G = [
    n
    for n in GENERATORS.names()
    if "conditioning" in GENERATORS.get(n).__init__.__code__.co_varnames
]
CONDITIONAL_D = [
    n
    for n in DISCRIMINATORS.names()
    if "conditioning" in DISCRIMINATORS.get(n).__init__.__code__.co_varnames
]
G_MODES = [
    (n, m) for n in CONDITIONAL_G for m in ("concat", "cbn") if not (n == "mlp" and m == "cbn")
]
D_MODES = [(n, m) for n in CONDITIONAL_D for m in ("concat", "projection")]


def shape_of(name):
    return (1, 16, 16) if name != "mlp" else (2,)


def test_the_image_nets_and_the_mlp_read_labels():
    assert {"dcgan", "resnet", "mlp"} <= set(CONDITIONAL_G) and {"dcgan", "resnet", "mlp"} <= set(
        CONDITIONAL_D
    )


@pytest.mark.parametrize("name,mode", D_MODES)
def test_conditional_discriminator_scores_and_gradients(name, mode):
    D = DISCRIMINATORS.build(name, shape_of(name), width=8, num_classes=5, conditioning=mode)
    x, y = torch.randn(4, *shape_of(name)), torch.tensor([0, 1, 2, 4])
    out = D(x, y)
    assert out.shape == (4,)
    out.sum().backward()
    assert all(p.grad is not None for p in D.parameters())
    with pytest.raises(GankitError, match="needs labels"):
        D(x)


@pytest.mark.parametrize("name", CONDITIONAL_D)
def test_projection_score_is_psi_of_phi_plus_embedding_inner_product(name):
    D = DISCRIMINATORS.build(
        name, shape_of(name), width=8, num_classes=3, conditioning="projection"
    ).eval()
    x, y = torch.randn(5, *shape_of(name)), torch.tensor([0, 2, 1, 2, 0])
    phi = D.embed(x, y)
    psi = phi @ D.head.weight.T + D.head.bias  # [N, 1]
    by_hand = psi[:, 0] + (D.projection.weight[y] * phi).sum(1)
    torch.testing.assert_close(D(x, y), by_hand)
    # the same x with another label moves the score by exactly <embed(y') - embed(y), phi>
    other = (y + 1) % 3
    shift = ((D.projection.weight[other] - D.projection.weight[y]) * phi).sum(1)
    torch.testing.assert_close(D(x, other) - D(x, y), shift)


@pytest.mark.parametrize("name,mode", G_MODES)
def test_conditional_generator_differs_between_classes_only_through_its_embedding(name, mode):
    torch.manual_seed(0)
    G = GENERATORS.build(name, shape_of(name), 6, width=8, num_classes=4, conditioning=mode).eval()
    with torch.no_grad():  # as after training: cbn starts every class at scale 1, shift 0
        for m in G.modules():
            if isinstance(m, torch.nn.Embedding):
                m.weight.add_(0.5 * torch.randn_like(m.weight))
    z = torch.randn(3, 6)
    a, b = torch.zeros(3, dtype=torch.long), torch.full((3,), 2)
    assert not torch.allclose(G(z, a), G(z, b))
    with torch.no_grad():  # give class 2 the embedding of class 0: then G cannot tell them apart
        for m in G.modules():
            if isinstance(m, torch.nn.Embedding):
                m.weight[2] = m.weight[0]
    torch.testing.assert_close(G(z, a), G(z, b))


def test_conditional_batch_norm_is_a_per_class_affine_map():
    cbn = ConditionalBatchNorm2d(2, 3)
    with torch.no_grad():
        cbn.scale.weight.copy_(torch.tensor([[1.0, 1.0], [2.0, 3.0], [1.0, 1.0]]))
        cbn.shift.weight.copy_(torch.tensor([[0.0, 0.0], [5.0, -1.0], [0.0, 0.0]]))
    x, y = torch.randn(4, 2, 3, 3), torch.tensor([1, 1, 0, 2])
    normed = torch.nn.functional.batch_norm(x, None, None, training=True)
    out = cbn(x, y)
    torch.testing.assert_close(out[0, 0], 2.0 * normed[0, 0] + 5.0)
    torch.testing.assert_close(out[1, 1], 3.0 * normed[1, 1] - 1.0)
    torch.testing.assert_close(out[2], normed[2])


def test_cbn_swaps_every_batch_norm_of_the_generator():
    G = GENERATORS.build("resnet", (3, 16, 16), 8, width=8, num_classes=3, conditioning="cbn")
    kinds = [type(m).__name__ for m in G.modules()]
    assert "ConditionalBatchNorm2d" in kinds and kinds.count("BatchNorm2d") == kinds.count(
        "ConditionalBatchNorm2d"
    )


def test_cbn_without_batch_norm_is_one_line():
    with pytest.raises(GankitError, match="norm=batch"):
        GENERATORS.build(
            "dcgan", (1, 16, 16), 8, width=8, norm="none", num_classes=3, conditioning="cbn"
        )


def test_labels_are_set_by_the_data_and_only_for_nets_that_read_them():
    with pytest.raises(GankitError, match="set from the data"):
        build_player(
            GENERATORS, "dcgan", {"num_classes": 3}, ((1, 16, 16), 8), 0, "model.generator"
        )
    with pytest.raises(GankitError, match="cannot read class labels"):
        build_player(GENERATORS, "textbook", {}, ((3, 64, 64), 8), 10, "model.generator")
    with pytest.raises(GankitError, match="data.labels=true"):
        build_player(
            DISCRIMINATORS,
            "dcgan",
            {"conditioning": "concat"},
            ((1, 16, 16),),
            0,
            "model.discriminator",
        )
