"""Every speed-up computes what the plain path computes: same seed, same losses over the first
steps (to float tolerance; bf16 autocast to bf16 tolerance). On a CUDA GPU when there is one."""

import pytest
import torch

from gankit.build import build
from gankit.training.precision import Precision
from gankit.training.setup import make_trainer

WGAN_GP = [
    "loss.name=wasserstein",
    "regularizers.gradient_penalty.weight=10",
    "model.discriminator.norm=layer",
    "train.n_critic=2",
]


DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def losses(cfg, steps=3, fuse_d=True, **options):
    cfg.train.device = DEVICE
    built = build(cfg)
    built.model.fuse_d = built.model.fuse_d and fuse_d  # the fused D forward is the default
    trainer = make_trainer(cfg, built, **options)
    rows = [trainer.train_step() for _ in range(steps)]
    return trainer, torch.stack(
        [torch.stack([row[0]["loss_d"], row[-1]["loss_g"]]) for row in rows]
    )


@pytest.mark.parametrize(
    "sets", [WGAN_GP, ["model.discriminator.norm=none"]], ids=["wgan-gp", "ns-gan"]
)
def test_fused_discriminator_forward_equals_two_forwards(tiny_config, sets):
    fused, a = losses(tiny_config(*sets), fuse_d=True)
    plain, b = losses(tiny_config(*sets), fuse_d=False)
    assert fused.model.fuse_d and not plain.model.fuse_d
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "sets",
    [
        ["model.discriminator.norm=batch"],
        ["regularizers.spectral_norm={}"],
        ["regularizers.minibatch_stddev={}", "model.discriminator.norm=none"],
    ],
)
def test_no_fusing_when_samples_interact(tiny_config, sets):
    trainer, _ = losses(tiny_config(*sets), steps=1)
    assert (
        not trainer.model.fuse_d
    )  # batch statistics / per-call power iteration / minibatch layers


def test_channels_last_computes_the_same(tiny_config):
    trainer, a = losses(tiny_config(*WGAN_GP))
    _, b = losses(tiny_config(*WGAN_GP, "train.channels_last=true"), channels_last=True)
    # on CUDA, cuDNN convolutions run in TF32 by default, and NHWC picks other kernels than NCHW
    tf32 = trainer.device.type == "cuda" and torch.backends.cudnn.allow_tf32
    torch.testing.assert_close(a, b, rtol=1e-2 if tf32 else 1e-4, atol=1e-3 if tf32 else 1e-5)


def test_bf16_autocast_keeps_the_gradient_penalty_finite_and_close(tiny_config):
    trainer, a = losses(tiny_config(*WGAN_GP), steps=2, precision=Precision(torch.bfloat16, "test"))
    _, b = losses(tiny_config(*WGAN_GP), steps=2)
    assert torch.isfinite(a).all() and trainer.weights_finite()
    torch.testing.assert_close(a, b, rtol=0.1, atol=0.1)  # bf16 keeps ~3 significant digits
