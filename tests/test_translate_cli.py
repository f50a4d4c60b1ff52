"""Translation runs end to end: the run directory, ``gankit translate`` on folders, images and
arrays, ``gankit eval`` per direction, and the one-line refusals."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.use.translate import Translator
from tests.conftest import TINY
from tests.models.test_translation import TINY as MODEL_SETS


def train(out, mnist_root, kind, *extra):
    data = [] if any(e.startswith("data.name=") for e in extra) else [f"data.path={mnist_root}"]
    sets = [*TINY, f"model.kind.name={kind}", *MODEL_SETS[kind], *data, *extra]
    return main(
        ["train", "--out", str(out), "--steps", "4", *[a for s in sets for a in ("--set", s)]]
    )


@pytest.fixture
def cyclegan_run(tmp_path, mnist_root):
    out = tmp_path / "cg"
    assert train(out, mnist_root, "cyclegan", "model.ema=0.9") == 0
    return out


def test_translation_run_leaves_its_artefacts(cyclegan_run):
    for name in ("progress.gif", "losses.png", "best.png", "report.md", "checkpoints/latest.pt"):
        assert (cyclegan_run / name).is_file(), name
    frame = np.asarray(Image.open(sorted((cyclegan_run / "samples").glob("*.png"))[-1]))
    assert frame.shape[:2] == (
        6 * 18 + 2,
        8 * 18 + 2,
    )  # 2 domains x (input, output, back) rows of 8
    report = (cyclegan_run / "report.md").read_text()
    assert "`cyclegan`" in report and "g_ab" in report and "| generator |" not in report


def test_translate_folder_image_and_array(cyclegan_run, tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for i, name in enumerate(["a.png", "sub/b.jpg"]):
        Image.new("L", (40, 30), 40 * i).save(src / name)
    out = tmp_path / "out"
    assert (
        main(
            [
                "translate",
                str(cyclegan_run),
                "--in",
                str(src),
                "--to",
                "inverted",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["a.png", "sub/b.png"]
    assert Image.open(out / "a.png").size == (16, 16)  # the run's resolution
    one = tmp_path / "one.png"
    assert (
        main(
            [
                "translate",
                str(cyclegan_run),
                "--in",
                str(src / "a.png"),
                "--to",
                "plain",
                "--out",
                str(one),
            ]
        )
        == 0
    )
    assert Image.open(one).size == (16, 16)
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    np.save(tmp_path / "x.npy", x.numpy())
    args = ["translate", str(cyclegan_run), "--in", str(tmp_path / "x.npy"), "--to", "inverted"]
    assert main([*args, "--out", str(tmp_path / "y.npy")]) == 0
    y = torch.from_numpy(np.load(tmp_path / "y.npy"))
    assert torch.allclose(y, Translator.load(str(cyclegan_run))(x, dst=1), atol=1e-6)
    assert not torch.allclose(y, x, atol=1e-2)  # something was translated


def test_translate_uses_the_ema_networks(cyclegan_run):
    state = torch.load(cyclegan_run / "checkpoints" / "latest.pt", weights_only=False)
    t = Translator.load(str(cyclegan_run))
    for name, weights in state["ema"].items():
        assert all(torch.equal(t.nets[name].state_dict()[k], v) for k, v in weights.items())


def test_eval_reports_fid_per_direction(cyclegan_run, capsys):
    args = ["eval", str(cyclegan_run), "--n", "20", "--extractor", "random_conv", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"fid_inverted2plain", "fid_plain2inverted", "fid_mean"}
    assert all(v > 0 for v in result.values())


@pytest.mark.parametrize(
    "args, message",
    [
        (["--to", "sepia"], "the run's domains are plain, inverted"),
        (["--to", "plain", "--from", "x"], "--from x"),
        (["--to", "plain", "--ref", "x.npy"], "translates without styles; drop --ref"),
    ],
)
def test_unknown_domains_are_one_line_errors(cyclegan_run, tmp_path, capsys, args, message):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 1, 16, 16), np.float32))
    assert (
        main(
            [
                "translate",
                str(cyclegan_run),
                "--in",
                str(x),
                "--out",
                str(tmp_path / "y.npy"),
                *args,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_wrongly_shaped_array_is_refused(cyclegan_run, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 16, 16), np.float32))
    args = ["translate", str(cyclegan_run), "--in", str(tmp_path / "x.npy"), "--to", "plain"]
    assert main([*args, "--out", str(tmp_path / "y.npy")]) == 2
    assert "float arrays [N, 1, 16, 16]" in capsys.readouterr().err


def test_sample_refuses_a_translation_run(cyclegan_run, tmp_path, capsys):
    assert main(["sample", str(cyclegan_run), "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "gankit translate" in err and len(err.splitlines()) == 1


def test_translate_refuses_a_gan_run(tmp_path, capsys):
    out = tmp_path / "gan"
    assert (
        main(["train", "--out", str(out), "--steps", "2", *[a for s in TINY for a in ("--set", s)]])
        == 0
    )
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 3, 16, 16), np.float32))
    assert (
        main(["translate", str(out), "--in", str(x), "--to", "a", "--out", str(tmp_path / "y.npy")])
        == 2
    )
    assert "not a translation run" in capsys.readouterr().err


@pytest.mark.parametrize(
    "sets, message",
    [
        (["data.name=digits"], "translates between image domains"),
        (["regularizers.r1.weight=1"], "regularizers (r1) belong to model.kind=gan"),
        (["train.batch_size=5"], "multiple of the 2 domains"),
        (["data.resolution=18"], "divisible by 4"),
    ],
)
def test_bad_translation_configs_are_refused_before_any_file(
    tmp_path, mnist_root, capsys, sets, message
):
    out = tmp_path / "bad"
    assert train(out, mnist_root, "cyclegan", *sets) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_starganv2_runs_and_translates_with_a_reference(tmp_path, mnist_root):
    out = tmp_path / "sg"
    assert train(out, mnist_root, "starganv2") == 0
    t = Translator.load(str(out))
    x, ref = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(1, 3, 16, 16) * 2 - 1
    by_ref, by_noise = t(x, dst=2, ref=ref), t(x, dst=2, seed=0)
    assert by_ref.shape == x.shape and not torch.allclose(by_ref, by_noise)
    assert torch.equal(by_noise, t(x, dst=2, seed=0))  # a seed is a style


@pytest.mark.parametrize("layout", ["one-domain", "empty-domain"])
def test_bad_domain_folders_exit_2_in_one_line(tmp_path, capsys, layout):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (20, 20), (10 * i, 0, 0)).save(root / "a" / f"{i}.png")
    if layout == "empty-domain":
        (root / "b").mkdir()
    sets = [*TINY, "model.kind.name=cyclegan", *MODEL_SETS["cyclegan"], "data.name=domains"]
    args = ["train", "--out", str(tmp_path / "run"), "--data", str(root)]
    assert main([*args, *[a for s in sets for a in ("--set", s)]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ("two or more domains" in err[0] or "holds no images" in err[0])
    assert not (tmp_path / "run").exists()


def test_in_training_evaluation_ranks_checkpoints_by_mean_fid(tmp_path, mnist_root):
    out = tmp_path / "cg"
    sets = ("eval.every=2", "eval.extractor=random_conv", "eval.n=20")
    assert train(out, mnist_root, "cyclegan", *sets) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    evals = [r["eval"] for r in rows if "eval" in r]
    assert len(evals) == 2 and set(evals[0]) == {
        "fid_inverted2plain",
        "fid_plain2inverted",
        "fid_mean",
    }
    assert all(
        e["fid_mean"] == pytest.approx((e["fid_inverted2plain"] + e["fid_plain2inverted"]) / 2)
        for e in evals
    )
    best = json.loads((out / "best.json").read_text())
    assert best["metric"] == "fid_mean" and best["value"] == min(e["fid_mean"] for e in evals)
    assert (out / "checkpoints" / "best.pt").is_file()


def _tree(root):
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def _setup_inputs(w):
    (w / "in").mkdir()
    Image.new("L", (16, 16), 10).save(w / "in" / "a.png")
    Image.new("L", (16, 16), 200).save(w / "in" / "b.png")
    np.save(w / "x.npy", np.zeros((2, 1, 16, 16), np.float32))


def _collide(w):
    Image.new("L", (16, 16), 90).save(w / "in" / "a.jpg")


def _nan(w):
    np.save(w / "nan.npy", np.full((2, 1, 16, 16), np.nan, np.float32))


def _existing(w):
    (w / "out").mkdir()
    (w / "out" / "a.png").write_text("mine")


def _bomb(w):
    """A PNG whose header claims 30000x30000 pixels (PIL's decompression-bomb guard)."""
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    (w / "in" / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                                       + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))  # fmt: skip


def _huge(w):
    with open(w / "huge.npy", "wb") as f:  # a header that claims 10^9 images, and no data
        header = {"descr": "<f4", "fortran_order": False, "shape": (10**9, 1, 16, 16)}
        np.lib.format.write_array_header_1_0(f, header)


# issue 25: translate never overwrites its inputs nor silently loses or fakes outputs
TRANSLATE_CASES = {
    "out equal to in": (None, ["--in", "in", "--out", "in"], "is inside --in"),
    "out inside in": (None, ["--in", "in", "--out", "in/out"], "is inside --in"),
    "two inputs, one output name": (
        _collide,
        ["--in", "in", "--out", "out"],
        "which would both be written to",
    ),  # fmt: skip
    "NaN array": (_nan, ["--in", "nan.npy", "--out", "y.npy"], "holds NaN or infinite values"),
    "jpg name for PNG data": (None, ["--in", "in/a.png", "--out", "y.jpg"], "written as PNG"),
    "same domain on CycleGAN": (
        None,
        ["--in", "x.npy", "--out", "y.npy", "--from", "inverted"],
        "are the same domain",
    ),  # fmt: skip
    "existing outputs": (_existing, ["--in", "in", "--out", "out"], "pass --overwrite"),
    "a PNG bomb": (_bomb, ["--in", "in", "--out", "out"], "more pixels than PIL's safety limit"),
    "an array header claiming 10^9 images": (
        _huge,
        ["--in", "huge.npy", "--out", "y.npy"],
        "--in huge.npy",
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", TRANSLATE_CASES)
def test_translate_refusals(name, cyclegan_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _setup_inputs(tmp_path)
    setup, argv, fragment = TRANSLATE_CASES[name]
    if setup:
        setup(tmp_path)
    before = _tree(tmp_path)
    assert main(["translate", str(cyclegan_run), "--to", "inverted", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert _tree(tmp_path) == before  # nothing written, nothing replaced


def test_translate_overwrites_only_when_asked(cyclegan_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _setup_inputs(tmp_path)
    _existing(tmp_path)
    assert main(["translate", str(cyclegan_run), "--to", "inverted", "--in", "in", "--out", "out",
                 "--overwrite"]) == 0  # fmt: skip
    assert Image.open(tmp_path / "out" / "a.png").size == (16, 16)


def test_a_fifo_among_the_inputs_is_skipped(cyclegan_run, tmp_path, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    _setup_inputs(tmp_path)
    os.mkfifo(tmp_path / "in" / "pipe.png")
    assert (
        main(["translate", str(cyclegan_run), "--to", "inverted", "--in", "in", "--out", "o"]) == 0
    )
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.png", "b.png"]
