"""The PyTorch rebuild of the FID Inception graph (with its classifier, for the Inception Score)
computes what the packaged TorchScript network computes, given the same weights."""

import pytest
import torch
from torchvision.models.inception import BasicConv2d

from gankit.errors import GankitError
from gankit.metrics import inception_logits
from gankit.metrics.inception import packaged_weights
from gankit.metrics.inception_logits import InceptionWithLogits, fid_inception
from gankit.metrics.inception_score import inception_score


@torch.no_grad()
def copy_graph_weights(scripted, net) -> None:
    """TorchScript layers (conv weight, BN beta/mean/var; TF's BN has no scale) -> BasicConv2d, in order."""
    state = scripted.state_dict()
    convs = [k[: -len(".weight")] for k in state if k.endswith(".weight")]
    blocks = [m for m in net.modules() if isinstance(m, BasicConv2d)]
    assert len(convs) == len(blocks) == 94
    for name, block in zip(convs, blocks):
        block.conv.weight.copy_(state[f"{name}.weight"])  # shapes must agree layer by layer
        block.bn.weight.fill_(1.0)
        block.bn.bias.copy_(state[f"{name}.beta"])
        block.bn.running_mean.copy_(state[f"{name}.mean"])
        block.bn.running_var.copy_(state[f"{name}.var"])


@pytest.mark.skipif(
    packaged_weights() is None,
    reason="the FID Inception weights are not installed (make inception)",
)
def test_rebuilt_graph_gives_the_torchscript_pool3_features():
    from gankit.metrics.inception import InceptionFID

    reference = InceptionFID(download=False)
    net = fid_inception()
    copy_graph_weights(reference.net, net)
    images = torch.randint(
        0, 256, (3, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    ours = InceptionWithLogits(net=net)
    torch.testing.assert_close(ours(images), reference(images), rtol=1e-4, atol=1e-4)
    assert ours.logits(images).shape == (3, 1008)


@torch.no_grad()
def test_graph_pooling_leaves_padding_out_of_the_mean():
    """The TF graph's average pools ignore padding: the rebuilt block agrees with torchvision's
    InceptionA inside the map and differs only where the 3x3 window overlaps the border."""
    from torchvision.models.inception import InceptionA

    ours, theirs = inception_logits._BlockA(8, 4), InceptionA(8, 4)
    theirs.load_state_dict(ours.state_dict())
    ours.eval(), theirs.eval()
    x = torch.randn(2, 8, 6, 6)
    a, b = ours(x), theirs(x)
    pool = slice(a.shape[1] - 4, None)  # the pooling branch's 4 channels come last
    torch.testing.assert_close(a[:, :-4], b[:, :-4])  # the conv branches are the same
    torch.testing.assert_close(a[:, pool, 1:-1, 1:-1], b[:, pool, 1:-1, 1:-1])
    assert (a[:, pool, 0] - b[:, pool, 0]).abs().max() > 1e-3


@torch.no_grad()
def test_logits_are_the_classifier_on_pool3():
    extractor = InceptionWithLogits(
        net=fid_inception()
    )  # random weights: the wiring, not the values
    images = torch.randint(0, 256, (2, 1, 16, 16), dtype=torch.uint8)
    features, logits = extractor(images), extractor.logits(images)
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    torch.testing.assert_close(logits, extractor.net.fc(features))
    torch.nn.init.zeros_(extractor.net.fc.weight), torch.nn.init.zeros_(extractor.net.fc.bias)
    score, _ = inception_score(extractor.logits(images).numpy(), splits=1)
    assert score == pytest.approx(1.0)  # identical class distributions: KL 0, score exactly 1


def test_missing_classifier_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setattr(inception_logits, "WEIGHTS", tmp_path / "absent.pth")
    with pytest.raises(GankitError, match="pt_inception-2015-12-05-6726825d.pth"):
        InceptionWithLogits(download=False)
