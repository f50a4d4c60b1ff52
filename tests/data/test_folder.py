import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import DATASETS
from gankit.errors import GankitError


def write_mixed_images(root):
    """Mixed sizes and modes, in class sub-folders, plus files that are not images."""
    (root / "cats").mkdir(parents=True)
    (root / "dogs" / "deep").mkdir(parents=True)
    Image.new("RGB", (40, 30), (255, 0, 0)).save(root / "cats" / "red.jpg")
    Image.new("L", (20, 20), 128).save(root / "cats" / "grey.png")
    Image.new("RGBA", (32, 64), (0, 0, 255, 0)).save(root / "dogs" / "transparent.png")
    # a palette with entries: Pillow < 13 writes Image.new("P") as a BMP it cannot read back
    Image.new("RGB", (16, 16), (10, 20, 30)).convert("P").save(
        root / "dogs" / "deep" / "palette.bmp"
    )
    Image.new("CMYK", (24, 24), (0, 255, 255, 0)).save(root / "dogs" / "cmyk.jpg")
    Image.fromarray(np.full((16, 16), 65535, dtype=np.uint16)).save(root / "dogs" / "white16.png")
    Image.new("RGB", (16, 16), (0, 255, 0)).save(root / "dogs" / "green.webp")
    (root / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8 definitely not a jpeg")
    (root / "notes.txt").write_text("not an image")


def test_folder_reads_every_image_and_skips_the_corrupt_one(tmp_path):
    write_mixed_images(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        data = DATASETS.build("folder", path=str(tmp_path), resolution=16, channels=3, workers=0)
    assert data.images.shape == (7, 3, 16, 16) and data.images.dtype == torch.uint8
    assert data.summary()["skipped"] == 1
    by_name = dict(
        zip(
            [
                p.split("/")[-1]
                for p in sorted(
                    str(p)
                    for p in tmp_path.rglob("*.*")
                    if p.suffix in (".jpg", ".png", ".bmp", ".webp") and p.name != "broken.jpg"
                )
            ],
            data.images,
        )
    )
    assert by_name["red.jpg"][0].float().mean() > 240 and by_name["red.jpg"][2].float().mean() < 15
    assert (by_name["transparent.png"] == 255).all()  # transparent -> composited on white
    assert (by_name["white16.png"] == 255).all()  # 16-bit white is rescaled, not clipped to garbage
    assert by_name["grey.png"].float().std(0).max() == 0  # grey -> equal RGB channels
    assert (
        by_name["cmyk.jpg"][0].float().mean() > 200 and by_name["cmyk.jpg"][1].float().mean() < 60
    )  # cyan-free red


def test_folder_to_grey_and_crop(tmp_path):
    img = np.zeros((20, 40, 3), dtype=np.uint8)
    img[:, :10] = 255  # a white band on the left that the centre crop must cut away
    Image.fromarray(img).save(tmp_path / "wide.png")
    data = DATASETS.build("folder", path=str(tmp_path), resolution=16, channels=1, workers=0)
    assert data.images.shape == (1, 1, 16, 16)
    assert (
        data.images.float().mean() < 10
    )  # short side 20 -> 16, width 40 -> 32, centre 16 columns are black


def test_small_images_are_upsampled_with_a_warning(tmp_path):
    Image.new("RGB", (8, 8), (10, 20, 30)).save(tmp_path / "tiny.png")
    with pytest.warns(UserWarning, match="upsampled"):
        data = DATASETS.build("folder", path=str(tmp_path), resolution=32, channels=3, workers=0)
    assert data.images.shape == (1, 3, 32, 32)


def test_zip_of_images(tmp_path):
    archive = tmp_path / "faces.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(3):
            buf = io.BytesIO()
            Image.new("RGB", (30, 30), (i * 100, 0, 0)).save(buf, "PNG")
            zf.writestr(f"train/class{i}/img{i}.png", buf.getvalue())
        zf.writestr("readme.txt", "hello")
    data = DATASETS.build("folder", path=str(archive), resolution=16, channels=3, workers=0)
    assert data.images.shape == (3, 3, 16, 16)
    assert sorted(data.images[:, 0].float().mean((1, 2)).round().tolist()) == [0.0, 100.0, 200.0]


def test_parallel_decoding_matches_serial(tmp_path):
    for i in range(300):
        Image.new("RGB", (20, 20), (i % 256, 0, 0)).save(tmp_path / f"{i:03d}.png")
    serial = DATASETS.build("folder", path=str(tmp_path), resolution=16, workers=0)
    parallel = DATASETS.build("folder", path=str(tmp_path), resolution=16, workers=2)
    assert torch.equal(serial.images, parallel.images)


@pytest.mark.parametrize(
    "setup,message",
    [
        (lambda p: p / "missing", "does not exist"),
        (lambda p: p, "no images"),
        (
            lambda p: (p / "x.zip").write_bytes(b"not a zip") and p / "x.zip" or p / "x.zip",
            "not a zip",
        ),
    ],
)
def test_bad_paths_are_clear_errors(tmp_path, setup, message):
    with pytest.raises(GankitError, match=message):
        DATASETS.build("folder", path=str(setup(tmp_path)), resolution=16, workers=0)


def test_all_corrupt_is_a_clear_error(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"junk")
    with pytest.raises(GankitError, match="could be decoded"):
        DATASETS.build("folder", path=str(tmp_path), resolution=16, workers=0)


def test_decoded_images_are_cached_and_memory_mapped(tmp_path, monkeypatch):
    root = tmp_path / "imgs"
    write_mixed_images(root)
    with pytest.warns(UserWarning, match="skipped 1"):
        first = DATASETS.build("folder", path=str(root), resolution=16, workers=0)
    from gankit.data.folder import ImageFolder

    def no_decoding(*args):
        raise AssertionError("decoded again despite the cache")

    monkeypatch.setattr(ImageFolder, "_decode_all", no_decoding)
    with pytest.warns(UserWarning, match="skipped 1"):  # the cache remembers what was skipped
        again = DATASETS.build("folder", path=str(root), resolution=16, workers=0)
    assert torch.equal(first.images, again.images) and again.summary()["skipped"] == 1
    assert (
        isinstance(again.images.numpy().base, np.memmap) or not again.images.numpy().flags.owndata
    )
    # another resolution, or a changed file, is a different cache entry
    Image.new("RGB", (40, 30), (0, 0, 0)).save(root / "cats" / "red.jpg")
    with pytest.raises(AssertionError, match="decoded again"):
        DATASETS.build("folder", path=str(root), resolution=16, workers=0)
    with pytest.raises(AssertionError, match="decoded again"):
        DATASETS.build("folder", path=str(root), resolution=32, workers=0, cache=True)


def test_the_run_says_how_a_grey_folder_was_read_and_lists_skipped_files(tmp_path, capsys):
    """Issue 28: a grey folder became 3 channels without a word; skipped files were named only
    on the console; files ignored by extension were not counted."""
    from gankit.cli import main
    from tests.conftest import FOLDER_ARGS

    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(6):
        Image.new("L", (20, 20), 30 * i).save(folder / f"{i}.png")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    (folder / "notes.txt").write_text("x")
    Image.new("L", (20, 20)).save(folder / "anim.gif")
    out = tmp_path / "run"
    argv = ["train", "--data", str(folder), *FOLDER_ARGS, "--set", "data.channels=3",
            "--steps", "2", "--out", str(out)]  # fmt: skip
    with pytest.warns(UserWarning) as caught:
        assert main(argv) == 0
    assert any("is grey, read here as 3 equal channels" in str(w.message) for w in caught)
    err = capsys.readouterr().err
    assert "'ignored_not_images': 2" in err and "'read_as': 'RGB, short side resized to 16" in err
    assert (out / "skipped.txt").read_text().strip().endswith("broken.jpg")


def test_a_damaged_cache_json_is_rebuilt_with_a_warning(tmp_path, monkeypatch):
    """Issue 25: a decoded-cache .json without 'skipped' raised KeyError in the folder dataset."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (16, 16), (50 * i, 0, 0)).save(folder / f"{i}.png")
    first = DATASETS.build("folder", path=str(folder), resolution=16)
    for meta in (tmp_path / "cache").rglob("*.json"):
        meta.write_text('{"upsampled": 0}')
    with pytest.warns(UserWarning, match="decoded-image cache .* is damaged"):
        again = DATASETS.build("folder", path=str(folder), resolution=16)
    assert torch.equal(first.images, again.images)


def test_a_first_decoding_run_equals_a_cached_one(tmp_path, monkeypatch):
    """The decoder's DataLoader drew its seed from the global RNG, which is seeded before the data
    is read: a run that decoded a folder started its networks from other weights than the same
    run with the folder cached (found by the before/after check of issue 30)."""
    from gankit.cli import main
    from gankit.run import checkpoint
    from tests.conftest import FOLDER_ARGS

    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "faces"
    data.mkdir()
    for i in range(12):
        Image.new("RGB", (20, 24), (20 * i, 100, 255 - 20 * i)).save(data / f"{i}.png")
    states = []
    for run in ("first", "cached"):
        argv = [
            "train",
            "--data",
            str(data),
            *FOLDER_ARGS,
            "--steps",
            "1",
            "--out",
            str(tmp_path / run),
        ]
        assert main(argv) == 0
        states.append(checkpoint.load(tmp_path / run / "checkpoints" / "latest.pt").networks)
    for key, value in states[0]["G"].items():
        assert torch.equal(value, states[1]["G"][key]), key
