"""Training-step speed: a plain PyTorch loop (as tutorials and the seeds write it) against gankit's
trainer on the same architecture, batch, loss and device, in one process and one run.

Prints one JSON line per (configuration, implementation): G-iterations/s, real images/s,
achieved TFLOP/s (FLOPs of one G-iteration counted with torch.utils.flop_counter), the median
of ``--repeats`` timed repeats after a warm-up, and the speed-up over the plain loop; first, the
fp32 matmul rate of this device as the ceiling to compare with.

    python benchmarks/speed.py [--configs wgan-gp-64,ns-32] [--device cpu] [--repeats 3]
                               [--variants default,fp32,channels_last,compile,bf16]

``default`` is gankit as a user gets it (train.amp=auto: bf16 on CPUs with AVX512-BF16/AMX and
bf16 GPUs, fp32 elsewhere); ``fp32`` pins train.amp=none.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from gankit.config import resolve
from gankit.training.precision import cpu_has_fast_bf16
from gankit.training.setup import make_trainer

CONFIGS = {  # name -> (loss, resolution, n_critic); canonical DCGAN, ngf = ndf = 64, z = 100, batch 64
    "wgan-gp-64": ("wgan-gp", 64, 5),
    "wgan-gp-32": ("wgan-gp", 32, 5),
    "ns-64": ("ns", 64, 1),
    "ns-32": ("ns", 32, 1),
}
VARIANTS = {  # gankit options on top of its defaults (fused D forward, reused fakes, amp=auto)
    "default": [],
    "fp32": ["train.amp=none"],
    "channels_last": ["train.channels_last=true"],
    "compile": ["train.compile=true"],
    "bf16": ["train.amp=bf16"],
    "channels_last+compile": ["train.channels_last=true", "train.compile=true"],
    "cuda_graphs": ["train.cuda_graphs=true"],
    "bf16+cuda_graphs": ["train.amp=bf16", "train.cuda_graphs=true"],
    "channels_last+bf16+cuda_graphs": [
        "train.channels_last=true",
        "train.amp=bf16",
        "train.cuda_graphs=true",
    ],
}


def gankit_config(loss: str, size: int, n_critic: int, device: str, extra: list[str]):
    sets = [
        f"data.resolution={size}",
        "data.channels=3",
        "model.z_dim=100",
        "model.generator.width=64",
        "model.discriminator.width=64",
        "train.batch_size=64",
        f"train.n_critic={n_critic}",
        f"train.device={device}",
        "model.ema=null",
        *extra,
    ]
    if loss == "wgan-gp":  # the WGAN-GP paper's critic has no batch norm; layer norm as its code
        sets += [
            "loss.name=wasserstein",
            "regularizers.gradient_penalty.weight=10",
            "model.discriminator.norm=layer",
            "optim.g.betas=[0.0, 0.9]",
            "optim.d.betas=[0.0, 0.9]",
            "optim.g.lr=1e-4",
            "optim.d.lr=1e-4",
        ]
    return resolve("digits32-dcgan", sets=sets)


class PlainLoop:
    """The reference: written as tutorials write it (separate D forwards, a fresh G forward
    detached per critic step, the gradient penalty per critic step, zero_grad then backward)."""

    def __init__(self, G, D, opt_g, opt_d, real: torch.Tensor, loss: str, n_critic: int):
        self.G, self.D, self.opt_g, self.opt_d = G, D, opt_g, opt_d
        self.real, self.loss, self.n_critic, self.i = real, loss, n_critic, 0

    def next_real(self) -> torch.Tensor:
        self.i = (self.i + 64) % (len(self.real) - 64)
        return self.real[self.i : self.i + 64]

    def gradient_penalty(self, real, fake):
        alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device)
        x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        grad = torch.autograd.grad(self.D(x).sum(), x, create_graph=True)[0]
        return ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()

    def train_step(self):
        for _ in range(self.n_critic):
            real = self.next_real()
            fake = self.G(torch.randn(64, 100, device=real.device)).detach()
            if self.loss == "wgan-gp":
                loss_d = (
                    self.D(fake).mean()
                    - self.D(real).mean()
                    + 10 * self.gradient_penalty(real, fake)
                )
            else:
                loss_d = F.softplus(-self.D(real)).mean() + F.softplus(self.D(fake)).mean()
            self.opt_d.zero_grad()
            loss_d.backward()
            self.opt_d.step()
        fake = self.G(torch.randn(64, 100, device=self.real.device))
        out = self.D(fake)
        loss_g = -out.mean() if self.loss == "wgan-gp" else F.softplus(-out).mean()
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()


class CountablePlainLoop(PlainLoop):
    """The same computation for the FLOP counter, which cannot follow autograd.grad to a leaf
    tensor: the interpolates become a (free) non-leaf view of one."""

    def gradient_penalty(self, real, fake):
        alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device)
        x = (alpha * real + (1 - alpha) * fake).requires_grad_(True) * 1.0
        grad = torch.autograd.grad(self.D(x).sum(), x, create_graph=True)[0]
        return ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_steps(step, device, iters: int, repeats: int) -> float:
    """Median seconds per G-iteration over ``repeats`` timed blocks of ``iters``, after warm-up."""
    step()
    step()
    sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        sync(device)
        times.append((time.perf_counter() - t0) / iters)
    return statistics.median(times)


def count_flops(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def matmul_tflops(device: torch.device, n: int = 2048, dtype=torch.float32) -> float:
    a, b = (
        torch.randn(n, n, device=device, dtype=dtype),
        torch.randn(n, n, device=device, dtype=dtype),
    )
    seconds = time_steps(lambda: a @ b, device, iters=5, repeats=3)
    return 2 * n**3 / seconds / 1e12


def plain_step(trainer, loss: str, n_critic: int):
    """The same nets with tutorial-default Adam, driven by the plain loop; (step, FLOPs per step)."""
    real = torch.cat([next(trainer.batches).x for _ in range(8)])
    adam = {k: trainer.optimizers["G"].param_groups[0][k] for k in ("lr", "betas")}
    G, D = trainer.model.G, trainer.model.D
    opt_g, opt_d = (
        torch.optim.Adam(G.parameters(), **adam),
        torch.optim.Adam(D.parameters(), **adam),
    )
    # the same mathematics: one count serves every implementation
    flops = count_flops(CountablePlainLoop(G, D, opt_g, opt_d, real, loss, n_critic).train_step)
    return PlainLoop(G, D, opt_g, opt_d, real, loss, n_critic).train_step, flops


def bench_config(name: str, args, ceiling: float) -> None:
    loss, size, n_critic = CONFIGS[name]
    base = flops = None
    for impl in ["plain", *args.variants]:
        torch.manual_seed(0)
        trainer = make_trainer(
            gankit_config(loss, size, n_critic, args.device, VARIANTS.get(impl, []))
        )
        if impl == "plain":
            step, flops = plain_step(trainer, loss, n_critic)
        else:
            step = trainer.train_step
        seconds = time_steps(step, trainer.device, args.iters, args.repeats)
        base = base or seconds
        row = {
            "config": name,
            "implementation": impl if impl == "plain" else f"gankit:{impl}",
            "device": str(trainer.device),
            "dtype": "fp32" if impl == "plain" else trainer.precision.name,
            "batch": 64,
            "n_critic": n_critic,
            "resolution": size,
            "s_per_g_iter": round(seconds, 4),
            "g_iters_per_s": round(1 / seconds, 4),
            "real_images_per_s": round(64 * n_critic / seconds, 1),
            "gflop_per_g_iter": round(flops / 1e9, 1),
            "achieved_tflops": round(flops / seconds / 1e12, 4),
            "matmul_fp32_tflops": round(ceiling, 4),
            "speedup_vs_plain": round(base / seconds, 3),
        }
        print(json.dumps(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="ns-32,wgan-gp-32,ns-64,wgan-gp-64")
    ap.add_argument("--variants", default="default,fp32,channels_last")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--iters", type=int, default=1, help="G-iterations per timed repeat")
    args = ap.parse_args()
    args.variants = args.variants.split(",")
    device = torch.device(args.device)
    ceiling = matmul_tflops(device)
    facts = {
        "device": args.device,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "matmul_fp32_tflops": round(ceiling, 4),
    }
    if device.type == "cpu":  # what train.amp=auto reads, and the bf16 ceiling it would use
        facts.update(
            cpu_capability=torch.backends.cpu.get_cpu_capability(),
            cpu_fast_bf16=cpu_has_fast_bf16(),
            matmul_bf16_tflops=round(matmul_tflops(device, 1024, torch.bfloat16), 4),
        )
    if (
        device.type == "cuda"
    ):  # the card's practical peak, and the precision defaults both loops run with
        facts.update(
            name=torch.cuda.get_device_name(device),
            matmul_bf16_tflops=round(matmul_tflops(device, 8192, torch.bfloat16), 1),
            cudnn_tf32=torch.backends.cudnn.allow_tf32,
            matmul_tf32=torch.backends.cuda.matmul.allow_tf32,
        )
    print(json.dumps(facts), flush=True)
    for name in args.configs.split(","):
        bench_config(name, args, ceiling)


if __name__ == "__main__":
    main()
