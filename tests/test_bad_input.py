"""Every bad input of issue 5: one line naming the problem and the fix, exit code 2, and
nothing already written lost."""

import shutil

import pytest
import yaml
from PIL import Image

from gankit.cli import main
from tests.conftest import FOLDER_ARGS, TINY

TINY_ARGS = [a for s in TINY for a in ("--set", s)]


def run_cli(argv, capsys):
    code = main(argv)
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("gankit: error:")]
    return code, err, errors


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (20, 20), (60 * i, 0, 0)).save(folder / f"{i}.png")
    return folder


CASES = {
    "unknown preset": (
        ["train", "--preset", "celeba-wgan"],
        "unknown preset 'celeba-wgan' (did you mean",
    ),
    "unknown key": (["train", "--set", "train.batchsize=8"], "did you mean 'batch_size'"),
    "negative lr": (
        ["train", "--set", "optim.d.lr=-0.1"],
        "optim.d.lr must be a finite number > 0, got -0.1",
    ),
    "n_critic 0": (
        ["train", "--set", "train.n_critic=0"],
        "train.n_critic must be an integer in [1, 1000]",
    ),
    "wrong type": (
        ["train", "--set", "train.batch_size=big"],
        "train.batch_size must be an integer in [1, 1048576], got 'big'",
    ),
    "size not power of two": (
        ["train", "--set", "data.resolution=40"],
        "set data.resolution to one of",
    ),
    "batch larger than dataset": (
        ["train", "--set", "train.batch_size=5000"],
        "larger than the dataset (1797",
    ),
    "missing data path": (
        ["train", "--preset", "anime64-dcgan", "--data", "nowhere"],
        "does not exist",
    ),
    "no data path given": (
        ["train", "--preset", "anime64-dcgan"],
        "needs a data path: pass --data PATH",
    ),
    "bad config file": (
        ["train", "--config", "missing.yaml"],
        "config file missing.yaml does not exist",
    ),
    "no gpu": (["train", "--set", "train.device=cuda"], "no CUDA GPU is available"),
    "bad set syntax": (["train", "--set", "train.steps"], "expects dotted.key=value"),
    "sample of a non-run": (
        ["sample", "no_such_run", "--out", "x.png"],
        "not a gankit run directory",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input(name, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    argv, message = CASES[name]
    out = ["--out", "run"] if argv[0] == "train" else []
    code, err, errors = run_cli([*argv, *out], capsys)
    assert code == 2 and len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "run").exists()  # nothing was written for a run that never started


@pytest.mark.parametrize(
    "kind,message",
    [
        ("empty folder", "no images"),
        ("no images", "no images"),
        ("not a zip", "not a zip archive"),
        ("all corrupt", "could be decoded"),
    ],
)
def test_bad_data_folders(kind, message, capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    if kind == "no images":
        (data / "readme.txt").write_text("hi")
    elif kind == "not a zip":
        data = tmp_path / "faces.zip"
        data.write_text("plain text")
    elif kind == "all corrupt":
        (data / "a.jpg").write_bytes(b"\xff\xd8garbage")
    code, err, errors = run_cli(
        ["train", "--preset", "anime64-dcgan", "--data", str(data), "--out", str(tmp_path / "run")],
        capsys,
    )
    assert code == 2 and len(errors) == 1 and message in errors[0], err


def test_odd_images_are_read_with_warnings(images, capsys, tmp_path):
    Image.new("RGB", (4, 4)).save(images / "tiny.png")
    Image.new("CMYK", (20, 20)).save(images / "cmyk.jpg")
    Image.new("LA", (20, 20)).save(images / "grey_alpha.png")
    (images / "broken.png").write_bytes(b"\x89PNG truncated")
    with pytest.warns(UserWarning) as caught:
        code = main(
            [
                "train",
                "--data",
                str(images),
                "--out",
                str(tmp_path / "run"),
                "--steps",
                "1",
                *FOLDER_ARGS,
            ]
        )
    assert code == 0, capsys.readouterr().err
    messages = " | ".join(str(w.message) for w in caught)
    assert (
        "skipped 1 unreadable" in messages and "1 image(s)" in messages and "upsampled" in messages
    )


def test_existing_run_dir_is_left_alone(capsys, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    code, err, errors = run_cli(["train", "--out", str(out)], capsys)
    assert code == 2 and "already exists" in errors[0] and "--overwrite" in errors[0]
    assert (out / "precious.txt").read_text() == "keep me"


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("done") / "run"
    assert main(["train", "--out", str(out), "--steps", "2", *TINY_ARGS]) == 0
    return out


def test_resume_with_incompatible_config(finished, capsys, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    before = (run / "config.yaml").read_text()
    code, err, errors = run_cli(["train", "--resume", str(run), "--set", "model.z_dim=3"], capsys)
    assert code == 2 and "cannot resume with a different model.z_dim" in errors[0]
    assert (run / "config.yaml").read_text() == before


def test_checkpoint_from_another_architecture(finished, capsys, tmp_path):
    other = tmp_path / "other"
    assert (
        main(
            [
                "train",
                "--out",
                str(other),
                "--steps",
                "1",
                *TINY_ARGS,
                "--set",
                "model.generator.width=4",
            ]
        )
        == 0
    )
    capsys.readouterr()
    code, err, errors = run_cli(
        [
            "sample",
            str(finished),
            "--checkpoint",
            str(other / "checkpoints" / "latest.pt"),
            "--out",
            str(tmp_path / "x.png"),
        ],
        capsys,
    )
    assert code == 2 and "does not fit generator" in errors[0]
    code, err, errors = run_cli(
        [
            "eval",
            str(finished),
            "--checkpoint",
            str(other / "checkpoints" / "latest.pt"),
            "--extractor",
            "random_conv",
            "--n",
            "10",
        ],
        capsys,
    )
    assert code == 2 and "does not fit generator" in errors[0]
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    shutil.copy(other / "checkpoints" / "latest.pt", run / "checkpoints" / "latest.pt")
    for old in (run / "checkpoints").glob("step-*.pt"):
        old.unlink()
    code, err, errors = run_cli(["train", "--resume", str(run), "--steps", "3"], capsys)
    assert code == 2 and "config.yaml was edited: model.generator.width" in errors[0], err


def test_resume_of_something_that_is_not_a_run(capsys, tmp_path):
    code, err, errors = run_cli(["train", "--resume", str(tmp_path)], capsys)
    assert code == 2 and "not a gankit run directory" in errors[0]


def test_config_file_round_trip(finished, capsys, tmp_path):
    """config.yaml of a run is a valid --config for a new one."""
    cfg = yaml.safe_load((finished / "config.yaml").read_text())
    assert cfg["train"]["steps"] == 2
    code = main(
        ["train", "--config", str(finished / "config.yaml"), "--out", str(tmp_path / "again")]
    )
    assert code == 0, capsys.readouterr().err
