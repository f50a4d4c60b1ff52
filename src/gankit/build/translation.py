"""The translation family (``models.translation.Translation``: CycleGAN, StarGAN v2): a model
that builds its own networks from (data shape, domain names, loss, options), trains on domain
data with its own phases and comes back from a checkpoint with the domains it was trained on."""

from __future__ import annotations

from gankit.build.common import check_size, image_shape, on_meta
from gankit.build.family import Family, register
from gankit.config import Config
from gankit.data import DATASETS, DataSource
from gankit.data.domains import DomainData
from gankit.errors import GankitError
from gankit.losses import LOSSES
from gankit.metrics import FEATURES
from gankit.models import MODELS
from gankit.models.translation import Translation


@register(Translation)
class TranslationFamily(Family):
    """Kinds whose constructor takes (shape, domains, loss, **options)."""

    def check(self, cfg: Config) -> None:
        """Domain data, no regulariser, its own phases; the networks built on the meta device
        for the domains the data names."""
        kind = cfg.model.kind
        MODELS.check_args(kind.name, kind.args, positional=3, where="model.kind")
        LOSSES.check_args(cfg.loss.name, cfg.loss.args, where="loss")
        if LOSSES.get(cfg.loss.name).pairs_with_real:
            raise GankitError(
                f"model.kind={kind.name} scores translations alone; loss {cfg.loss.name} pairs "
                f"them with reals: use least_squares or nonsaturating"
            )
        data = DATASETS.get(cfg.data.name)
        if not issubclass(data, DomainData):
            raise GankitError(
                f"model.kind={kind.name} translates between image domains; set data.name to "
                f"domains (a folder per domain), mnist-invert or mnist-colors"
            )
        check_own_objective(cfg)
        if cfg.eval.every:
            FEATURES.get(cfg.eval.extractor)
        shape, domains = image_shape(cfg.data), data.names_for(cfg.data.args)
        data.check_domains(domains)
        model = on_meta(lambda: make_model(cfg, shape, domains), f"model.kind={kind.name}",
                        "model.kind.*")  # fmt: skip
        check_size(list(model.networks.values()))

    def build(self, cfg: Config, data: DataSource, device) -> Translation:
        model = make_model(cfg, data.shape, data.domain_names)
        for net in model.networks.values():
            net.to(device)
        return model

    def translation_model(self, state: dict, cfg: Config, run: str = "the run") -> Translation:
        model = make_model(cfg, tuple(state.data_shape), state.model["domains"])
        try:
            for name, net in model.networks.items():
                net.load_state_dict(state.ema.get(name) or state.networks[name])
        except (RuntimeError, KeyError):
            raise GankitError(
                f"the checkpoint of {run} does not fit model.kind={cfg.model.kind.name} of its config"
            ) from None
        return model


def check_own_objective(cfg: Config) -> None:
    """A translation model trains with its own objective and phases."""
    kind = cfg.model.kind.name
    if cfg.regularizers:
        raise GankitError(
            f"model.kind={kind} trains with its own objective; regularizers "
            f"({', '.join(cfg.regularizers)}) belong to model.kind=gan: drop them"
        )
    if cfg.train.n_critic != 1:
        raise GankitError(
            f"model.kind={kind} fixes its own update phases; train.n_critic must stay 1"
        )


def make_model(cfg: Config, shape: tuple[int, ...], domains: list[str]) -> Translation:
    """The model kind of ``cfg`` for these images and domains, on the default device."""
    return build_model(cfg.model.kind.to_dict(), cfg.loss.to_dict(), shape, domains)


def build_model(kind: dict, loss: dict, shape: tuple[int, ...], domains: list[str]) -> Translation:
    """From the {name, **options} of ``model.kind`` and ``loss`` (a translation export's metadata)."""
    kind, loss = dict(kind), dict(loss)
    loss_fn = LOSSES.build(loss.pop("name"), **loss)
    return MODELS.build(kind.pop("name"), tuple(shape), list(domains), loss_fn, **kind)
