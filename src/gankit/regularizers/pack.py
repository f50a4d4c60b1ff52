"""Packing as a regulariser: PacGAN's discriminator, made from any feature discriminator."""

from gankit.checks import ints
from gankit.errors import GankitError
from gankit.nets.base import Discriminator
from gankit.regularizers.base import REGULARIZERS, Regularizer


@REGULARIZERS.register("pack")
class Pack(Regularizer):
    """PacGAN (Lin et al. 2018): D scores packs of ``m`` samples, all real or all generated,
    stacked along channels ([N, C, H, W] -> [N/m, m*C, H, W] at D's first layer, which is m
    times wider). A pack of a collapsed generator's samples is visibly alike, so D penalises
    collapse and imbalance that single samples hide (the paper's PacDCGAN2, m = 2: all 1,000
    modes of Stacked MNIST, KL 0.06; docs/results.md has what it did here). Each sample gets its pack's score, so D's output stays [N] and the losses'
    signs and means are unchanged; D steps see N/m packs. train.batch_size must be a multiple of
    m. Gradient penalties on D's input then measure each sample's share of its pack's gradient.
    """

    edits_architecture = True
    graph_safe = True

    def __init__(self, m: ints(2, 64) = 2):
        self.m = self.batch_multiple = int(m)

    def prepare(self, G, D) -> None:
        if not isinstance(D, Discriminator):
            raise GankitError(
                f"regularizers.pack needs a feature discriminator (dcgan, resnet, textbook, mlp, "
                f"r3gan), not {type(D).__name__}"
            )
        D.read_packs(self.m)
