"""Latent walks (slerp), explicit latents (--z) and the sample/interpolate API."""

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.models.latent import Latent
from gankit.use.generator import load
from gankit.use.walk import slerp, walk_draws


def test_slerp_ends_at_both_latents_and_keeps_the_norm():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 64, generator=g), torch.randn(5, 64, generator=g)
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)  # equal norms
    path = slerp(a, b, torch.linspace(0, 1, 9))
    torch.testing.assert_close(path[:, 0].float(), a, rtol=0, atol=1e-6)
    torch.testing.assert_close(path[:, -1].float(), b, rtol=0, atol=1e-6)
    norms = path.norm(dim=2) / a.norm(dim=1, keepdim=True).double()
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-9)
    # a straight line through the same ends shrinks towards the middle: slerp does not
    lerp_mid = ((a + b) / 2).norm(dim=1) / a.norm(dim=1)
    assert (lerp_mid < 0.9).all()


def test_slerp_of_parallel_vectors_is_the_straight_line():
    a = torch.ones(1, 4)
    torch.testing.assert_close(slerp(a, 2 * a, torch.tensor([0.5]))[0, 0].float(), 1.5 * a[0])


def test_walk_draws_keep_class_and_codes_of_the_start_and_respect_truncation():
    latent = Latent(z_dim=6, num_classes=10, categorical=(4,), continuous=2)
    draw = walk_draws(latent, walks=3, steps=5, seed=1, truncation=0.5)
    assert draw.z.shape == (15, latent.dim) and draw.z[:, :6].abs().max() <= 0.5
    assert (draw.y.view(3, 5) == draw.y.view(3, 5)[:, :1]).all()  # one class per walk
    assert (draw.cat.view(3, 5, 1) == draw.cat.view(3, 5, 1)[:, :1]).all()
    cont = draw.cont.view(3, 5, 2)  # continuous codes move on a straight line
    torch.testing.assert_close(cont[:, 2], (cont[:, 0] + cont[:, 4]) / 2)


def test_interpolate_endpoints_are_the_two_latents_samples(tiny_run):
    G = load(tiny_run)
    walk = G.interpolate(2, steps=6, seed=3)
    draw = walk_draws(G.latent, 2, 6, seed=3)
    ends = torch.cat([draw.z[0::6], draw.z[5::6]])
    torch.testing.assert_close(walk.view(2, 6, *G.shape)[:, [0, 5]].transpose(0, 1).flatten(0, 1),
                               G(ends), rtol=0, atol=1e-6)  # fmt: skip


def test_cli_writes_the_walk_as_gif_and_grid(tiny_run, tmp_path):
    assert (
        main(["sample", str(tiny_run), "--interpolate", "3", "--out", str(tmp_path / "w.gif")]) == 0
    )
    assert (
        main(["sample", str(tiny_run), "--interpolate", "3", "--out", str(tmp_path / "w.png")]) == 0
    )
    with Image.open(tmp_path / "w.gif") as gif:
        assert gif.n_frames == 2 * 16 - 2  # there and back again
    assert Image.open(tmp_path / "w.png").size == (16 * 18 + 2, 3 * 18 + 2)  # 3 walks of 16


def test_explicit_latents_give_reproducible_samples(tiny_run, tmp_path):
    z = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    assert (
        main(
            [
                "sample",
                str(tiny_run),
                "--z",
                str(tmp_path / "z.npy"),
                "--out",
                str(tmp_path / "x.npy"),
            ]
        )
        == 0
    )
    x = np.load(tmp_path / "x.npy")
    G = load(tiny_run)
    assert x.shape == (5, *G.shape)
    np.testing.assert_allclose(x, G(torch.from_numpy(z)).numpy(), atol=1e-6)
    np.testing.assert_allclose(x, G.sample(z=z).numpy(), atol=1e-6)


def test_explicit_latents_with_a_class(conditional_run, tmp_path):
    z = np.zeros((2, 8), np.float32)
    np.save(tmp_path / "z.npy", z)
    for k in (1, 2):
        main(["sample", str(conditional_run), "--z", str(tmp_path / "z.npy"), "--class", str(k),
              "--out", str(tmp_path / f"x{k}.npy")])  # fmt: skip
    G = load(conditional_run)
    y = torch.full((2,), 2)
    np.testing.assert_allclose(
        np.load(tmp_path / "x2.npy"), G(torch.zeros(2, 8), y).numpy(), atol=1e-6
    )
    assert not np.allclose(np.load(tmp_path / "x1.npy"), np.load(tmp_path / "x2.npy"))


@pytest.mark.parametrize(
    "make,args,message",
    [
        (
            lambda p: np.save(p, np.zeros((3, 7), np.float32)),
            [],
            "--z must hold float latents of shape [N, 8]",
        ),
        (lambda p: np.save(p, np.zeros((3, 8), np.int64)), [], "must be a float array [N, z_dim]"),
        (lambda p: np.save(p, np.full((3, 8), np.nan, np.float32)), [], "NaN or infinite"),
        (lambda p: p.write_text("junk"), [], "is not a readable .npy array"),
        (lambda p: np.save(p, np.zeros((3, 8), np.float32)), ["--interpolate", "2"], "drop --z"),
    ],
)
def test_bad_latents_are_one_line_with_exit_code_2(tiny_run, tmp_path, capsys, make, args, message):
    make(tmp_path / "z.npy")
    out = str(tmp_path / ("w.gif" if args else "x.npy"))
    assert main(["sample", str(tiny_run), "--z", str(tmp_path / "z.npy"), *args, "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_interpolate_needs_a_picture_file(tiny_run, tmp_path, capsys):
    assert (
        main(["sample", str(tiny_run), "--interpolate", "2", "--out", str(tmp_path / "w.npy")]) == 2
    )
    assert "--out must end in .gif (animated) or .png (a picture)" in capsys.readouterr().err


def test_sample_outputs_tensor_pil_and_grid(tiny_run):
    G = load(tiny_run)
    x = G.sample(5, seed=1)
    assert x.shape == (5, *G.shape) and x.dtype == torch.float32
    torch.testing.assert_close(G.sample(5, seed=1), x)  # a seed is a seed
    pil = G.sample(5, seed=1, output="pil")
    assert len(pil) == 5 and pil[0].size == (16, 16) and pil[0].mode == "L"
    np.testing.assert_array_equal(
        np.asarray(pil[2]), ((x[2, 0] + 1) * 127.5).round().byte().numpy()
    )
    assert G.sample(5, output="grid").size == (3 * 18 + 2, 2 * 18 + 2)
    assert G.metrics[-1]["step"] == 4
