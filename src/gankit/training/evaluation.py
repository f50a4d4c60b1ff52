"""Quality metrics during training, and which evaluation is the best so far (for best.pt)."""

from __future__ import annotations

from gankit.config import Config
from gankit.data import DataSource
from gankit.metrics import FEATURES
from gankit.metrics.evaluate import evaluate, parse_metrics, primary, reference_key
from gankit.metrics.translation import PRIMARY, translation_fid
from gankit.models import Translates
from gankit.training.trainer import Trainer
from gankit.use.sample import Sampler


class InTrainingEval:
    """``eval.metrics`` on ``eval.n`` samples from fixed noise; the first metric ranks."""

    def __init__(self, cfg: Config, data: DataSource):
        self.ev, self.data, self.seed = cfg.eval, data, cfg.train.seed
        self.names = parse_metrics(cfg.eval.metrics)
        self.dataset_key = reference_key(cfg.data)  # the cache entry `gankit eval` uses
        self._extractor = None

    def __call__(self, trainer: Trainer) -> dict[str, float]:
        if self._extractor is None and self.data.is_image:  # built once, reused every evaluation
            self._extractor = FEATURES.build(self.ev.extractor).to(trainer.device)
        sampler = Sampler(trainer.generate, trainer.model.latent, trainer.device, self.seed + 3)
        return evaluate(self.data, sampler, self.names, self.ev.n,
                        self._extractor or self.ev.extractor, dataset_key=self.dataset_key)  # fmt: skip

    def new_best(self, results: dict[str, float], best: dict | None, step: int) -> dict | None:
        """{"metric", "value", "step"} if ``results`` beat ``best``, else None."""
        key, higher = primary(self.names)
        value = results[key]
        if best is None or (value > best["value"] if higher else value < best["value"]):
            return {"metric": key, "value": value, "step": step}
        return None


class TranslationEval:
    """FID per target domain of ``eval.n`` translations (fixed sources and noise) against the
    target's real images; their mean (``fid_mean``, lower is better) picks best.pt."""

    def __init__(self, cfg: Config, data: DataSource):
        self.ev, self.data, self.seed = cfg.eval, data, cfg.train.seed
        self._extractor = None

    def __call__(self, trainer: Trainer) -> dict[str, float]:
        if self._extractor is None:
            self._extractor = FEATURES.build(self.ev.extractor).to(trainer.device)
        with trainer.evaluating() as nets:
            return translation_fid(trainer.model, nets, self.data, self._extractor, self.ev.n,
                                   self.seed + 3, trainer.device)  # fmt: skip

    def new_best(self, results: dict[str, float], best: dict | None, step: int) -> dict | None:
        value = results[PRIMARY]
        if best is None or value < best["value"]:
            return {"metric": PRIMARY, "value": value, "step": step}
        return None


def make_evaluator(cfg: Config, data: DataSource, trainer: Trainer):
    translator = isinstance(trainer.model, Translates)
    return (TranslationEval if translator else InTrainingEval)(cfg, data)
