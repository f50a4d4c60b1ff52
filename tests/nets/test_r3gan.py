"""R3GAN's players: fix-up initialisation (every residual block starts as the identity) and
lowpass resampling that keeps constants constant."""

import torch

from gankit.nets import DISCRIMINATORS, GENERATORS
from gankit.nets.r3gan import Block, Resample


def test_every_block_starts_as_the_identity():
    G = GENERATORS.build("r3gan", (3, 32, 32), 16, width=32)
    D = DISCRIMINATORS.build("r3gan", (3, 32, 32), width=32)
    blocks = [m for net in (G, D) for m in net.modules() if isinstance(m, Block)]
    assert len(blocks) == 2 * 4 * 2  # 4 stages of 2 blocks in each player
    x = torch.randn(2, 32, 8, 8)
    assert all(torch.equal(b(x), x) for b in blocks)


def test_resampling_keeps_a_constant_and_halves_or_doubles_the_size():
    x = torch.full((1, 2, 8, 8), 3.0)
    up, down = Resample(up=True)(x), Resample(up=False)(x)
    assert up.shape == (1, 2, 16, 16) and down.shape == (1, 2, 4, 4)
    assert torch.allclose(up[..., 2:-2, 2:-2], x[..., :1, :1].expand(1, 2, 12, 12))
    assert torch.allclose(down[..., 1:-1, 1:-1], torch.full((1, 2, 2, 2), 3.0))


def test_untrained_players_keep_unit_scale():
    torch.manual_seed(0)
    G = GENERATORS.build("r3gan", (3, 32, 32), 64, width=64)
    D = DISCRIMINATORS.build("r3gan", (3, 32, 32), width=64)
    x = G(torch.randn(64, 64))
    assert 0.2 < x.std().item() < 5 and 0.01 < D(torch.randn(64, 3, 32, 32)).std().item() < 5
