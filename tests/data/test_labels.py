"""Labels from every labelled source: class sub-folders, zips, IDX files, Stacked MNIST, toys."""

import gzip
import struct
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import DATASETS
from gankit.errors import GankitError
from tests.data.test_folder import write_mixed_images


def test_class_subfolders_label_each_image_and_skipped_files_drop_their_label(tmp_path):
    write_mixed_images(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1"):
        data = DATASETS.build("folder", path=str(tmp_path), resolution=16, workers=0, labels=True)
    assert data.class_names == ["cats", "dogs"] and data.num_classes == 2
    assert data.labels.tolist() == [0, 0, 1, 1, 1, 1, 1]  # cats: 2 images; dogs: 5 readable
    red = data.images[data.labels == 0].float().mean(dim=(0, 2, 3))
    assert red[0] > red[2]  # the cats folder holds the red image, none of the blue/green ones
    batch = next(data.batches(4, torch.device("cpu"), seed=0))
    assert batch.y.dtype == torch.int64 and batch.y.shape == (4,)


def test_a_zip_with_one_top_folder_takes_classes_one_level_down(tmp_path):
    path = tmp_path / "faces.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for cls, colour in (("anime", (255, 0, 0)), ("celeba", (0, 0, 255))):
            for i in range(3):
                img = Image.new("RGB", (8, 8), colour)
                with zf.open(f"faces/{cls}/{i}.png", "w") as f:
                    img.save(f, format="PNG")
    data = DATASETS.build("folder", path=str(path), resolution=8, labels=True, cache=False)
    assert data.class_names == ["anime", "celeba"] and data.labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_subdir_reads_one_split_of_a_zip_with_train_and_test(tmp_path):
    path = tmp_path / "cifar.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for split, n in (("train", 3), ("test", 1)):
            for cls in ("cat", "dog", "ship"):
                for i in range(n):
                    with zf.open(f"{split}/{cls}/{i}.png", "w") as f:
                        Image.new("RGB", (8, 8)).save(f, format="PNG")
    data = DATASETS.build("folder", path=str(path), resolution=8, labels=True, subdir="train")
    assert data.class_names == ["cat", "dog", "ship"] and len(data.images) == 9
    with pytest.raises(GankitError, match="sub-folder valid"):
        DATASETS.build("folder", path=str(path), resolution=8, subdir="valid")


def test_images_outside_class_folders_are_one_line(tmp_path):
    (tmp_path / "a").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "a" / "x.png")
    Image.new("L", (8, 8)).save(tmp_path / "loose.png")
    with pytest.raises(GankitError, match="is not in one; sort the images into class folders"):
        DATASETS.build("folder", path=str(tmp_path), resolution=8, labels=True)


def write_idx(raw, stem, array, gz=True):
    magic = 0x00000800 | array.ndim
    data = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    data += array.astype(np.uint8).tobytes()
    opener = gzip.open if gz else open
    with opener(raw / (stem + (".gz" if gz else "")), "wb") as f:
        f.write(data)


def test_mnist_labels_come_from_the_idx_label_file(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.zeros((6, 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(6) * 40
    write_idx(raw, "train-images-idx3-ubyte", images)
    data = DATASETS.build("mnist", path=str(tmp_path), resolution=16)
    assert data.labels is None and data.num_classes == 0  # unlabelled runs never need the file
    with pytest.raises(GankitError, match="train-labels-idx1-ubyte.*data.labels=false"):
        DATASETS.build("mnist", path=str(tmp_path), resolution=16, labels=True)
    write_idx(raw, "train-labels-idx1-ubyte", np.array([3, 1, 4, 1, 5, 9]), gz=False)
    data = DATASETS.build("mnist", path=str(tmp_path), resolution=16, labels=True)
    assert data.labels.tolist() == [3, 1, 4, 1, 5, 9] and data.num_classes == 10
    stacked = DATASETS.build("stacked_mnist", path=str(tmp_path), n=20, resolution=16, labels=True)
    assert stacked.num_classes == 1000
    digits = {3, 1, 4, 5, 9}
    for y in stacked.labels.tolist():
        assert {y // 100, y // 10 % 10, y % 10} <= digits


@pytest.mark.parametrize("name", ["ring", "grid", "gaussian1d"])
def test_toy_labels_are_the_component_each_point_came_from(name):
    data = DATASETS.build(name, labels=True)
    batch = next(data.batches(512, torch.device("cpu"), seed=0))
    assert data.num_classes == len(data.modes)
    nearest = torch.cdist(batch.x, data.modes).argmin(1)
    if name != "gaussian1d":  # one-mode default: trivially right; the mixtures are well separated
        assert (nearest == batch.y).float().mean() > 0.99
    plain = next(DATASETS.build(name).batches(512, torch.device("cpu"), seed=0))
    assert plain.y is None and torch.equal(plain.x, batch.x)  # labels change no sample


def test_digits_labels_and_their_resume(tiny_config):
    data = DATASETS.build("digits", resolution=16, labels=True)
    stream = data.batches(64, torch.device("cpu"), seed=3)
    for _ in range(30):  # into the second epoch
        next(stream)
    state = stream.state_dict()
    expected = [next(stream) for _ in range(5)]
    again = data.batches(64, torch.device("cpu"), seed=99)
    again.load_state_dict(state)
    for a, b in zip(expected, (next(again) for _ in range(5))):
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    # each label is its image's: the stream gathers both by one permutation
    idx = [
        int((data.images.float().div(127.5).sub(1) == b.x[0]).flatten(1).all(1).nonzero()[0])
        for b in expected
    ]
    assert [int(data.labels[i]) for i in idx] == [int(b.y[0]) for b in expected]
