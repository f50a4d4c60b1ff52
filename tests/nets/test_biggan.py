"""BigGAN's generator: one shared class embedding, z split across the blocks."""

import torch

from gankit.nets import GENERATORS
from gankit.nets.biggan import LinearConditionalBatchNorm2d


def test_z_is_split_across_blocks_and_the_embedding_is_shared():
    G = GENERATORS.build("biggan", (3, 32, 32), 20, width=16, embed_dim=8, num_classes=10)
    assert G.chunks == [5, 5, 5, 5]  # input + 3 up-blocks at 32px
    embeddings = [m for m in G.modules() if isinstance(m, torch.nn.Embedding)]
    assert len(embeddings) == 1  # one table for every block
    cbn = [m for m in G.modules() if isinstance(m, LinearConditionalBatchNorm2d)]
    assert all(m.gain.in_features == 5 + 8 for m in cbn)  # chunk joined to the embedding
    with torch.no_grad():
        for m in cbn:  # leave the zero start so that the chunks and classes matter
            m.gain.weight.normal_()
    z, y = torch.randn(4, 20), torch.tensor([0, 1, 2, 3])
    base = G.eval()(z, y)
    for part in range(4):  # every chunk of z reaches the picture
        moved = z.clone()
        moved[:, 5 * part : 5 * part + 5] += 1
        assert not torch.allclose(G(moved, y), base)
    assert not torch.allclose(G(z, (y + 1) % 10), base)


def test_unconditional_biggan_trains_a_step(tiny_config):
    from gankit.training.setup import make_trainer

    cfg = tiny_config("model.generator.name=biggan", "model.generator.width=8", "model.z_dim=9",
                      "model.generator.attention=8", "regularizers.orthogonal.weight=1e-4")  # fmt: skip
    trainer = make_trainer(cfg)
    stats = trainer.train_step()
    assert all(torch.isfinite(v) for s in stats for v in s.values())
    assert "ortho" in stats[-1]


def test_conditional_biggan_with_labels(tiny_config):
    from gankit.training.setup import make_trainer

    cfg = tiny_config("data.labels=true", "model.generator.name=biggan", "model.generator.width=8",
                      "model.z_dim=9")  # fmt: skip
    trainer = make_trainer(cfg)
    assert trainer.model.G.shared.num_embeddings == 10
    assert all(torch.isfinite(v) for s in trainer.train_step() for v in s.values())
