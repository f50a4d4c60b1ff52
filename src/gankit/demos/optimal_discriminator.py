import math

import matplotlib.pyplot as plt
import torch

from gankit.demos.base import DEMOS, Demo, density, gaussian, mlp, save_figure
from gankit.losses import LOSSES


def train_d(mean_r, mean_g, std, steps, seed):
    """D trained by the minimax D loss against a *fixed* generator p_g = N(mean_g, std^2)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    D, loss = mlp(), LOSSES.build("minimax")
    opt = torch.optim.Adam(D.parameters(), 1e-3)
    for _ in range(steps):
        real, fake = gaussian(mean_r, std, 512, gen), gaussian(mean_g, std, 512, gen)
        value = loss.d_loss(D(real).flatten(), D(fake).flatten())
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
    return D, gen


@DEMOS.register("optimal_d")
class OptimalDiscriminator(Demo):
    """Goodfellow et al. 2014, Prop. 1 (seed 003, 13.5.1): for a fixed G the best D is
    D*(x) = p_r(x) / (p_r(x) + p_g(x)). A trained D on 1-D Gaussians approaches it (max error over
    the grid where either density is above 5% of its peak); with p_g = p_r, D* = 1/2 and the
    game's value is -2 log 2."""

    def run(self, out, quick=False):
        steps = 1500 if quick else 4000
        D, _ = train_d(0.0, 1.5, 1.0, steps, seed=0)
        x = torch.linspace(-3, 4.5, 301).view(-1, 1)
        pr, pg = density(x, 0.0, 1.0), density(x, 1.5, 1.0)
        with torch.no_grad():
            d = torch.sigmoid(D(x))
        optimal = pr / (pr + pg)
        support = torch.maximum(pr, pg) > 0.05 * pr.max()
        D_eq, gen = train_d(0.0, 0.0, 1.0, steps // 2, seed=1)
        with torch.no_grad():
            r, f = (
                torch.sigmoid(D_eq(gaussian(0, 1, 20000, gen))),
                torch.sigmoid(D_eq(gaussian(0, 1, 20000, gen))),
            )
            d_eq = torch.sigmoid(D_eq(x[support.flatten()]))
        value = (torch.log(r).mean() + torch.log(1 - f).mean()).item()
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(x, pr, label="p_data"), ax.plot(x, pg, label="p_g")
        (
            ax.plot(x, optimal, "k--", label="p_data / (p_data + p_g)"),
            ax.plot(x, d, label="trained D(x)"),
        )
        ax.legend(fontsize=8), ax.set_title("The optimal discriminator")
        save_figure(fig, out / "optimal_d.png")
        return {
            "max_abs_error": (d - optimal)[support].abs().max().item(),
            "equal_max_abs_dev_from_half": (d_eq - 0.5).abs().max().item(),
            "equal_value": value,
            "minus_2_log_2": -2 * math.log(2),
        }
