"""Under torchrun each rank reads only its rows of every global batch: the ranks' shards, put
side by side (domain by domain), are the one-process batch, and a resumed shard continues it."""

import pytest
import torch

from gankit.data import DATASETS
from gankit.data.streams import TensorBatches
from tests.data.test_domains import two_domains  # noqa: F401  (the fixture)


def side_by_side(streams, blocks=1):
    """One batch from every rank's stream, re-joined in the global batch's row order."""
    parts = [next(s) for s in streams]

    def join(ts):
        return torch.cat([t.view(blocks, -1, *t.shape[1:]) for t in ts], 1).flatten(0, 1)

    x = join([p.x for p in parts])
    y = join([p.y for p in parts]) if parts[0].y is not None else None
    return x, y


def sharded(make, size):
    streams = [make() for _ in range(size)]
    for rank, stream in enumerate(streams):
        stream.shard(rank, size)
    return streams


def assert_same(whole, streams, blocks=1, steps=7):
    for _ in range(steps):  # past an epoch boundary for the in-memory streams
        ref = next(whole)
        x, y = side_by_side(streams, blocks)
        assert torch.equal(x, ref.x)
        assert (y is None and ref.y is None) or torch.equal(y, ref.y)


@pytest.mark.parametrize("size", [2, 4])
def test_in_memory_shards_rejoin_to_the_global_batch(size):
    data, labels = torch.arange(40 * 3).view(40, 3).to(torch.uint8), torch.arange(40) % 5

    def make():
        return TensorBatches(
            data, 8, "cpu", 3, to_float=lambda t: t.float(), hflip=False, labels=labels
        )

    assert_same(make(), sharded(make, size))


def test_sampled_shards_rejoin_and_each_rank_gathers_a_quarter():
    ring = DATASETS.build("ring", labels=True)

    def make():
        return ring.batches(16, "cpu", 0)

    streams = sharded(make, 4)
    assert next(make()).x.shape == (16, 2) and next(sharded(make, 4)[1]).x.shape == (4, 2)
    assert_same(make(), streams)


def test_domain_shards_take_their_share_of_every_domain(two_domains):  # noqa: F811
    data = DATASETS.build("domains", path=str(two_domains), resolution=16)

    def make():
        return data.batches(4, "cpu", 0)

    streams = sharded(make, 2)
    assert next(sharded(make, 2)[0]).y.tolist() == [0, 1]
    assert_same(make(), streams, blocks=2)


def test_a_shard_resumes_where_it_stopped():
    data = torch.arange(30).view(30, 1).to(torch.uint8)

    def make():
        return TensorBatches(data, 6, "cpu", 1, to_float=lambda t: t.float())

    first = sharded(make, 3)[2]
    for _ in range(4):
        next(first)
    resumed = sharded(make, 3)[2]
    resumed.load_state_dict(first.state_dict())
    for _ in range(5):
        assert torch.equal(next(resumed).x, next(first).x)
