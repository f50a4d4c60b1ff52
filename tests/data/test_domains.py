"""Unpaired domain data: balanced, resumable batches; synthetic MNIST domains; bad layouts."""

import pytest
import torch
from PIL import Image

from gankit.data import DATASETS
from gankit.data.domains import MNISTColors, MNISTInvert
from gankit.errors import GankitError


def write_domain(folder, n, colour):
    folder.mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", (20, 20), colour).save(folder / f"{i}.png")


@pytest.fixture
def two_domains(tmp_path):
    write_domain(tmp_path / "root" / "cats", 6, (250, 0, 0))
    write_domain(tmp_path / "root" / "dogs", 4, (0, 0, 250))
    return tmp_path / "root"


def test_domains_are_named_by_folders_and_batches_are_balanced(two_domains):
    data = DATASETS.build("domains", path=str(two_domains), resolution=16)
    assert data.domain_names == ["cats", "dogs"]
    assert data.summary()["domains"] == {"cats": 6, "dogs": 4}
    batch = next(data.batches(4, "cpu", 0))
    assert batch.y.tolist() == [0, 0, 1, 1]
    red = batch.x[:, 0].mean((1, 2))  # cats are red, dogs blue: y says which is which
    assert (red[:2] > 0.9).all() and (red[2:] < -0.9).all()


def test_explicit_paths_name_the_domains(two_domains):
    paths = {"b": str(two_domains / "dogs"), "a": str(two_domains / "cats")}
    data = DATASETS.build("domains", paths=paths, resolution=16)
    assert data.domain_names == ["b", "a"]
    assert (data.domain(0)[:, 2].float().mean() > 200).item()  # "b" is the blue folder


def test_domain_stream_resumes_exactly(two_domains):
    data = DATASETS.build("domains", path=str(two_domains), resolution=16, hflip=True)
    stream = data.batches(4, "cpu", 3)
    for _ in range(3):
        next(stream)
    state = stream.state_dict()
    expected = [next(stream).x for _ in range(4)]
    again = data.batches(4, "cpu", 99)
    again.load_state_dict(state)
    assert all(torch.equal(a, next(again).x) for a in expected)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda root: write_domain(root / "only", 3, (1, 2, 3)), "two or more domains"),
        (
            lambda root: (write_domain(root / "a", 3, (1, 2, 3)), (root / "b").mkdir()),
            "holds no images",
        ),
    ],
    ids=["one-domain", "empty-domain"],
)
def test_bad_domain_layouts_are_one_line_errors(tmp_path, make, message):
    root = tmp_path / "root"
    root.mkdir()
    make(root)
    with pytest.raises(GankitError, match=message):
        DATASETS.build("domains", path=str(root), resolution=16)


def test_batch_size_must_split_evenly_over_domains(two_domains):
    data = DATASETS.build("domains", path=str(two_domains), resolution=16)
    with pytest.raises(GankitError, match="multiple of the 2 domains"):
        data.batches(5, "cpu", 0)


def test_mnist_invert_domains_are_disjoint_and_exact(mnist_root):
    data = DATASETS.build("mnist-invert", path=str(mnist_root), resolution=28)
    plain, inverted = data.domain(0), data.domain(1)
    assert len(plain) == len(inverted) == 30
    digits = DATASETS.build("mnist", path=str(mnist_root), resolution=28).images
    assert torch.equal(plain, digits[0::2]) and torch.equal(inverted, 255 - digits[1::2])
    assert data.digit_labels.tolist()[:3] == [0, 2, 4]  # the digit of each image, in order


def test_mnist_colors_tint_the_same_digits():
    digits = torch.tensor([[[[0, 200], [100, 255]]]], dtype=torch.uint8)
    for d in range(3):
        out = MNISTColors.render(digits, d)
        assert out.shape == (1, 3, 2, 2)
        assert torch.equal(out[:, d], digits[:, 0]) and out.sum() == digits.sum()
    assert torch.equal(MNISTInvert.render(digits, 1), 255 - digits)


SMALL_KINDS = {
    "celeba2anime-cyclegan": ["model.kind.width=4", "model.kind.d_width=4", "model.kind.blocks=1"],
    "celeba-anime-starganv2": ["model.kind.width=8", "model.kind.max_width=16",
                               "model.kind.mapping_width=16"],
}  # fmt: skip


@pytest.mark.parametrize("preset", list(SMALL_KINDS))
def test_domains_smaller_than_the_frame_grid_train_draw_and_evaluate(two_domains, tmp_path,
                                                                     preset):  # fmt: skip
    """Issue 25: 4 images in a domain and a frame row of 8 was a mask shape error at the first
    frame (and translation FID paired sources with images that were not drawn)."""
    from gankit.cli import main

    out = tmp_path / "run"
    sets = ["data.paths=null", f"data.path={two_domains}", "data.resolution=16",
            "train.batch_size=2", "log.sample_every=1", "eval.every=2", "eval.n=16",
            "eval.extractor=random_conv", *SMALL_KINDS[preset]]  # fmt: skip
    args = ["train", "--preset", preset, "--steps", "2", "--out", str(out)]
    assert main([*args, *[a for s in sets for a in ("--set", s)]]) == 0
    frame = Image.open(out / "samples" / "step-0000002.png")
    assert frame.size == (8 * 18 + 2, 2 * 3 * 18 + 2)  # rows of 8 for each of the 2 domains
    assert "fid_mean" in (out / "metrics.jsonl").read_text()
