"""Hyperparameters that change over training (R3GAN's recipe: cosine decays of the learning
rate, Adam's beta2, the R1/R2 weight gamma and the EMA half-life), set through the trainer's
interface before every step. The curves are ``gankit.config.Schedule``; which ones a run follows
is ``gankit.build.schedules``."""

from __future__ import annotations

from gankit.config import Schedule


def apply(trainer, schedules: dict[str, Schedule], total: int) -> None:
    """Set every scheduled hyperparameter for the trainer's next step."""
    setters = {
        "lr": trainer.set_lr_factor,
        "beta2": trainer.set_beta2,
        "gamma": trainer.set_gamma,
        "ema_half_life": trainer.set_ema_half_life,
    }
    for target, schedule in schedules.items():
        setters[target](schedule(trainer.step, total))
