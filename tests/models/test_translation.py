"""CycleGAN and StarGAN v2: their loss terms against hand values, the history pool, AdaIN, and
exact resume of every network, optimiser, pool and EMA copy."""

import copy
import math

import pytest
import torch
from torch import nn

from gankit.build import build
from gankit.data.streams import Batch
from gankit.losses import LOSSES
from gankit.models import MODELS, Context, translation_kind
from gankit.models.pool import ImagePool
from gankit.models.translation import l1
from gankit.nets.starganv2 import AdaIN
from gankit.training import setup
from gankit.training.setup import make_trainer

TRANSLATION_KINDS = [k for k in MODELS.names() if translation_kind(k)]

#: tiny settings per model: data, networks, batch (a multiple of the domains)
TINY = {  # data.resolution again after data.name (a new dataset starts from its defaults)
    "cyclegan": ["data.name=mnist-invert", "data.resolution=16", "model.kind.blocks=1", "model.kind.width=4",
                 "model.kind.d_width=4", "model.kind.pool=3", "loss.name=least_squares",
                 "train.batch_size=4"],
    "starganv2": ["data.name=mnist-colors", "data.resolution=16", "model.kind.style_dim=4", "model.kind.latent_dim=2",
                  "model.kind.width=4", "model.kind.max_width=8", "model.kind.mapping_width=8",
                  "model.kind.diversity_steps=3", "train.batch_size=6"],
}  # fmt: skip


def translation_config(tiny_config, mnist_root, kind, *sets):
    return tiny_config(f"model.kind.name={kind}", *TINY[kind], f"data.path={mnist_root}",
                       "model.ema=0.9", *sets)  # fmt: skip


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(float(factor)))

    def forward(self, x):
        return self.factor * x


class Zeros(nn.Module):
    """A PatchGAN stand-in scoring every 2x2 patch 0."""

    def forward(self, x):
        return x[:, :1, ::2, ::2] * 0


def cyclegan(**options):
    loss = LOSSES.build("least_squares")
    return MODELS.build(
        "cyclegan", (1, 16, 16), ["a", "b"], loss, blocks=1, width=4, d_width=4, **options
    )


def test_l1_is_the_mean_absolute_difference():
    assert l1(
        torch.tensor([0.0, 1.0, -2.0]), torch.tensor([1.0, 1.0, 1.0])
    ).item() == pytest.approx(4 / 3)


@pytest.mark.parametrize(
    "g_ab, g_ba, cycle, identity",
    [
        (0.5, 2.0, 0.0, 0.5 * 0.6 + 1.0 * 0.4),
        (0.5, 0.5, 0.75 * 0.4 + 0.75 * 0.6, 0.5 * 0.6 + 0.5 * 0.4),
    ],
    ids=["inverse-maps", "shrinking-maps"],
)
def test_cyclegan_terms_match_hand_values(g_ab, g_ba, cycle, identity):
    """a = 0.4, b = -0.6 everywhere; G's are scalings, D's score every patch 0."""
    model = cyclegan()
    model.networks.update(G_ab=Scale(g_ab), G_ba=Scale(g_ba), D_a=Zeros(), D_b=Zeros())
    a, b = torch.full((2, 1, 16, 16), 0.4), torch.full((2, 1, 16, 16), -0.6)
    shared = {}
    loss, stats = model.g_loss(Batch(torch.cat([a, b]), torch.tensor([0, 0, 1, 1])), shared)
    assert torch.equal(shared["translations"][2], b * g_ba)  # what the d phase will score
    adv = 2 * 0.5  # least squares: 1/2 (0 - 1)^2 for each of the two directions
    assert stats["g_adv"].item() == pytest.approx(adv)
    assert stats["cycle"].item() == pytest.approx(cycle)
    assert stats["identity"].item() == pytest.approx(identity)
    # the paper's weights: adversarial 2 (least squares' 1/2 undone), cycle 10, identity 0.5 * 10
    assert loss.item() == pytest.approx(2 * adv + 10 * cycle + 5 * identity)


def test_pool_mixes_old_and_new_images_with_its_probability_and_resumes():
    pool = ImagePool(size=8, p=0.3, seed=0)
    first = torch.arange(8.0).view(8, 1)
    assert torch.equal(pool.query(first), first)  # filling up: everything passes through
    old, total = 0, 0
    for step in range(400):
        batch = 1000.0 * (step + 1) + torch.arange(8.0).view(8, 1)  # every image unique
        out = pool.query(batch)
        old, total = old + int((out != batch).sum()), total + 8
        assert len(pool) == 8
    assert abs(old / total - 0.3) < 0.03  # 3,200 draws: the share of old images is p
    state = copy.deepcopy(pool.state_dict())
    expected = [pool.query(torch.full((8, 1), -float(i))) for i in range(5)]
    again = ImagePool(size=8, p=0.3, seed=123)
    again.load_state_dict(state, "cpu")
    assert all(
        torch.equal(e, again.query(torch.full((8, 1), -float(i)))) for i, e in enumerate(expected)
    )


def test_pool_of_size_zero_passes_images_through():
    batch = torch.randn(4, 3)
    assert torch.equal(ImagePool(size=0).query(batch), batch)


def test_adain_with_a_given_style_is_the_closed_form():
    layer = AdaIN(style_dim=5, channels=3)
    x, s = torch.randn(2, 3, 4, 4) * 3 + 1, torch.randn(2, 5)
    gamma, beta = (layer.fc.weight @ s.T + layer.fc.bias[:, None]).T.view(2, 2, 3).unbind(1)
    mu, var = x.mean((2, 3), keepdim=True), x.var((2, 3), unbiased=False, keepdim=True)
    expected = (1 + gamma[..., None, None]) * (x - mu) / torch.sqrt(var + 1e-5) + beta[
        ..., None, None
    ]
    assert torch.allclose(layer(x, s), expected, atol=1e-5)


def test_starganv2_diversity_term_enters_g_with_a_minus_sign(tiny_config, mnist_root):
    losses = {}
    for weight in (0.0, 1.0):
        cfg = translation_config(
            tiny_config, mnist_root, "starganv2", f"model.kind.diversity={weight}"
        )
        built = build(cfg)
        model, stream = built.model, built.data.batches(6, "cpu", 0)
        ctx = Context(step=0, batch_size=6, index=0, next_real=stream.__next__, optimizers={})
        torch.manual_seed(1)
        inputs = model.draw_inputs(next(stream), ctx)
        torch.manual_seed(2)
        losses[weight] = model.g_loss(inputs, "latent", step=0)
    (l0, _), (l1_, s1) = losses[0.0], losses[1.0]
    assert s1["diversity"].item() > 0
    assert (l1_ - l0).item() == pytest.approx(-s1["diversity"].item(), rel=1e-4)
    assert model.diversity_weight(0) == 1.0 and model.diversity_weight(3) == 0.0  # decays to 0


def test_starganv2_r1_is_the_r1_regulariser_on_its_real_inputs(tiny_config, mnist_root):
    from gankit.regularizers import REGULARIZERS
    from gankit.regularizers.base import DStep

    cfg = translation_config(tiny_config, mnist_root, "starganv2", "model.kind.r1=3")
    built = build(cfg)
    model, stream = built.model, built.data.batches(6, "cpu", 0)
    ctx = Context(step=0, batch_size=6, index=0, next_real=stream.__next__, optimizers={})
    inputs = model.draw_inputs(next(stream), ctx)
    loss, stats = model.d_loss(inputs, "latent")
    D, y = model.networks["D"], inputs["y"]
    step = DStep(D=lambda x: D(x, y), real=inputs["x"], fake=None, real_out=None, fake_out=None)
    expected = REGULARIZERS.build("r1", weight=1.0).penalty(step)
    assert stats["r1"].item() > 0
    assert stats["r1"].item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("kind", TRANSLATION_KINDS)
def test_translation_model_trains_and_resumes_bitwise(tiny_config, mnist_root, kind):
    cfg = translation_config(tiny_config, mnist_root, kind)
    a = setup.make_trainer(cfg)
    for _ in range(2):
        a.train_step()
    state = copy.deepcopy(a.state_dict())
    later = [a.train_step() for _ in range(3)]
    b = setup.make_trainer(cfg)
    b.load_state_dict(state)
    again = [b.train_step() for _ in range(3)]
    assert set(state["ema"]) == set(a.model.ema_nets)  # every EMA copy is in the checkpoint
    for name in a.model.networks:
        for x, y in zip(a.model.networks[name].state_dict().values(),
                        b.model.networks[name].state_dict().values()):  # fmt: skip
            assert torch.equal(x, y), name
        if name in a.emas:
            assert all(torch.equal(x, y) for x, y in zip(a.inference(name).parameters(),
                                                        b.inference(name).parameters()))  # fmt: skip
    rows = [
        [{k: v.item() for k, v in r.items()} for step in s for r in step] for s in (later, again)
    ]
    assert rows[0] == rows[1]
    assert all(math.isfinite(v) for row in rows[0] for v in row.values())


def test_cyclegan_pool_is_part_of_the_checkpoint(tiny_config, mnist_root):
    t = setup.make_trainer(translation_config(tiny_config, mnist_root, "cyclegan"))
    t.train_step()
    pools = t.state_dict()["model"]["pools"]
    assert pools["a"]["images"].shape == (2, 1, 16, 16)  # two fakes of A kept after one step


def test_starganv2_trains_f_a_hundred_times_slower(tiny_config, mnist_root):
    t = setup.make_trainer(translation_config(tiny_config, mnist_root, "starganv2"))
    lrs = {name: opt.param_groups[0]["lr"] for name, opt in t.optimizers.items()}
    assert lrs["F"] == pytest.approx(lrs["G"] / 100)


def test_translation_frame_rows_are_input_output_back_per_domain(tiny_config, mnist_root):
    from contextlib import contextmanager
    from types import SimpleNamespace

    from gankit.training.pictures import TranslationPictures

    data = build(translation_config(tiny_config, mnist_root, "cyclegan")).data
    model = SimpleNamespace(style_noise=lambda n, g: torch.randn(n, 1, generator=g),
                            translate=lambda nets, x, src, dst, z=None, ref=None: x + 10)  # fmt: skip
    trainer = SimpleNamespace(evaluating=contextmanager(lambda: (yield {})))
    pictures = TranslationPictures(None, data, model, seed=0, device="cpu")
    rows = pictures.rows(trainer).view(2, 3, 8, *data.shape)  # domain, row, column
    x = pictures.x.view(2, 8, *data.shape)
    for d in range(2):
        assert torch.equal(rows[d, 0], x[d]) and torch.equal(rows[d, 1], x[d] + 10)
        assert torch.allclose(rows[d, 2], x[d] + 20)
    assert pictures.src.tolist() == [0] * 8 + [1] * 8 and pictures.dst.tolist() == [1] * 8 + [0] * 8


def test_starganv2_counts_its_reference_batches_and_phases_share_declared_state(
    tiny_config, mnist_root
):
    """d_latent draws the sources and two reference batches (3 per iteration, what samples_per_s
    counts); the later phases read them from the iteration's shared state, which a new
    iteration starts empty, so a phase run out of order says what it lacks."""
    trainer = make_trainer(translation_config(tiny_config, mnist_root, "starganv2"))
    trainer.train_step()
    assert trainer.real_batches_per_step() == 3 and set(trainer.shared) == {"inputs"}
    trainer.shared = {}
    with pytest.raises(RuntimeError, match=r"phase d_ref needs \['inputs'\]"):
        trainer.phase_step("d_ref")
