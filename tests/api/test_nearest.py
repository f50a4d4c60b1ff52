"""gankit nearest: the memorisation check finds copies and says how close samples are."""

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.errors import GankitError
from gankit.use.nearest import nearest, training_images, verdict


def test_an_exact_training_copy_is_found_at_distance_zero():
    g = torch.Generator().manual_seed(0)
    train = torch.rand(300, 2048, generator=g)
    fake = torch.cat([train[[17, 250]], torch.rand(3, 2048, generator=g)])
    dist, idx = nearest(fake, train, k=2)
    assert dist[0, 0] == 0 and dist[1, 0] == 0 and idx[:2, 0].tolist() == [17, 250]
    assert (dist[2:, 0] > 1).all() and (dist[:, 1] >= dist[:, 0]).all()


def test_excluding_itself_gives_the_nearest_other_image():
    train = torch.tensor([[0.0], [1.0], [3.0], [3.5]])
    dist, idx = nearest(train, train, 1, exclude_self=torch.arange(4))
    assert idx[:, 0].tolist() == [1, 0, 3, 2] and dist[:, 0].tolist() == [1.0, 1.0, 0.5, 0.5]


def test_verdict_counts_copies_and_compares_with_real_distances():
    real = np.linspace(1.0, 2.0, 100)
    facts = verdict(np.array([0.0, 0.0, 1.5, 1.5]), real, "pixel")
    assert facts["exact_copies"] == 2 and facts["closer_than_1pct_real"] == 0.5
    assert facts["ratio"] == pytest.approx(0.75 / 1.5)


def test_cli_writes_the_grid_and_the_distance_plot(tiny_run, tmp_path, capsys):
    out = tmp_path / "nn.png"
    args = ["nearest", str(tiny_run), "--n", "6", "--k", "3", "--space", "pixel", "--out", str(out)]
    assert main(args) == 0
    assert Image.open(out).size == (4 * 18 + 2, 6 * 18 + 2)  # a sample and 3 neighbours per row
    assert (tmp_path / "nn-distances.png").is_file()
    printed = capsys.readouterr().out
    assert "generated->train median" in printed and "exact copies 0 of 500" in printed


def test_data_of_another_shape_is_one_line(tmp_path):
    folder = tmp_path / "rgb"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (20, 20), (i * 40, 10, 10)).save(folder / f"{i}.png")
    cfg = {"data": {"name": "folder", "resolution": 16, "channels": 3}}
    with pytest.raises(
        GankitError,
        match=r"gives images of shape \[3, 16, 16\] but the generator makes \[1, 16, 16\]",
    ):
        training_images(cfg, str(folder), (1, 16, 16))
    # a run without a data path (the embedded digits) reads --data as a folder like its own data
    grey, key = training_images(
        {"data": {"name": "digits", "resolution": 16}}, str(folder), (1, 16, 16)
    )
    assert key["name"] == "folder" and key["path"] == str(folder)
    assert grey.shape == (4, 1, 16, 16) and grey.dtype == torch.uint8


def test_training_features_are_cached_in_their_order(tmp_path, monkeypatch):
    from gankit.use.nearest import embed

    images = torch.randint(0, 256, (30, 1, 16, 16), dtype=torch.uint8)
    key = {"name": "folder", "path": str(tmp_path)}
    first = embed(images, "random_conv", "cpu", "x", key)
    assert len(list((tmp_path / "gankit-cache" / "stats").glob("*.npy"))) == 1  # $GANKIT_CACHE
    monkeypatch.setattr("gankit.use.nearest.extract", lambda *a, **k: 1 / 0)  # must not be called
    torch.testing.assert_close(embed(images, "random_conv", "cpu", "x", key), first)


def test_nearest_on_a_toy_run_is_one_line(tmp_path, capsys):
    run = tmp_path / "ring"
    assert main(["train", "--preset", "ring8-wgan-gp", "--steps", "2", "--out", str(run),
                 "--set", "train.device=cpu", "--set", "log.checkpoint_every=2"]) == 0  # fmt: skip
    assert main(["nearest", str(run), "--space", "pixel", "--out", str(tmp_path / "nn.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        err[-1]
        == "gankit: error: gankit nearest checks image generators; this run's data are points"
    )


def test_fewer_training_images_than_k_plus_one_is_one_line(tiny_run, tmp_path, capsys):
    """Issue 25: --data with 3 images and --k 4 raised torch's kthvalue/topk error."""
    folder = tmp_path / "three"
    folder.mkdir()
    for i in range(3):
        Image.new("L", (16, 16), 60 * i).save(folder / f"{i}.png")
    args = ["nearest", str(tiny_run), "--data", str(folder), "--k", "4", "--space", "pixel",
            "--out", str(tmp_path / "nn.png")]  # fmt: skip
    assert main(args) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("gankit:")]
    assert len(err) == 1 and "--k 4 needs at least 5 training images, the data has 3" in err[0]
    assert not (tmp_path / "nn.png").exists()


def test_nearest_without_inception_weights_falls_back_to_pixels_and_says_so(tiny_run, tmp_path,
                                                                            monkeypatch):  # fmt: skip
    from gankit.metrics import inception

    monkeypatch.setattr(inception, "packaged_weights", lambda: None)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "empty-cache"))
    args = ["nearest", str(tiny_run), "--n", "4", "--k", "2", "--out", str(tmp_path / "nn.png")]
    with pytest.warns(UserWarning, match="found in pixel space"):
        assert main(args) == 0


@pytest.mark.parametrize("site", ["nn.png", "nn-distances.png"])
def test_a_full_disk_at_out_is_one_line_and_leaves_nothing(tiny_run, tmp_path, monkeypatch,
                                                          capsys, site):  # fmt: skip
    from tests.run.test_write_faults import fail_writes

    out = tmp_path / "out"
    out.mkdir()
    raised = fail_writes(monkeypatch, site)
    args = ["nearest", str(tiny_run), "--n", "6", "--space", "pixel", "--out", str(out / "nn.png")]
    assert main(args) == 2 and raised == [site]
    err = capsys.readouterr().err
    assert f"could not write {out / site} (the disk is full)" in err and "Traceback" not in err
    assert not any(p.name.startswith(".") for p in out.iterdir())
