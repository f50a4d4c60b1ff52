"""Unrolled GAN: k=0 is the plain update bit for bit, and k>0 differentiates through D's
look-ahead (checked on the Dirac GAN against the closed-form unrolled objective)."""

import torch
import torch.nn.functional as F

from gankit.build import build
from gankit.losses import LOSSES
from gankit.regularizers import REGULARIZERS, GStep
from gankit.training.setup import make_trainer
from tests.training.test_dirac import Dirac, Linear


def trained_params(tiny_config, *sets):
    cfg = tiny_config(*sets)
    built = build(cfg)
    trainer = make_trainer(cfg, built)
    for _ in range(3):
        trainer.train_step()
    return [p.detach().clone() for p in (*built.model.G.parameters(), *built.model.D.parameters())]


def test_zero_unrolling_steps_is_exactly_the_plain_update(tiny_config):
    plain = trained_params(tiny_config)
    unrolled = trained_params(tiny_config, "regularizers.unrolled.steps=0")
    assert all(torch.equal(a, b) for a, b in zip(plain, unrolled))


def test_unrolled_gradient_flows_through_the_lookahead():
    """One SGD look-ahead step on the Dirac GAN, non-saturating loss, real data at x = 0.5:
    psi_1 = psi - lr * dL_D/dpsi with dL_D/dpsi = -x sigmoid(-psi x) + theta sigmoid(psi theta),
    and G minimises softplus(-psi_1 theta). The regulariser's dL/dtheta must match, including
    the part through psi_1 (which a detached look-ahead would miss)."""
    lr, x = 0.5, torch.tensor(0.5)
    G, D = Dirac(0.8), Linear(0.3)
    reg = REGULARIZERS.build("unrolled", steps=1, lr=lr, optimizer="sgd")
    fake = G(torch.zeros(1, 1))
    ctx = GStep(
        G,
        D,
        fake,
        None,
        real=None,
        loss=LOSSES.build("nonsaturating"),
        next_real=lambda: x.view(1, 1),
        sample_z=lambda n: torch.randn(n, 1),
    )
    value, _ = reg.g_penalty(ctx)
    (got,) = torch.autograd.grad(value, G.theta)

    theta, psi = torch.tensor(0.8, requires_grad=True), torch.tensor(0.3)
    psi_1 = psi - lr * (-x * torch.sigmoid(-psi * x) + theta * torch.sigmoid(psi * theta))
    expected = F.softplus(-psi_1 * theta)
    (want,) = torch.autograd.grad(expected, theta)
    torch.testing.assert_close(value, expected)
    torch.testing.assert_close(got, want.view(1))
    (detached,) = torch.autograd.grad(F.softplus(-psi_1.detach() * theta), theta)
    assert (got - detached).abs().item() > 1e-3  # the look-ahead term is not negligible here


def test_unrolling_leaves_d_and_its_statistics_alone(tiny_config):
    cfg = tiny_config("regularizers.unrolled.steps=2")
    built = build(cfg)
    trainer = make_trainer(cfg, built)
    trainer.phase_step("d", next(trainer.batches))
    before = {k: v.clone() for k, v in built.model.D.state_dict().items()}
    trainer.phase_step("g")
    after = built.model.D.state_dict()
    # only the BN statistics of G's own D forward move (as in the plain step), not 2 extra times
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert all("running" in k or "num_batches" in k for k in changed)
    assert all(
        int(after[k]) == int(before[k]) + 1 for k in after if k.endswith("num_batches_tracked")
    )


def test_the_lookahead_batches_count_as_drawn(tiny_config):
    """Each of k look-ahead steps draws its own real batch: an iteration draws n_critic + k, and
    samples_per_s says so."""
    cfg = tiny_config("regularizers.unrolled.steps=3", "train.n_critic=2")
    trainer = make_trainer(cfg)
    for _ in range(2):
        trainer.train_step()
    assert trainer.reals_drawn == 2 * (2 + 3)
    assert trainer.real_batches_per_step() == 5
