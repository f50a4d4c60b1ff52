"""Fault injection: a run SIGKILLed anywhere and resumed ends bitwise identical to one that
never stopped, with metrics.jsonl and frames continuing without duplicates or gaps."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gankit.run.checkpoint import load
from tests.conftest import TINY

STEPS = 9
SETS = [
    *TINY,
    "log.every=1",
    "log.sample_every=2",
    "log.checkpoint_every=3",
    "model.ema=0.9",
    "train.n_critic=2",
]
SRC = str(Path(__file__).resolve().parents[1] / "src")
TIMING = ("time", "steps_per_s", "samples_per_s")


def gankit(*args, fault=None, wait=True):
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("GANKIT_FAULT", None)
    if fault:
        env["GANKIT_FAULT"] = fault
    proc = subprocess.Popen(
        [sys.executable, "-m", "gankit", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        proc.communicate(timeout=300)
    return proc


def start(out, fault=None, wait=True, extra=()):
    sets = [a for s in [*SETS, *extra] for a in ("--set", s)]
    return gankit("train", "--out", str(out), "--steps", str(STEPS), *sets, fault=fault, wait=wait)


def outcome(run: Path):
    state = load(run / "checkpoints" / "latest.pt")
    rows = [
        {k: v for k, v in json.loads(line).items() if k not in TIMING}
        for line in (run / "metrics.jsonl").read_text().splitlines()
    ]
    frames = {p.name: p.read_bytes() for p in sorted((run / "samples").glob("*.png"))}
    return state, rows, frames


def assert_same(reference, run):
    ref_state, ref_rows, ref_frames = reference
    state, rows, frames = outcome(run)
    assert state.step == STEPS
    for key in ("networks", "ema"):
        for net, weights in getattr(ref_state, key).items():
            for name, tensor in weights.items():
                assert torch.equal(tensor, getattr(state, key)[net][name]), (
                    f"{key}.{net}.{name} differs"
                )
    ref_adam, adam = ref_state.optimizers["D"]["state"][0], state.optimizers["D"]["state"][0]
    assert torch.equal(ref_adam["exp_avg"], adam["exp_avg"])
    assert rows == ref_rows  # same steps, same values: no duplicates, no gaps
    assert frames == ref_frames  # pixel-identical progress frames


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "run"
    assert start(out).returncode == 0
    return outcome(out)


# Steps 3, 6 and 9 are checkpoint steps; killing inside their write is the nasty case.
TRIALS = [("step", k) for k in random.Random(7).sample(range(1, STEPS), 3)] + [
    ("checkpoint", 3),
    ("checkpoint", 6),
]


def killed_beside_whole(tmp_path, extra):
    """The same run twice, side by side: ``ref`` whole, ``run`` SIGKILLed at step 5 and then
    resumed. (ref, run)."""
    ref, out = tmp_path / "ref", tmp_path / "run"
    whole = start(ref, extra=extra, wait=False)
    killed = start(out, fault="step:5", extra=extra, wait=False)
    whole_err, killed_err = (proc.communicate(timeout=300)[1] for proc in (whole, killed))
    assert whole.returncode == 0, whole_err
    assert killed.returncode == -signal.SIGKILL, killed_err
    resumed = gankit("train", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    return ref, out


@pytest.mark.parametrize("point,step", TRIALS, ids=[f"{p}-{s}" for p, s in TRIALS])
def test_sigkill_then_resume_is_bitwise_identical(reference, tmp_path, point, step):
    out = tmp_path / "run"
    proc = start(out, fault=f"{point}:{step}")
    assert proc.returncode == -signal.SIGKILL
    if point == "checkpoint":
        assert (
            out / "checkpoints" / ".latest.pt.tmp"
        ).exists()  # the half-written file is there...
        assert (
            load(out / "checkpoints" / "latest.pt").step < step
        )  # ...and latest.pt is still the old one
    resumed = gankit("train", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert_same(reference, out)


def test_sigkill_resume_is_exact_for_a_labelled_model_with_a_head(tmp_path):
    """ACGAN on labelled digits: labels in the stream, a phase stepping D and C together."""
    extra = ("data.labels=true", "model.kind.name=acgan")
    ref, out = killed_beside_whole(tmp_path, extra)
    reference = outcome(ref)
    assert set(reference[0].networks) == {"G", "D", "C"}
    assert_same(reference, out)
    c_ref, c = (load(r / "checkpoints" / "latest.pt").networks["C"] for r in (ref, out))
    assert all(torch.equal(c_ref[k], c[k]) for k in c_ref)


def test_sigkill_resume_is_exact_under_bf16_autocast(tmp_path):
    """Issue 26: train.amp=auto trains in bf16 on CPUs with AVX512-BF16/AMX; a run resumed on the
    same machine still continues identically (forced here, so any CPU checks it)."""
    extra = ("train.amp=bf16",)
    ref, out = killed_beside_whole(tmp_path, extra)
    assert load(out / "checkpoints" / "latest.pt").precision == "bf16"
    assert_same(outcome(ref), out)


def test_sigkill_at_a_random_moment(reference, tmp_path):
    out = tmp_path / "run"
    proc = start(out, wait=False)
    deadline = time.time() + 120
    while not (out / "checkpoints" / "latest.pt").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(random.Random(3).uniform(0.0, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    resumed = gankit("train", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert_same(reference, out)


def test_sigterm_saves_and_resumes(reference, tmp_path):
    out = tmp_path / "run"
    proc = gankit(
        "train",
        "--out",
        str(out),
        "--steps",
        "100000",
        *[a for s in SETS for a in ("--set", s)],
        wait=False,
    )
    deadline = time.time() + 120
    while not (out / "metrics.jsonl").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130 and "gankit: stopped: at step" in err and "(SIGTERM)" in err
    assert "--resume" in err and "gankit: error" not in err
    stopped = load(out / "checkpoints" / "latest.pt").step
    rows = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows == list(range(1, stopped + 1))


@pytest.mark.parametrize("kind", ["cyclegan", "starganv2"])
def test_sigkill_resume_is_exact_for_translation_models(tmp_path, mnist_root, kind):
    """Every network, optimiser, EMA copy and CycleGAN's history pools resume exactly."""
    from tests.models.test_translation import TINY as MODEL_SETS

    extra = (f"model.kind.name={kind}", *MODEL_SETS[kind], f"data.path={mnist_root}",
             "train.n_critic=1")  # fmt: skip
    ref, out = killed_beside_whole(tmp_path, extra)
    (a, rows_a, frames_a), (b, rows_b, frames_b) = outcome(ref), outcome(out)
    assert b.step == STEPS and set(a.ema) and rows_a == rows_b and frames_a == frames_b
    for key in ("networks", "ema"):
        for net, weights in getattr(a, key).items():
            theirs = getattr(b, key)[net]
            assert all(torch.equal(w, theirs[k]) for k, w in weights.items()), f"{key}.{net}"
    for net, opt in a.optimizers.items():
        first, again = opt["state"][0], b.optimizers[net]["state"][0]
        assert torch.equal(first["exp_avg_sq"], again["exp_avg_sq"]), net
    for name, pool in a.model.get("pools", {}).items():
        assert torch.equal(pool["images"], b.model["pools"][name]["images"]), name


def test_sigkill_resume_is_exact_with_ada(tmp_path):
    """ADA's p, its accumulator and history resume with the run (stylegan2-ada-pytorch #81)."""
    extra = (
        "regularizers.ada.kimg=0.2",
        "regularizers.ada.interval=1",
        "regularizers.ada.target=0.3",
    )
    ref, out = killed_beside_whole(tmp_path, extra)
    reference = outcome(ref)
    assert_same(reference, out)
    ps = [row["ada_p"] for row in reference[1] if "ada_p" in row]
    assert len(set(ps)) > 2  # p really moved during the run
    ada_ref, ada = (
        load(r / "checkpoints" / "latest.pt").model["regularizers"][0] for r in (ref, out)
    )
    assert torch.equal(ada_ref["p"], ada["p"]) and ada_ref["history"] == ada["history"]
