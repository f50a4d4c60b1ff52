import matplotlib.pyplot as plt
import torch

from gankit.data import DATASETS
from gankit.demos.base import DEMOS, Demo, density, save_figure
from gankit.losses import LOSSES
from gankit.models import GAN, Latent
from gankit.nets import DISCRIMINATORS, GENERATORS
from gankit.training.trainer import Trainer


@DEMOS.register("trajectory_1d")
class Trajectory1D(Demo):
    """Goodfellow et al. 2014, Figure 1 (seed 003, Figure 13.14): a 1-D GAN learning N(2, 0.5^2)
    from N(0, 1) noise. Panels at several steps show p_data, p_g (histogram of G's samples) and
    D's output; at the end p_g matches p_data and D(x) is close to 1/2 where the data lives."""

    def run(self, out, quick=False):
        torch.manual_seed(0)
        data = DATASETS.build("gaussian1d", means=[2.0], std=0.5)
        G, D = (
            GENERATORS.build("mlp", (1,), 1, width=32, depth=2),
            DISCRIMINATORS.build("mlp", (1,), width=32, depth=2),
        )
        opt = lambda m: torch.optim.Adam(m.parameters(), 1e-3, betas=(0.5, 0.999))  # noqa: E731
        model = GAN(G, D, LOSSES.build("nonsaturating"), [], Latent(1))
        trainer = Trainer(model, {"G": opt(G), "D": opt(D)}, data, torch.device("cpu"),
                          batch_size=256, ema=None, seed=0)  # fmt: skip
        checkpoints = [0, 150, 500, 1500] if quick else [0, 200, 600, 1500, 3000]
        x, z = torch.linspace(-1, 5, 200).view(-1, 1), torch.randn(20000, 1)
        fig, axes = plt.subplots(
            1, len(checkpoints), figsize=(3 * len(checkpoints), 2.8), sharey=True
        )
        numbers = {}
        for ax, step in zip(axes, checkpoints):
            while trainer.step < step:
                trainer.train_step()
            with torch.no_grad():
                fake, d = G(z), torch.sigmoid(D(x))
            ax.plot(x, density(x, 2.0, 0.5), "k", label="p_data")
            ax.hist(
                fake.numpy().ravel(), bins=80, range=(-1, 5), density=True, alpha=0.5, label="p_g"
            )
            ax.plot(x, d, "g--", label="D(x)")
            ax.set_title(f"step {step}", fontsize=9)
            numbers[f"step{step}_g_mean"], numbers[f"step{step}_g_std"] = (
                fake.mean().item(),
                fake.std().item(),
            )
        axes[0].legend(fontsize=7)
        save_figure(fig, out / "trajectory_1d.png")
        near = (x - 2.0).abs().flatten() < 1.0  # within 2 std of the data mean
        numbers["final_d_max_dev_from_half"] = (d.flatten()[near] - 0.5).abs().max().item()
        return numbers
