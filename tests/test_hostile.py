"""A hostile and careless user (issue 18): every bad input is one line naming the problem and the
fix, exit code 2, no traceback, nothing outside the run directory changed and no partial run
directory left behind. One row per case; the damaged-directory and fault tests follow."""

import os
import shutil

import pytest
from PIL import Image

from gankit.cli import main
from gankit.errors import WriteError
from gankit.run import checkpoint as ckpt
from tests.conftest import FOLDER_ARGS, TINY

TINY_ARGS = [a for s in TINY for a in ("--set", s)]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("done") / "run"
    assert main(["train", "--out", str(out), "--steps", "2", *TINY_ARGS]) == 0
    return out


@pytest.fixture
def world(tmp_path, monkeypatch, finished):
    """A working folder with things to lose: images, a thesis, a finished run, a home."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    for folder in ("imgs", "data/imgs"):
        (tmp_path / folder).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (20, 20), (60 * i, 0, 0)).save(tmp_path / folder / f"{i}.png")
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("precious")
    shutil.copytree(finished, tmp_path / "done")
    (tmp_path / "bin.yaml").write_bytes(bytes(range(256)) * 4)
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    (tmp_path / "laughs.yaml").write_text("\n".join(laughs) + "\n")
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "nested.yaml").write_text("a: " + "[" * 40 + "]" * 40 + "\n")
    (tmp_path / "a_file").write_text("x")
    return tmp_path


def _setup_stray(w):
    (w / "done" / "draft.docx").write_text("not a run file")


def _setup_link(w):
    os.symlink(w / "done", w / "link")


def _setup_edited(w):
    path = w / "done" / "config.yaml"
    path.write_text(path.read_text().replace("batch_size: 16", "batch_size: 32"))


def _setup_wrong_contents(w):
    for path in (w / "done" / "checkpoints").glob("*.pt"):
        path.unlink()
    blob = ckpt.serialise({"format": ckpt.FORMAT, "step": 2, "config": {}})
    ckpt.save_atomic(blob, w / "done" / "checkpoints" / "latest.pt")


def _setup_z_files(w):
    import numpy as np

    np.savez(w / "z.npz", z=np.zeros((2, 8), np.float32))
    np.save(w / "empty.npy", np.zeros((0, 8), np.float32))
    with open(w / "huge.npy", "wb") as f:  # a header that claims 10^12 rows, and no data
        header = {"descr": "<f4", "fortran_order": False, "shape": (10**12, 8)}
        np.lib.format.write_array_header_1_0(f, header)


RING = ["train", "--preset", "ring8-gan", "--steps", "2", "--out", "run"]
TRAIN = ["train", "--steps", "2", "--out", "run", *TINY_ARGS]
EVAL = ["eval", "done", "--extractor", "random_conv"]

# name: (setup, argv, the one-line message's fragment)
CASES = {
    # 1. --overwrite never removes what is not a gankit run
    "overwrite unrelated files": (
        None,
        ["train", "--out", "thesis", "--overwrite"],
        "it is not a gankit run",
    ),
    "overwrite current dir": (
        None,
        ["train", "--out", ".", "--overwrite"],
        "contains the current directory",
    ),
    "overwrite parent via ..": (
        None,
        ["train", "--out", "imgs/..", "--overwrite"],
        "contains the current directory",
    ),
    "overwrite home": (
        None,
        ["train", "--out", "home", "--overwrite"],
        "contains the home directory",
    ),
    "overwrite the data folder": (
        None,
        ["train", "--preset", "anime64-dcgan", "--data", "imgs", "--out", "imgs", "--overwrite"],
        "contains the data folder",
    ),
    "overwrite data's ancestor": (
        None,
        [
            "train",
            "--preset",
            "anime64-dcgan",
            "--data",
            "data/imgs",
            "--out",
            "data",
            "--overwrite",
        ],
        "contains the data folder",
    ),
    "overwrite run with stray file": (
        _setup_stray,
        ["train", "--out", "done", "--overwrite"],
        "holds draft.docx",
    ),
    "overwrite through a symlink": (
        _setup_link,
        ["train", "--out", "link", "--overwrite"],
        "symbolic link",
    ),
    # 5. every config value checked before anything is written
    "data.std wrong type": (
        None,
        [*RING, "--set", "data.std=abc"],
        "data.std (dataset 'ring') must be a finite",
    ),
    "data.std nan": (
        None,
        [*RING, "--set", "data.std=.nan"],
        "data.std (dataset 'ring') must be a finite number > 0",
    ),
    "data.n_modes 0": (
        None,
        [*RING, "--set", "data.n_modes=0"],
        "data.n_modes (dataset 'ring') must be an integer",
    ),
    "width wrong type": (
        None,
        [*TRAIN, "--set", "model.generator.width=abc"],
        "model.generator.width (generator",
    ),
    "regulariser arg type": (
        None,
        [*RING, "--set", "regularizers.r1.weight=abc"],
        "regularizers.r1.weight",
    ),
    "regulariser arg range": (
        None,
        [*RING, "--set", "regularizers.r1.every=0"],
        "regularizers.r1.every",
    ),
    "z_dim as float": (
        None,
        [*TRAIN, "--set", "model.z_dim=1e8"],
        "model.z_dim must be an integer >= 1, got 100000000.0",
    ),
    "z_dim huge": (None, [*TRAIN, "--set", "model.z_dim=100000000"], "lower model.z_dim"),
    "infinite lr": (
        None,
        [*TRAIN, "--set", "optim.g.lr=.inf"],
        "optim.g.lr must be a finite number > 0, got inf",
    ),
    "nan ema": (
        None,
        [*TRAIN, "--set", "model.ema=.nan"],
        "model.ema must be a finite number in (0, 1)",
    ),
    "n_critic 1e9": (
        None,
        [*TRAIN, "--set", "train.n_critic=1000000000"],
        "train.n_critic must be an integer in [1, 1000]",
    ),
    "three adam betas": (
        None,
        [*TRAIN, "--set", "optim.d.betas=[0.5,0.9,0.1]"],
        "optim.d.betas must be a list of 2",
    ),
    "beta of 1.5": (
        None,
        [*TRAIN, "--set", "optim.g.betas=[0.5,1.5]"],
        "optim.g.betas must be a list of 2",
    ),
    "empty preset": (None, ["train", "--preset", "", "--out", "run"], "unknown preset ''"),
    "binary config": (
        None,
        ["train", "--config", "bin.yaml", "--out", "run"],
        "not a text (UTF-8 YAML) file",
    ),
    "billion laughs": (
        None,
        ["train", "--config", "laughs.yaml", "--out", "run"],
        "too many values",
    ),
    "deep nesting": (None, ["train", "--config", "deep.yaml", "--out", "run"], "nested too deeply"),
    "absurd nesting": (
        None,
        ["train", "--config", "nested.yaml", "--out", "run"],
        "nesting deeper than",
    ),
    "absurd batch": (
        None,
        [*RING, "--set", "train.batch_size=1000000000"],
        "train.batch_size must be an integer in [1, 1048576], got 1000000000",
    ),
    # 3. outputs that cannot be files
    "sample --out a directory": (None, ["sample", "done", "--out", "thesis.png/"], "directory"),
    "sample --out under a file": (
        None,
        ["sample", "done", "--out", "a_file/x.png"],
        "a_file is a file",
    ),
    "sample --n absurd": (
        None,
        ["sample", "done", "--n", "100000000", "--out", "x.npy"],
        "too many for one file",
    ),
    "eval --n absurd": (None, [*EVAL, "--n", "100000000"], "--n must be in [2, 1e6]"),
    # 4. damaged run directories
    "edited batch size": (
        _setup_edited,
        ["train", "--resume", "done", "--steps", "3"],
        "config.yaml was edited: train.batch_size (16 in the checkpoint -> 32)",
    ),
    "checkpoint of wrong contents": (
        _setup_wrong_contents,
        ["train", "--resume", "done", "--steps", "3"],
        "not a gankit checkpoint of this run",
    ),
    "sample wrong contents": (
        _setup_wrong_contents,
        ["sample", "done", "--out", "x.png"],
        "not a gankit checkpoint of this run",
    ),
    # 5. what a resume cannot apply is refused, never ignored (issue 25)
    "resume to fewer steps than done": (
        None,
        ["train", "--resume", "done", "--steps", "1"],
        "is already at step 2; --steps is the total to reach, so pass --steps 2 or more",
    ),
    "resume with --out": (
        None,
        ["train", "--resume", "done", "--out", "elsewhere"],
        "drop --out",
    ),
    "resume with --overwrite": (
        None,
        ["train", "--resume", "done", "--overwrite"],
        "drop --overwrite",
    ),
    # sizes from file headers are checked before anything is allocated (issue 25)
    "sample --z an npz": (
        _setup_z_files,
        ["sample", "done", "--z", "z.npz", "--out", "x.npy"],
        "is an .npz archive",
    ),  # fmt: skip
    "sample --z empty": (
        _setup_z_files,
        ["sample", "done", "--z", "empty.npy", "--out", "x.npy"],
        "--z empty.npy",
    ),  # fmt: skip
    "sample --z huge header": (
        _setup_z_files,
        ["sample", "done", "--z", "huge.npy", "--out", "x.npy"],
        "--z huge.npy",
    ),  # fmt: skip
    "sample --seed beyond 64 bits": (
        None,
        ["sample", "done", "--seed", str(2**70), "--out", "x.npy"],
        "fits in 64 bits",
    ),  # fmt: skip
    # 6. odds and ends
    "pr with too few samples": (
        None,
        [*EVAL, "--metrics", "pr", "--n", "3"],
        "needs more than 3 samples per side",
    ),
    "dc with too few samples": (
        None,
        [*EVAL, "--metrics", "dc", "--n", "4"],
        "needs more than 5 samples per side",
    ),
}


def snapshot(root):
    """Every path under root with its size and modification time (the test cache excluded, and
    a run's .lock, which a resume rewrites with its PID before it reads the checkpoint)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if "gankit-cache" not in path.parts and path.name != ".lock":
            st = path.lstat()
            out[str(path.relative_to(root))] = (path.is_dir(), st.st_size, st.st_mtime_ns)
    return out


@pytest.mark.parametrize("name", CASES)
def test_hostile_input(name, world, capsys, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    setup, argv, fragment = CASES[name]
    if setup:
        setup(world)
    if name == "sample --out a directory":
        (world / "thesis.png").mkdir()
    before = snapshot(world)
    code = main(argv)
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("gankit: error:")]
    assert code == 2 and len(errors) == 1 and fragment in errors[0], err
    assert "Traceback" not in err
    assert snapshot(world) == before  # nothing touched, no partial run directory
    assert not (world / "run").exists()


def test_overwrite_moves_the_old_run_aside_until_the_first_checkpoint(world, capsys, monkeypatch):
    old_config = (world / "done" / "config.yaml").read_text()
    seen = []
    from gankit.run.rundir import RunDir

    original = RunDir.discard_replaced

    def spy(self):
        if self.replaced is not None:
            seen.append(
                (
                    self.replaced.name,
                    (self.replaced / "config.yaml").read_text() == old_config,
                    (self.checkpoints / "latest.pt").is_file(),
                )
            )
        original(self)

    monkeypatch.setattr(RunDir, "discard_replaced", spy)
    assert (
        main(
            [
                "train",
                "--out",
                "done",
                "--overwrite",
                "--steps",
                "2",
                *TINY_ARGS,
                "--set",
                "train.seed=7",
            ]
        )
        == 0
    )
    assert seen == [("done.old-1", True, True)]  # kept intact until the new checkpoint existed
    assert not (world / "done.old-1").exists()
    assert "seed: 7" in (world / "done" / "config.yaml").read_text()


def test_a_failed_overwrite_puts_the_old_run_back(world, capsys, monkeypatch):
    before = snapshot(world / "done")

    def broken(self, *args, **kwargs):
        raise WriteError("could not write samples/step-0000000.png (the disk is full)")

    monkeypatch.setattr("gankit.training.loop.Session.save_frame", broken)
    code = main(["train", "--out", "done", "--overwrite", "--steps", "2", *TINY_ARGS])
    err = capsys.readouterr().err
    assert code == 2 and "the run it replaced is back in place" in err, err
    assert snapshot(world / "done") == before and not (world / "done.old-1").exists()


# ---------------------------------------------------------------- 2. one process per run directory


def test_a_second_trainer_is_refused_with_the_pid(world, capsys):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from gankit.run.lock import RunLock; "
            "RunLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(120)",
            str(world / "done"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for argv in (
            ["train", "--resume", "done", "--steps", "3"],
            ["train", "--out", "done", "--overwrite", *TINY_ARGS],
        ):
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert f"in use by another gankit process (PID {holder.pid})" in err, err
    finally:
        holder.kill()  # SIGKILL: the kernel drops the lock with the process
        holder.wait()
    assert main(["train", "--resume", "done", "--steps", "3"]) == 0


# ---------------------------------------------------------------- 4. damaged run directories

DAMAGE = {
    "config.yaml missing": lambda r: (r / "config.yaml").unlink(),
    "config.yaml empty": lambda r: (r / "config.yaml").write_text(""),
    "config.yaml invalid": lambda r: (r / "config.yaml").write_text("train: [unclosed\n"),
    "config.yaml binary": lambda r: (r / "config.yaml").write_bytes(b"\x00\xff\xfe" * 50),
    "metrics binary": lambda r: (r / "metrics.jsonl").write_bytes(b"\x00\xff\xfe\n" * 5),
    "metrics wrong rows": lambda r: (r / "metrics.jsonl").write_text(
        '[1, 2]\n{"step": "two"}\n{"step": 1, "loss_d": "x", "loss_g": 1}\n{"step": 2, "eval": {"fid": "bad"}}\n"s"\n'
    ),
    "samples deleted": lambda r: shutil.rmtree(r / "samples"),
    "summary broken": lambda r: (r / "summary.json").write_text("{not json"),
    "best.json a list": lambda r: (r / "best.json").write_text("[1, 2]"),
    "stray frames": lambda r: [
        (r / "samples" / "step-abc.png").write_text("x"),
        (r / "samples" / "step-0000001.png").mkdir(),
        (r / "samples" / "step-0000002.png").write_bytes(b"not a png"),
    ],
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_run_still_reports_samples_evaluates_and_resumes(damage, world, capsys):
    run = world / "done"
    DAMAGE[damage](run)
    for argv in (
        ["report", "done"],
        ["sample", "done", "--out", "s.png", "--n", "4"],
        [*EVAL, "--metrics", "kid", "--n", "8"],
        ["train", "--resume", "done", "--steps", "4"],
        ["report", "done"],
    ):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0 and "Traceback" not in err, (argv, err)
    assert ckpt.load(run / "checkpoints" / "latest.pt").step == 4
    assert (run / "report.md").is_file() and (run / "samples" / "step-0000004.png").is_file()


def test_a_run_killed_before_its_first_checkpoint_restarts_with_resume(world, capsys):
    run = world / "done"
    shutil.rmtree(run / "checkpoints")
    (run / "checkpoints").mkdir()
    with pytest.warns(UserWarning, match="no checkpoint yet"):
        assert main(["train", "--resume", "done"]) == 0
    assert ckpt.load(run / "checkpoints" / "latest.pt").step == 2
    assert [int(p.stem[5:]) for p in sorted((run / "samples").glob("step-*.png"))] == [0, 2]
    # and a fresh start in such a directory says how to resume, which then works
    shutil.rmtree(run / "checkpoints")
    (run / "checkpoints").mkdir()
    assert main(["train", "--out", "done", *TINY_ARGS]) == 2
    assert "--resume" in capsys.readouterr().err


def test_file_names_that_are_not_utf8_are_read(world, capsys):
    raw = os.fsencode(world / "imgs") + b"/caf\xe9-\xff.png"
    shutil.copy(world / "imgs" / "0.png", raw)
    assert (
        main(
            [
                "train",
                "--data",
                "imgs",
                "--out",
                "run",
                "--steps",
                "1",
                *FOLDER_ARGS,
            ]
        )
        == 0
    )
    assert "images': 5" in capsys.readouterr().err


def test_eval_json_is_strict_and_kid_spread_is_real(world, capsys):
    import json

    assert main(["train", "--preset", "ring8-gan", "--out", "ring", "--steps", "1"]) == 0
    capsys.readouterr()
    assert main(["eval", "ring", "--json", "--n", "50"]) == 0
    printed = capsys.readouterr().out
    parsed = json.loads(
        printed, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}")
    )
    saved = json.loads(
        (world / "ring" / "eval.json").read_text(), parse_constant=lambda c: pytest.fail(c)
    )
    assert parsed == saved["metrics"]
    for key, value in saved["non_finite"].items():  # an untrained G may put no point near a mode
        assert parsed[key] is None and value in ("inf", "-inf", "nan")
    assert main([*EVAL, "--metrics", "kid", "--n", "40"]) == 0  # below KID's 1,000-sample subsets
    text = capsys.readouterr().out
    std = float(text.split("kid_std")[1].split()[0])
    assert std > 1e-8, text
