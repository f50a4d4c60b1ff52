import torch

from gankit.nets import DISCRIMINATORS
from gankit.regularizers import REGULARIZERS


def test_clipping_keeps_every_weight_in_the_box():
    D = DISCRIMINATORS.build("dcgan", (3, 16, 16), width=8, norm="batch")
    with torch.no_grad():
        for p in D.parameters():
            p.mul_(100)
    assert max(p.abs().max().item() for p in D.parameters()) > 0.01
    REGULARIZERS.build("weight_clip", clip=0.01).after_d_step(D)
    assert max(p.abs().max().item() for p in D.parameters()) <= 0.01
    # values inside the box are untouched
    small = [p.detach().clone() for p in D.parameters()]
    REGULARIZERS.build("weight_clip", clip=0.01).after_d_step(D)
    assert all(torch.equal(a, b) for a, b in zip(small, D.parameters()))
