"""gankit export: safetensors, ONNX and TorchScript give back G's images, for every generator."""

import inspect
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from gankit.cli import main
from gankit.errors import GankitError
from gankit.models.latent import Latent
from gankit.nets import GENERATORS
from gankit.run.load import make_generator
from gankit.use import export as E
from gankit.use.generator import TrainedGenerator, load

SMALL = {"width": 4}
# every image generator at its smallest example shape, plain and (where it reads labels) with 3 classes
CASES = [
    (name, min(s for s in GENERATORS.get(name).example_shapes() if len(s) == 3), classes)
    for name in GENERATORS.names()
    if any(len(s) == 3 for s in GENERATORS.get(name).example_shapes())
    for classes in (0, 3)
    if not classes or "num_classes" in inspect.signature(GENERATORS.get(name)).parameters
]
IDS = [f"{n}-{'x'.join(map(str, s))}-{'cond' if c else 'plain'}" for n, s, c in CASES]


def trained(name, shape, classes) -> TrainedGenerator:
    """A generator with random (not initial) weights and batch-norm statistics."""
    latent = Latent(z_dim=7, num_classes=classes)
    net = make_generator(name, SMALL, shape, latent)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        net.train()
        draw = latent.sample(8, "cpu")
        net(draw.z) if draw.y is None else net(draw.z, draw.y)  # moves running statistics
    config = {"model": {"generator": {"name": name, **SMALL}}, "description": "test"}
    return TrainedGenerator(net, latent, shape, config, step=3)


def images(G: TrainedGenerator, n: int = 5):
    draw = G.latent.sample(n, "cpu", generator=torch.Generator().manual_seed(1))
    return draw, G(draw.z, draw.y).clamp(-1, 1)


@pytest.mark.parametrize("name,shape,classes", CASES, ids=IDS)
def test_safetensors_round_trip_rebuilds_the_same_generator(tmp_path, name, shape, classes):
    G = trained(name, shape, classes)
    E.write_safetensors(G, tmp_path / "G.safetensors")
    H = load(tmp_path / "G.safetensors")
    draw, expected = images(G)
    assert H.latent == G.latent and H.shape == shape and H.step == 3
    torch.testing.assert_close(H(draw.z, draw.y).clamp(-1, 1), expected, rtol=0, atol=0)


@pytest.mark.parametrize("name,shape,classes", CASES, ids=IDS)
def test_torchscript_gives_the_same_images_at_any_batch_size(tmp_path, name, shape, classes):
    G = trained(name, shape, classes)
    E.write_torchscript(G, tmp_path / "G.pt")
    module = torch.jit.load(str(tmp_path / "G.pt"))
    for n in (1, 6):
        draw, expected = images(G, n)
        got = module(draw.z) if draw.y is None else module(draw.z, draw.y)
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "name,shape,classes", [c for c in CASES if c[0] in ("dcgan", "biggan", "r3gan")],
    ids=[i for c, i in zip(CASES, IDS) if c[0] in ("dcgan", "biggan", "r3gan")],
)  # fmt: skip
def test_onnx_runs_in_onnxruntime_like_pytorch(tmp_path, name, shape, classes):
    import onnxruntime

    G = trained(name, shape, classes)
    facts = E.write_onnx(G, tmp_path / "G.onnx")
    assert facts["max_abs_diff"] <= E.TOLERANCE and facts["opset"] >= 17
    session = onnxruntime.InferenceSession(str(tmp_path / "G.onnx"))
    assert [i.name for i in session.get_inputs()] == (["z", "y"] if classes else ["z"])
    for n in (2, 7):  # dynamic batch
        draw, expected = images(G, n)
        feeds = {"z": draw.z.numpy(), **({"y": draw.y.numpy()} if classes else {})}
        (x,) = session.run(["x"], feeds)
        assert x.shape == (n, *shape) and np.abs(x - expected.numpy()).max() <= 1e-4


def test_cli_exports_a_trained_run_with_its_ema_generator(tmp_path, tiny_run):
    for fmt, ext in (("safetensors", "safetensors"), ("torchscript", "pt"), ("onnx", "onnx")):
        assert (
            main(["export", str(tiny_run), "--format", fmt, "--out", str(tmp_path / f"G.{ext}")])
            == 0
        )
    G = load(tiny_run)
    assert G.config["model"]["ema"]  # the run kept an EMA copy, and export took it
    draw, expected = images(G, 4)
    torch.testing.assert_close(load(tmp_path / "G.safetensors")(draw.z).clamp(-1, 1), expected)
    torch.testing.assert_close(torch.jit.load(str(tmp_path / "G.pt"))(draw.z), expected)


def test_a_missing_extra_names_the_pip_install(tmp_path, tiny_run, monkeypatch, capsys):
    real = E.importlib.util.find_spec
    monkeypatch.setattr(E.importlib.util, "find_spec",
                        lambda m: None if m == "onnxruntime" else real(m))  # fmt: skip
    code = main(["export", str(tiny_run), "--format", "onnx", "--out", str(tmp_path / "G.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and "needs onnxruntime: pip install 'gankit[export]'" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "G.onnx").exists()


def test_loading_a_file_that_is_not_an_export_is_one_line(tmp_path):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(GankitError, match="is not a gankit safetensors export"):
        load(bad)
    with pytest.raises(GankitError, match="give a run directory"):
        load(tmp_path / "nothing.onnx")


def test_loading_a_torchscript_export_says_how_to_load_it(tmp_path, tiny_run):
    assert (
        main(["export", str(tiny_run), "--format", "torchscript", "--out", str(tmp_path / "G.pt")])
        == 0
    )
    with pytest.raises(GankitError, match="is a TorchScript export; load it with torch.jit.load"):
        load(tmp_path / "G.pt")
    assert load(tiny_run / "checkpoints" / "latest.pt").step == 4  # a checkpoint file loads


def _rewritten(tmp_path, change):
    """A valid export whose gankit metadata is replaced by change(meta)."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    good = tmp_path / "good.safetensors"
    E.write_safetensors(trained("dcgan", (1, 16, 16), 0), good)
    with safe_open(str(good), "pt") as f:
        meta = json.loads(f.metadata()["gankit"])
    bad = tmp_path / "bad.safetensors"
    save_file(load_file(str(good)), str(bad), metadata={"gankit": json.dumps(change(meta))})
    return bad


def _latent(**changes):
    return lambda m: {**m, "latent": {**m["latent"], **changes}}


# issue 25: hostile or damaged metadata is one line naming the file and the field
METADATA_CASES = {
    "a list": (lambda m: [m], "not an object"),
    "no latent": (lambda m: {k: v for k, v in m.items() if k != "latent"}, "has no 'latent'"),
    "no generator": (
        lambda m: {k: v for k, v in m.items() if k != "generator"},
        "has no 'generator'",
    ),  # fmt: skip
    "unknown latent key": (_latent(bogus=1), "field 'latent'"),
    "z_dim a string": (_latent(z_dim="8"), "field 'latent'"),
    "z_dim negative": (_latent(z_dim=-3), "field 'latent'"),
    "categorical an int": (_latent(categorical=4), "field 'latent'"),
    "bad shape": (lambda m: {**m, "data_shape": [0, 16]}, "field 'data_shape'"),
}


@pytest.mark.parametrize("case", METADATA_CASES)
def test_hostile_export_metadata_is_one_line(tmp_path, case):
    change, fragment = METADATA_CASES[case]
    path = _rewritten(tmp_path, change)
    with pytest.raises(GankitError, match=fragment) as info:
        load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_hub_folder_round_trips_and_carries_a_model_card(tmp_path, tiny_run, capsys):
    """Issue 29: model.safetensors + config.json + README.md (front matter, samples, metrics)."""
    import json

    assert main(["eval", str(tiny_run), "--n", "20", "--extractor", "random_conv"]) == 0
    out = tmp_path / "hub"
    assert main(["export", str(tiny_run), "--format", "hub", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"model.safetensors", "config.json", "README.md",
                                               "samples.png"}  # fmt: skip
    config = json.loads((out / "config.json").read_text())
    assert config["generator"]["name"] and config["latent"]["z_dim"] >= 1
    card = (out / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: gankit\n") and "![64 samples](samples.png)" in card
    assert "| fid |" in card and "20 real vs 20 generated" in card

    G, H = load(tiny_run), load(out)
    torch.testing.assert_close(H.sample(4, seed=3), G.sample(4, seed=3), rtol=0, atol=0)
    assert main(["export", str(tiny_run), "--format", "hub", "--out", str(out)]) == 2
    assert "pass --overwrite" in capsys.readouterr().err


def test_a_model_card_names_a_folder_dataset_without_its_local_path():
    from gankit.use.hub import dataset_name, shared_data

    data = {"name": "folder", "path": "/home/me/private/cifar10-jpg.zip", "subdir": "train"}
    shared = shared_data(data)
    assert shared["path"] == "cifar10-jpg.zip" and dataset_name(shared) == "cifar10-jpg.zip/train"
    assert dataset_name({"name": "mnist"}) == "mnist"


def test_export_replaces_a_file_only_when_asked(tmp_path, tiny_run, capsys):
    target = tmp_path / "G.safetensors"
    target.write_text("mine")
    argv = ["export", str(tiny_run), "--format", "safetensors", "--out", str(target)]
    assert main(argv) == 2 and target.read_text() == "mine"
    assert main([*argv, "--overwrite"]) == 0 and load(target).shape


def test_sigterm_during_an_export_leaves_no_hidden_file(tmp_path, tiny_run, monkeypatch, capsys):
    """Issue 25: SIGTERM mid-export left .G.tmp.safetensors behind."""
    import os
    import signal

    real = os.fsync

    def fsync_then_terminated(fd):  # the temporary file is written whole now
        real(fd)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(os, "fsync", fsync_then_terminated)
    out = tmp_path / "G.safetensors"
    assert main(["export", str(tiny_run), "--format", "safetensors", "--out", str(out)]) == 143
    assert "stopped: by SIGTERM" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the export nor its temporary file


@pytest.mark.parametrize("fmt,name", [("safetensors", "G.safetensors"), ("torchscript", "G.pt"),
                                      ("onnx", "G.onnx")])  # fmt: skip
def test_a_full_disk_under_a_library_writer_is_one_line(tmp_path, tiny_run, fmt, name):
    """TorchScript's C++ writer aborted the process on a full disk, leaving .G.tmp.pt; the
    Rust one of safetensors raised its own error. A file-size limit makes the real writes fail."""
    if fmt == "onnx":
        pytest.importorskip("onnxruntime")

    def limit():  # runs in the child: its files may not grow past 1 kB
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000, 1_000))

    cmd = [sys.executable, "-m", "gankit.cli", "export", str(tiny_run), "--format", fmt,
           "--out", name]  # fmt: skip
    done = subprocess.run(cmd, cwd=tmp_path, preexec_fn=limit, capture_output=True, text=True)
    errors = [line for line in done.stderr.splitlines() if line.startswith("gankit: error:")]
    assert done.returncode == 2 and len(errors) == 1, done.stderr
    assert f"could not write {name} (File too large)" in errors[0]
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no half-written or hidden file


def _wrapped_interrupt(error):
    def fail(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise error  # noqa: B904 (the interrupt stays its context, as in libraries)

    return fail


@pytest.mark.parametrize("where,error", [
    ("torch.onnx.export", RuntimeError("Failed to export the model with torch.export")),
    ("check_onnx", ImportError("cannot import name 'InferenceSession' (partially initialized)")),
], ids=["exporter", "onnxruntime-import"])  # fmt: skip
def test_ctrl_c_wrapped_by_a_library_is_an_interrupt(tiny_run, tmp_path, monkeypatch, capsys,
                                                     where, error):  # fmt: skip
    """Issue 25: SIGINT while onnxruntime imports (or inside the exporter) came back as the
    library's own error: a traceback, or the exporter blamed for the user's Ctrl-C."""
    pytest.importorskip("onnxruntime")
    target = torch.onnx if where.startswith("torch") else E
    monkeypatch.setattr(target, where.rsplit(".", 1)[-1], _wrapped_interrupt(error))
    out = tmp_path / "G.onnx"
    assert main(["export", str(tiny_run), "--format", "onnx", "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "gankit: interrupted"
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module", params=["celeba2anime-cyclegan", "celeba-anime-starganv2"])
def translation_run(request, tmp_path_factory):
    """Two steps of each translation kind on two small colour domains."""
    from tests.data.test_domains import SMALL_KINDS, write_domain

    root = tmp_path_factory.mktemp("translation")
    write_domain(root / "data" / "red", 6, (250, 0, 0))
    write_domain(root / "data" / "blue", 6, (0, 0, 250))
    sets = ["data.paths=null", f"data.path={root / 'data'}", "data.resolution=16",
            "train.batch_size=2", "eval.every=0", *SMALL_KINDS[request.param]]  # fmt: skip
    args = ["train", "--preset", request.param, "--steps", "2", "--out", str(root / "run")]
    assert main([*args, *[a for s in sets for a in ("--set", s)]]) == 0
    return root


def test_a_translation_run_exports_and_translates_the_same(translation_run, capsys):
    """Issue 29: translation runs export their networks (CycleGAN's pair; StarGAN v2's G, F, E)
    as a safetensors file or a hub folder, which gankit translate reads without pickles."""
    import json

    from PIL import Image

    root = translation_run
    run, data = root / "run", root / "data" / "red"
    assert (
        main(["export", str(run), "--format", "safetensors", "--out", str(root / "T.safetensors")])
        == 0
    )
    assert main(["export", str(run), "--format", "hub", "--out", str(root / "hub")]) == 0
    outputs = []
    for source in (run, root / "T.safetensors", root / "hub"):
        out = root / f"out-{source.name}"
        assert (
            main(["translate", str(source), "--in", str(data), "--to", "blue", "--out", str(out)])
            == 0
        )
        outputs.append([np.asarray(Image.open(p)) for p in sorted(out.iterdir())])
    for other in outputs[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(outputs[0], other))
    meta = json.loads((root / "hub" / "config.json").read_text())
    assert meta["format"] == "gankit-translation-1" and meta["domains"] == ["blue", "red"]
    card = (root / "hub" / "README.md").read_text()
    assert "pipeline_tag: image-to-image" in card and "--to red" in card
    assert (root / "hub" / "samples.png").is_file() and str(root) not in card  # no local paths
    with pytest.raises(GankitError, match="is a translation model"):
        load(root / "T.safetensors")
    assert main(["export", str(run), "--format", "onnx", "--out", str(root / "T.onnx")]) == 2
    assert "exports as --format safetensors or hub" in capsys.readouterr().err
