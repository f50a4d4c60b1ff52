import copy

import pytest
import torch

from gankit.build import build
from gankit.errors import GankitError
from gankit.losses import LOSSES
from gankit.training import setup
from gankit.training.ema import EMA


def make_trainer(cfg):
    built = build(cfg)
    return setup.make_trainer(cfg, built), built


@pytest.mark.filterwarnings("ignore:.*Lipschitz")  # plain losses, on purpose without penalties
@pytest.mark.parametrize("loss", LOSSES.names())
def test_two_steps_for_every_loss(tiny_config, loss):
    energy = (
        ["model.discriminator.name=autoencoder", "model.discriminator.width=8"]
        if LOSSES.get(loss).expects_energy
        else []
    )
    cfg = tiny_config(f"loss.name={loss}", *energy)
    trainer, built = make_trainer(cfg)
    g0 = [p.detach().clone() for p in built.model.G.parameters()]
    d0 = [p.detach().clone() for p in built.model.D.parameters()]
    for _ in range(2):
        stats = trainer.train_step()
    assert all(torch.isfinite(v).all() for s in stats for v in s.values())
    assert any(not torch.equal(a, b) for a, b in zip(g0, built.model.G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, built.model.D.parameters()))
    assert trainer.step == 2


def test_n_critic_discriminator_steps_per_generator_step(tiny_config):
    cfg = tiny_config(
        "train.n_critic=3",
        "loss.name=wasserstein",
        "model.discriminator.norm=layer",
        "regularizers.gradient_penalty.weight=10",
    )
    trainer, built = make_trainer(cfg)
    stats = [trainer.train_step() for _ in range(2)]
    state = lambda opt: next(iter(opt.state.values()))["step"].item()  # noqa: E731  Adam's own counter
    assert state(built.optimizers["D"]) == 6 and state(built.optimizers["G"]) == 2
    d_stats = [s for step in stats for s in step if "loss_d" in s]
    assert len(d_stats) == 6 and all("gp" in s and "wdist" in s for s in d_stats)


def test_weight_clip_applies_after_every_critic_step(tiny_config):
    cfg = tiny_config(
        "loss.name=wasserstein",
        "regularizers.weight_clip.clip=0.01",
        "optim.d.name=rmsprop",
        "optim.d.lr=0.5",
        "train.n_critic=2",
    )
    trainer, built = make_trainer(cfg)
    trainer.train_step()
    assert max(p.abs().max().item() for p in built.model.D.parameters()) <= 0.01 + 1e-12


def test_generator_step_leaves_discriminator_weights_untouched(tiny_config):
    trainer, built = make_trainer(tiny_config())
    d0 = [p.detach().clone() for p in built.model.D.parameters()]
    trainer.phase_step("g")
    assert all(torch.equal(a, b) for a, b in zip(d0, built.model.D.parameters()))
    assert all(p.grad is None for p in built.model.D.parameters())
    assert all(p.requires_grad for p in built.model.D.parameters())


def test_same_seed_same_run_other_seed_other_run(tiny_config):
    def weights_after_two_steps(seed, prior_rng_state):
        torch.manual_seed(prior_rng_state)  # whatever ran before must not matter
        trainer, built = make_trainer(tiny_config(f"train.seed={seed}", "train.n_critic=2"))
        trainer.train_step()
        trainer.train_step()
        return torch.cat([p.detach().flatten() for p in built.model.G.parameters()])

    assert torch.equal(weights_after_two_steps(1, 0), weights_after_two_steps(1, 99))
    assert not torch.equal(weights_after_two_steps(1, 0), weights_after_two_steps(2, 0))


def ema_after_a_jump(beta: float, step: int):
    """An EMA of a layer whose weights then jump by +1, updated once at ``step``."""
    G = torch.nn.Linear(2, 2)
    ema = EMA(G, beta=beta)
    w0 = G.weight.detach().clone()
    with torch.no_grad():
        G.weight.add_(1.0)
    ema.update(G, step)
    return G, ema, w0


def test_ema_is_the_closed_form_average():
    G, ema, w0 = ema_after_a_jump(0.9, step=1000)  # past the warm-up: beta itself
    torch.testing.assert_close(ema.net.weight, 0.9 * w0 + 0.1 * (w0 + 1.0))
    assert not any(p.requires_grad for p in ema.net.parameters())


def test_ema_warm_up_forgets_the_initial_weights():
    G, ema, w0 = ema_after_a_jump(0.999, step=0)  # beta_0 = min(0.999, 1/10)
    torch.testing.assert_close(ema.net.weight, 0.1 * w0 + 0.9 * (w0 + 1.0))
    for step in range(1, 1000):
        ema.update(G, step)
    # a plain 0.999 average would still hold 0.999^1000 = 37% of w0; the warm-up leaves ~1%
    assert (ema.net.weight - (w0 + 1.0)).abs().max() < 0.02


def test_resume_from_state_is_bitwise_identical(tiny_config):
    cfg = tiny_config("model.ema=0.9", "train.n_critic=2")
    torch.manual_seed(cfg.train.seed)
    a, built_a = make_trainer(cfg)
    for _ in range(3):
        a.train_step()
    state = copy.deepcopy(a.state_dict())  # as a checkpoint file would hold it
    for _ in range(3):
        a.train_step()
    b, built_b = make_trainer(cfg)  # fresh nets with other RNG draws, then restored
    b.load_state_dict(state)
    for _ in range(3):
        b.train_step()
    for x, y in zip(built_a.model.G.state_dict().values(), built_b.model.G.state_dict().values()):
        assert torch.equal(x, y)
    for x, y in zip(a.ema.net.state_dict().values(), b.ema.net.state_dict().values()):
        assert torch.equal(x, y)


@pytest.mark.filterwarnings("ignore:.*Lipschitz")
@pytest.mark.parametrize(
    "name", __import__("gankit.regularizers", fromlist=["REGULARIZERS"]).REGULARIZERS.names()
)
def test_two_steps_with_every_regularizer(tiny_config, name):
    cfg = tiny_config(
        f"regularizers.{name}={{}}", "model.discriminator.norm=none", "train.n_critic=2"
    )
    trainer, built = make_trainer(cfg)
    stats = [trainer.train_step() for _ in range(2)]
    assert all(torch.isfinite(v).all() for step in stats for s in step for v in s.values())
    assert trainer.counts["d"] == 4


def test_resume_is_exact_with_stateful_regularizers(tiny_config):
    cfg = tiny_config(
        "regularizers.historical_averaging.weight=0.01",
        "regularizers.r1.every=2",
        "regularizers.instance_noise.std=0.1",
    )
    a, built_a = make_trainer(cfg)
    for _ in range(3):
        a.train_step()
    state = copy.deepcopy(a.state_dict())
    for _ in range(3):
        a.train_step()
    b, built_b = make_trainer(cfg)
    b.load_state_dict(state)
    for _ in range(3):
        b.train_step()
    for x, y in zip(built_a.model.D.state_dict().values(), built_b.model.D.state_dict().values()):
        assert torch.equal(x, y)


def test_linear_learning_rate_decay_reaches_zero_at_the_last_step(tiny_config):
    from gankit.training.setup import make_trainer as from_config

    cfg = tiny_config("optim.lr_decay=linear", "optim.g.lr=1e-3", "optim.d.lr=4e-3", steps=4)
    trainer = from_config(cfg)
    seen = []
    for _ in range(4):
        trainer.train_step()
        seen += [
            trainer.optimizers["G"].param_groups[0]["lr"],
            trainer.optimizers["D"].param_groups[0]["lr"],
        ]
    assert seen == pytest.approx([1e-3, 4e-3, 7.5e-4, 3e-3, 5e-4, 2e-3, 2.5e-4, 1e-3])
    trainer.set_lr_scale(0.5)  # a NaN rollback halves on top of the schedule
    assert trainer.optimizers["D"].param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5)
    trainer.set_lr_factor(trainer.schedules["lr"](4, 4))  # step 4 of 4: decayed to 0
    assert trainer.optimizers["G"].param_groups[0]["lr"] == 0.0


def test_lr_decay_and_an_lr_schedule_are_one_factor_set_once(tiny_config):
    from gankit.build import check_components

    with pytest.raises(GankitError, match="both set the learning rate's factor"):
        check_components(
            tiny_config("optim.lr_decay=linear", "schedules.lr.start=1", "schedules.lr.end=0")
        )
