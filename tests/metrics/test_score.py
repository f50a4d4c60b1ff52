"""gankit score / gankit stats (issue 29): any two sets of images with eval's protocol."""

import json

import numpy as np
import pytest
from PIL import Image

from gankit.cli import main
from tests.conftest import FOLDER_ARGS

N = 96  # above the random features' 64 dimensions: FID is well conditioned


def folder(path, n=N, seed=0, size=16, mode="RGB"):
    path.mkdir(parents=True)
    g = np.random.default_rng(seed)
    for i in range(n):
        array = g.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(array).convert(mode).save(path / f"{i:03d}.png")
    return path


def scored(capsys, *argv):
    assert main(["score", *argv, "--extractor", "random_conv", "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_score_of_a_run_and_its_data_equals_eval(tmp_path, capsys):
    data = folder(tmp_path / "imgs")
    run = tmp_path / "run"
    assert (
        main(["train", "--data", str(data), *FOLDER_ARGS, "--steps", "2", "--out", str(run)]) == 0
    )
    argv = ["eval", str(run), "--n", str(N), "--metrics", "fid,kid", "--extractor", "random_conv",
            "--json"]  # fmt: skip
    assert main(argv) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    result = scored(capsys, str(data), str(run), "--n", str(N))
    assert result["n"] == {"a": N, "b": N}
    for key in ("fid", "kid"):
        assert result["metrics"][key] == pytest.approx(evaluated[key], rel=1e-6, abs=1e-9)


def test_stats_file_gives_the_folders_fid(tmp_path, capsys):
    a, b = folder(tmp_path / "a", seed=1), folder(tmp_path / "b", seed=2)
    direct = scored(capsys, str(a), str(b), "--metrics", "fid")["metrics"]["fid"]
    assert (
        main(["stats", str(a), "--out", str(tmp_path / "ref.npz"), "--extractor", "random_conv"])
        == 0
    )
    with np.load(tmp_path / "ref.npz") as ref:
        assert set(ref.files) == {"mu", "sigma"} and ref["sigma"].dtype == np.float64
    via_stats = scored(capsys, str(tmp_path / "ref.npz"), str(b), "--metrics", "fid")
    assert via_stats["metrics"]["fid"] == pytest.approx(direct, rel=1e-9)
    assert direct > 0


@pytest.mark.parametrize("layout", ["uint8-hwc", "uint8-chw", "float-pm1", "float-01", "npz"])
def test_arrays_in_every_layout_read_as_the_same_images(tmp_path, capsys, layout):
    a = folder(tmp_path / "a", seed=3)
    images = np.stack([np.asarray(Image.open(p)) for p in sorted(a.iterdir())])  # N, H, W, C
    array = {
        "uint8-hwc": images,
        "uint8-chw": images.transpose(0, 3, 1, 2),
        "float-pm1": images.transpose(0, 3, 1, 2) / 127.5 - 1,
        "float-01": images.transpose(0, 3, 1, 2) / 255.0,
        "npz": images,
    }[layout].astype(np.uint8 if layout.startswith(("uint8", "npz")) else np.float32)
    path = tmp_path / ("x.npz" if layout == "npz" else "x.npy")
    np.savez(path, images=array) if layout == "npz" else np.save(path, array)
    result = scored(capsys, str(a), str(path), "--metrics", "fid")
    assert abs(result["metrics"]["fid"]) < 1e-6  # the same images on both sides


def bad_setups(tmp_path):
    folder(tmp_path / "ok")
    mixed = folder(tmp_path / "mixed", n=3)
    Image.new("RGB", (20, 20)).save(mixed / "big.png")
    grey = folder(tmp_path / "grey", n=3)
    Image.new("L", (16, 16)).save(grey / "g.png")
    (tmp_path / "empty").mkdir()
    np.save(tmp_path / "objects.npy", np.array([1, 2], dtype=np.int64))
    np.save(tmp_path / "flat.npy", np.zeros((4, 16), np.float32))


BAD = {
    "mixed sizes": ("mixed", "mixes image sizes"),
    "grey and colour": ("grey", "mixes grey and colour"),
    "empty folder": ("empty", "holds no images"),
    "wrong dtype array": ("objects.npy", "give images"),
    "wrong shape array": ("flat.npy", "give images"),
    "missing path": ("nothing", "does not exist"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line(tmp_path, capsys, case):
    bad_setups(tmp_path)
    name, fragment = BAD[case]
    argv = ["score", str(tmp_path / "ok"), str(tmp_path / name), "--extractor", "random_conv"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1, err


def test_a_value_range_that_looks_wrong_is_a_warning(tmp_path, capsys):
    a = folder(tmp_path / "a")
    np.save(tmp_path / "x.npy", np.full((4, 3, 16, 16), 40.0, np.float32))
    with pytest.warns(UserWarning, match=r"span \[40, 40\]"):
        scored(capsys, str(a), str(tmp_path / "x.npy"), "--metrics", "fid")


def test_eval_against_another_reference(tmp_path, capsys):
    """Issue 29: gankit eval RUN --real PATH; against the run's own folder it equals plain eval."""
    data = folder(tmp_path / "imgs")
    run = tmp_path / "run"
    assert (
        main(["train", "--data", str(data), *FOLDER_ARGS, "--steps", "2", "--out", str(run)]) == 0
    )
    common = ["--n", str(N), "--metrics", "fid,kid", "--extractor", "random_conv", "--json"]
    assert main(["eval", str(run), *common]) == 0
    own = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["eval", str(run), "--real", str(data), *common]) == 0
    against = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("fid", "kid"):
        assert against[key] == pytest.approx(own[key], rel=1e-6, abs=1e-9)
    assert json.loads((run / "eval.json").read_text())["real"] == str(data)
    stats = tmp_path / "ref.npz"
    assert main(["stats", str(data), "--out", str(stats), "--extractor", "random_conv"]) == 0
    argv = [
        "eval",
        str(run),
        "--real",
        str(stats),
        "--n",
        str(N),
        "--extractor",
        "random_conv",
        "--json",
    ]
    assert main(argv) == 0
    via_stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert via_stats["fid"] == pytest.approx(own["fid"], rel=1e-6)
