"""Running a sweep's runs: each is an ordinary ``gankit train`` (then ``gankit eval``) in its own
process and run directory, so a sweep resumes by looking at the directories: finished runs are
skipped, interrupted ones resumed from their checkpoint. Sequential, ``jobs`` processes at a
time, or Ray tasks on a cluster (Ray is the scheduler; the run directories must be on storage
every node can reach)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gankit.errors import GankitError
from gankit.sweep.spec import Run, SweepSpec


def state(run_dir: Path) -> str:
    """done | interrupted (has a checkpoint) | new."""
    if (run_dir / "summary.json").is_file():
        return "done"
    if any((run_dir / "checkpoints").glob("*.pt")):
        return "interrupted"
    return "new"


def run_one(out: str, run: Run, spec: SweepSpec, threads: int) -> dict:
    """Train (or resume) one run, then evaluate it; returns what happened. Safe to call again."""
    run_dir = Path(out) / run.name
    gankit = [sys.executable, "-m", "gankit"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    before = state(run_dir)
    if before == "interrupted":
        cmd = [*gankit, "train", "--resume", str(run_dir)]
    elif before == "new":
        cmd = [
            *gankit,
            "train",
            "--out",
            str(run_dir),
            "--overwrite",
            *(["--preset", spec.preset] if spec.preset else []),
            *(arg for s in run.sets for arg in ("--set", s)),
        ]
    if before != "done":
        _call(cmd, env, run_dir, "train.log")
    if spec.metrics and not (run_dir / "eval.json").is_file():
        cmd = [
            *gankit,
            "eval",
            str(run_dir),
            "--metrics",
            spec.metrics,
            "--extractor",
            spec.extractor,
            "--json",
            *(["--n", str(spec.n)] if spec.n else []),
        ]
        _call(cmd, env, run_dir, "eval.log")
    return {"run": run.name, "was": before}


def _call(cmd: list[str], env: dict, run_dir: Path, log_name: str) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    log = (
        run_dir.parent / f"{run_dir.name}.{log_name}"
    )  # beside the run: train --overwrite may replace the dir
    with open(log, "w") as f:
        code = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    if code != 0:
        tail = log.read_text().strip().splitlines()[-1:] or ["(no output)"]
        raise GankitError(
            f"sweep run {run_dir.name} failed (exit {code}): {tail[0][:200]}; see {log}"
        )


def execute(
    out: Path,
    runs: list[Run],
    spec: SweepSpec,
    jobs: int = 1,
    ray_address: str | None = None,
    progress=print,
) -> list[dict]:
    if ray_address:
        return _execute_ray(out, runs, spec, ray_address, progress)
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    results = []
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for result in pool.map(lambda r: run_one(str(out), r, spec, threads), runs):
            progress(describe(result))
            results.append(result)
    return results


def describe(result: dict, where: str = "") -> str:
    return (
        f"  {result['run']}: {'skipped (done)' if result['was'] == 'done' else 'finished'}{where}"
    )


def _execute_ray(out: Path, runs: list[Run], spec: SweepSpec, address: str, progress) -> list[dict]:
    try:
        import ray
    except ImportError:
        raise GankitError(
            "--ray needs Ray: pip install 'gankit[sweep]' (or pip install ray)"
        ) from None
    if not ray.is_initialized():
        ray.init(
            address=None if address == "local" else address,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}},
        )
    task = ray.remote(num_cpus=1)(run_one)
    refs = [task.remote(str(out.resolve()), r, spec, 1) for r in runs]
    results = ray.get(refs)
    for result in results:
        progress(describe(result, " (ray)"))
    return results


def read_rows(out: Path, runs: list[Run]) -> list[dict]:
    rows = []
    for run in runs:
        d = out / run.name
        summary = (
            json.loads((d / "summary.json").read_text()) if (d / "summary.json").is_file() else {}
        )
        ev = json.loads((d / "eval.json").read_text()) if (d / "eval.json").is_file() else {}
        # eval.json writes null for a non-finite value and names it under "non_finite"
        metrics = {
            **ev.get("metrics", {}),
            **{k: float(v) for k, v in ev.get("non_finite", {}).items()},
        }
        rows.append(
            {
                "run": run.name,
                "config": run.config_label,
                "seed": run.seed,
                "axes": list(run.labels),
                **run.labels,
                "train_seconds": summary.get("train_seconds"),
                **metrics,
            }
        )
    return rows
