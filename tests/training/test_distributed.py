"""torchrun with gloo on the CPU: 2 processes give the single-process run with the same global
batch, resume exactly after one rank is SIGKILLed, and refuse another world size."""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from gankit.distributed import World, check_batch
from gankit.errors import GankitError
from gankit.run import checkpoint
from gankit.run.rundir import RunDir

#: a conv GAN without batch norm, R1 and DiffAugment: augmentations drawn for the global batch
CONV = ["--set", "data.resolution=16", "--set", "model.z_dim=8", "--set", "model.generator.width=8",
        "--set", "model.generator.norm=none", "--set", "model.discriminator.width=8",
        "--set", "model.discriminator.norm=none", "--set", "regularizers.r1.weight=1.0",
        "--set", "regularizers.diffaugment.policy=color,translation,cutout"]  # fmt: skip
#: at the presets' own batch sizes Adam turns the summation order's 1e-8 into 1e-3 (its first
#: steps divide each gradient element by its own magnitude; docs/distributed.md): SGD keeps the
#: update linear in the gradient, so what is compared there is the data-parallel gradient itself
SGD = ["--set", "optim.d.name=sgd", "--set", "optim.g.name=sgd", "--set", "optim.d.lr=0.01",
       "--set", "optim.g.lr=0.01"]  # fmt: skip
CASES = {
    # an MLP WGAN-GP on the ring: the penalty's double backward under data parallelism
    "wgan-gp": ["--preset", "ring8-wgan-gp", "--set", "train.batch_size=32"],
    "r1-diffaugment": [*CONV, "--set", "train.batch_size=16"],
    "wgan-gp-batch-256-sgd": ["--preset", "ring8-wgan-gp", *SGD],  # the preset's batch
    "r1-diffaugment-batch-64-sgd": [*CONV, *SGD],  # digits32-dcgan's batch
}
CADENCE = ["--set", "train.device=cpu", "--set", "log.every=2", "--set", "log.sample_every=4",
           "--set", "log.checkpoint_every=2"]  # fmt: skip


def gankit(args, nproc=1, env=None, check=True):
    """``gankit train ARGS`` in a fresh process (``--nproc`` launches torchrun)."""
    command = [sys.executable, "-m", "gankit.cli", "train", *args, "--nproc", str(nproc)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert out.returncode == 0, out.stderr[-3000:]
    return out


def rows(run):
    import json

    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def logged(run) -> int:
    """Rows in the run's metrics.jsonl so far (0 before it exists)."""
    return len(rows(run)) if (run / "metrics.jsonl").exists() else 0


def torchrun_report(err: str) -> str:
    """The launcher's stderr and, when it kept one, torchrun's report: a failure says why."""
    kept = re.search(r"torchrun's report: (\S+)\)", err)
    report = Path(kept.group(1)).read_text() if kept and Path(kept.group(1)).is_file() else ""
    return f"stderr:\n{err}\ntorchrun's report:\n{report[-6000:]}"


def weights(run):
    state = checkpoint.load(run / "checkpoints" / "latest.pt")
    return state.networks, state.ema, state.step


@pytest.fixture(scope="module", params=list(CASES))
def pair(request, tmp_path_factory):
    """The same 8 steps by one process and by two (the same global batch)."""
    root = tmp_path_factory.mktemp(request.param)
    args = [*CASES[request.param], *CADENCE, "--steps", "8"]
    with ThreadPoolExecutor(2) as side_by_side:  # independent runs
        runs = [([*args, "--out", str(root / "one")], 1), ([*args, "--out", str(root / "two")], 2)]
        list(side_by_side.map(lambda run: gankit(*run), runs))
    return root, args


def assert_same_weights(a, b, atol):
    for name in a:
        for key in a[name]:
            torch.testing.assert_close(
                a[name][key], b[name][key], rtol=1e-4, atol=atol, msg=f"{name}.{key}"
            )


def test_two_processes_equal_one_with_the_same_global_batch(pair):
    root, _ = pair
    one, two = rows(root / "one"), rows(root / "two")
    assert [r["step"] for r in one] == [r["step"] for r in two] == [2, 4, 6, 8]
    for a, b in zip(one, two):
        for key in ("loss_d", "loss_g", "d_real", "d_fake"):
            assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-5), (a["step"], key)
    nets_one, ema_one, _ = weights(root / "one")
    nets_two, ema_two, step = weights(root / "two")
    assert step == 8
    assert_same_weights(nets_one, nets_two, atol=1e-5)
    assert_same_weights(ema_one, ema_two, atol=1e-5)
    assert checkpoint.load(root / "two" / "checkpoints" / "latest.pt").world_size == 2


@pytest.mark.parametrize("pair", ["wgan-gp"], indirect=True)
def test_sigkill_of_one_rank_stops_the_job_and_a_resume_continues_exactly(pair):
    root, args = pair
    killed = gankit([*args, "--out", str(root / "killed")], nproc=2, check=False,
                    env={"GANKIT_FAULT": "step:5", "GANKIT_FAULT_RANK": "1"})  # fmt: skip
    assert killed.returncode == 2
    assert weights(root / "killed")[2] == 4  # the last checkpoint before the kill
    # issue 25: one line, not gloo's and torchrun's tracebacks (kept in a log it names)
    last = killed.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"gankit: error: rank 1 died (SIGKILL); the last checkpoint in "
        f"{root / 'killed' / 'checkpoints'} is intact: gankit train --resume {root / 'killed'} "
        f"--nproc 2 (torchrun's report: "
    ), last
    assert "Traceback" not in killed.stderr and "ChildFailedError" not in killed.stderr
    report = last.rsplit("torchrun's report: ", 1)[1].rstrip(")")
    assert "ChildFailedError" in open(report).read()
    os.unlink(report)
    gankit(["--resume", str(root / "killed")], nproc=2)
    nets_a, ema_a, step = weights(root / "killed")
    nets_b, ema_b, _ = weights(root / "two")
    assert step == 8
    assert_same_weights(nets_a, nets_b, atol=0)  # bitwise: every rank's RNG and stream resumed
    assert_same_weights(ema_a, ema_b, atol=0)
    assert [r["step"] for r in rows(root / "killed")] == [2, 4, 6, 8]


@pytest.mark.parametrize("pair", ["wgan-gp"], indirect=True)
def test_a_resume_with_another_world_size_is_refused(pair):
    root, _ = pair
    out = gankit(["--resume", str(root / "two"), "--steps", "10"], nproc=1, check=False)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == (
        "gankit: error: this run was trained by 2 process(es) and is resumed by 1; resume with "
        "the same number (torchrun --nproc_per_node 2, or gankit train --nproc 2)"
    )


def test_a_batch_that_does_not_split_is_one_line():
    check_batch(12, 3, World(0, 2))
    with pytest.raises(
        GankitError,
        match=r"must split evenly over the 2 processes within each of the 3 domains; set it to a multiple of 6",
    ):
        check_batch(9, 3, World(0, 2))


def test_sigterm_to_the_launcher_stops_every_rank_at_a_step_with_a_checkpoint(tmp_path):
    """Issue 25: SIGTERM to `gankit train --nproc 2` left torchrun and both ranks training and
    holding the run lock. The launcher forwards it once; the ranks stop at one step and save."""
    import signal
    import time

    out = tmp_path / "run"
    command = [sys.executable, "-m", "gankit.cli", "train", "--preset", "ring8-gan", "--steps",
               "1000000", *CADENCE, "--set", "log.checkpoint_every=100000", "--out", str(out),
               "--nproc", "2"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launcher = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline, training = time.time() + 240, False
    while time.time() < deadline and not (training := logged(out) >= 5):
        time.sleep(0.5)
    launcher.send_signal(signal.SIGTERM)
    err = launcher.communicate(timeout=120)[1]
    assert training, f"no 5 logged steps within 240 s, stopped anyway; stderr:\n{err}"
    assert launcher.returncode == 128 + signal.SIGTERM, err
    assert "gankit: stopped: at step" in err and "checkpoint saved" in err, torchrun_report(err)
    assert weights(out)[2] >= 10  # the stop checkpoint, not the step-0 one
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(out) not in ps  # no rank nor torchrun left running
    lock = RunDir(out).lock
    lock.acquire()  # free: nothing holds the run
    lock.release()


def test_a_signal_while_the_ranks_compare_is_left_for_the_next_step(tiny_config, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    """The test above failed in CI once: SIGTERM reached rank 0 while it waited in the stop
    comparison, so its flag was set after it had said "no"; it went on to save alone while rank
    1 trained on, and both hung until torchrun killed them. One rank's view, the other rank
    answering "no" while the signal lands: this step goes on, the next one stops."""
    import signal

    from gankit.build import build
    from gankit.training import loop
    from gankit.training.setup import make_trainer

    cfg = tiny_config()
    built = build(cfg)
    session = loop.Session(make_trainer(cfg, built, world=World(0, 2)),
                           RunDir.create(tmp_path / "run", cfg.to_dict()), cfg, built.data)  # fmt: skip

    def signal_lands_meanwhile(flag, device):
        session._on_signal(signal.SIGTERM, None)
        return flag  # every other rank said no

    monkeypatch.setattr(loop.distributed, "any_rank", signal_lands_meanwhile)
    assert session.agreed_stop() is None
    monkeypatch.setattr(loop.distributed, "any_rank", lambda flag, device: flag)
    assert session.agreed_stop() == "SIGTERM"
    monkeypatch.setattr(loop.distributed, "any_rank", lambda flag, device: True)
    session.stop_requested = None
    assert session.agreed_stop() == "a signal to another rank"


def test_a_config_error_under_nproc_is_one_line_before_torchrun(tmp_path):
    """Issue 25: a rank's config error ended in torchrun's ChildFailedError traceback."""
    out = gankit(["--set", "train.stpes=3", "--out", str(tmp_path / "r")], nproc=2, check=False)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "gankit: error: unknown config key 'train.stpes' (did you mean 'steps'?); keys here: "
        "steps, batch_size, n_critic, seed, max_minutes, device, nan_retries, nan_lr_factor, channels_last, "
        "sync_batchnorm, compile, amp, cuda_graphs"
    ]


def test_an_error_inside_the_ranks_is_said_once_without_torchrun_traceback(tmp_path):
    """A problem only the ranks find (here: the data) is their one line, said once."""
    out = gankit(["--set", "data.name=mnist", "--data", str(tmp_path / "absent"), "--out",
                  str(tmp_path / "r"), "--steps", "2"], nproc=2, check=False)  # fmt: skip
    errors = [line for line in out.stderr.splitlines() if line.startswith("gankit: error:")]
    assert out.returncode == 2 and len(errors) == 1 and "MNIST" in errors[0], out.stderr
    assert "Traceback" not in out.stderr and "ChildFailedError" not in out.stderr
