from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gankit.checks import ints
from gankit.regularizers.base import REGULARIZERS, Regularizer


@REGULARIZERS.register("spectral_norm")
class SpectralNorm(Regularizer):
    """Spectral normalisation of D (Miyato et al. 2018, SNGAN): every Conv/Linear/Embedding weight
    of D (the projection discriminator's class embedding too, as in SNGAN-projection) is
    divided by its largest singular value, estimated by ``power_iterations`` of power iteration
    per forward pass (torch's parametrisation), which bounds each layer's Lipschitz constant by 1.
    Pair it with the hinge loss for SNGAN. Applied once, before the optimisers are built."""

    graph_safe = True

    constrains_lipschitz = True

    def __init__(self, power_iterations: ints(1, 100) = 1):
        self.power_iterations = int(power_iterations)

    def prepare(self, G, D) -> None:
        for module in list(D.modules()):
            if isinstance(module, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d, nn.Embedding)):
                spectral_norm(module, n_power_iterations=self.power_iterations)
