"""Whole-step CUDA graphs replay exactly the eager step. The equivalence tests need a CUDA GPU
(they are skipped without one and were run on an H100, see docs/benchmarks.md); the refusals
are checked everywhere."""

import copy

import pytest
import torch

from gankit.errors import GankitError
from gankit.training.setup import make_trainer

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
WGAN_GP = [
    "loss.name=wasserstein",
    "regularizers.gradient_penalty.weight=10",
    "model.discriminator.norm=layer",
    "train.n_critic=3",
]
SN_HINGE = ["loss.name=hinge", "regularizers.spectral_norm={}", "model.discriminator.norm=none"]


def loss_rows(cfg, steps):
    torch.manual_seed(cfg.train.seed)
    trainer = make_trainer(cfg)
    rows = [trainer.train_step() for _ in range(steps)]
    return trainer, torch.stack(
        [torch.stack([row[0]["loss_d"], row[-1]["loss_g"]]) for row in rows]
    ).cpu()


def test_cuda_graphs_on_cpu_is_a_clear_error(tiny_config):
    # the config check refuses train.device=cpu; train.device=auto resolves to the CPU only at build time
    cfg = tiny_config("train.device=cpu")
    cfg.train.cuda_graphs = True
    with pytest.raises(GankitError, match="needs a CUDA device"):
        make_trainer(cfg)


def test_step_dependent_regularizers_are_refused(tiny_config):
    cfg = tiny_config("train.device=cpu", "regularizers.r1.weight=1", "regularizers.r1.every=4")
    cfg.train.cuda_graphs = True  # the regulariser check comes before the device check
    with pytest.raises(GankitError, match="R1 change with the step number"):
        make_trainer(cfg)


@cuda
@pytest.mark.parametrize(
    "sets",
    [WGAN_GP, SN_HINGE, [*WGAN_GP, "train.amp=bf16"]],
    ids=["wgan-gp", "sn-hinge", "wgan-gp-bf16"],
)
def test_graph_replays_the_eager_step(tiny_config, sets):
    cfg = [*sets, "train.device=cuda", "optim.lr_decay=linear", "model.ema=0.99"]
    eager, a = loss_rows(tiny_config(*cfg, steps=8), steps=8)
    graphed, b = loss_rows(tiny_config(*cfg, "train.cuda_graphs=true", steps=8), steps=8)
    assert graphed.graph.graph is not None  # warmed up, captured, replayed
    # bf16: cuDNN may pick other kernels inside a capture; rounding differences then grow with training
    tol = {"rtol": 0.05, "atol": 0.02} if "train.amp=bf16" in sets else {"rtol": 1e-4, "atol": 1e-4}
    torch.testing.assert_close(a, b, **tol)
    for p, q in zip(eager.ema.net.parameters(), graphed.ema.net.parameters()):
        torch.testing.assert_close(p, q, **tol)
    assert graphed.counts["d"] == eager.counts["d"] == 8 * cfg_n_critic(sets)
    assert graphed.optimizers["D"].param_groups[0]["lr"].item() == pytest.approx(
        eager.optimizers["D"].param_groups[0]["lr"]
    )


def cfg_n_critic(sets):
    return 3 if "train.n_critic=3" in sets else 1


@cuda
def test_loading_a_checkpoint_recaptures(tiny_config):
    cfg = tiny_config(*WGAN_GP, "train.device=cuda", "train.cuda_graphs=true", steps=10)
    trainer, _ = loss_rows(cfg, steps=5)
    state = copy.deepcopy(
        trainer.state_dict()
    )  # state_dict holds live tensors; a checkpoint is a copy
    expected = torch.stack([trainer.train_step()[0]["loss_d"] for _ in range(3)])
    trainer.load_state_dict(state)
    assert trainer.graph.graph is None
    again = torch.stack([trainer.train_step()[0]["loss_d"] for _ in range(3)])
    torch.testing.assert_close(expected, again, rtol=1e-4, atol=1e-4)


def test_optimisers_become_capturable_with_device_learning_rates():
    from gankit.training.cuda_graph import make_capturable

    w = torch.nn.Parameter(torch.zeros(3))
    adam = torch.optim.Adam([w], lr=1e-3)
    make_capturable(adam, device=torch.device("cpu"))
    group = adam.param_groups[0]
    assert (
        group["capturable"]
        and torch.is_tensor(group["lr"])
        and group["lr"].item() == pytest.approx(1e-3)
    )
    with pytest.raises(GankitError, match="SGD cannot run inside a CUDA graph"):
        make_capturable(torch.optim.SGD([w], lr=0.1), device=torch.device("cpu"))
