"""A tiny sweep end to end: 2 configs of a few steps, in parallel, skip-on-resume, an
interrupted run resumed, and the summary; 1 config x 2 seeds through a local Ray instance."""

import json
import os

import pytest
import yaml

from gankit.cli import main
from gankit.errors import GankitError
from gankit.sweep import load_spec

TINY = {
    "description": "tiny test sweep",
    "preset": "ring8-gan",
    "set": [
        "train.steps=6",
        "train.batch_size=32",
        "model.generator.width=8",
        "model.discriminator.width=8",
        "log.every=2",
        "log.sample_every=3",
        "log.checkpoint_every=2",
    ],
    "variants": {"NS": [], "LS": ["loss.name=least_squares"]},
    "seeds": [0, 1],
    "metrics": "modes",
    "n": 200,
}


def write_spec(tmp_path, **changes):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, **changes}, sort_keys=False))
    return path


def test_grid_expansion_and_sizes(tmp_path):
    spec = load_spec(
        str(write_spec(tmp_path, grid={"train.n_critic": [1, 2]}, sizes={"big": ["train.steps=9"]}))
    )
    runs = spec.runs()
    assert len(runs) == 2 * 2 * 2 and len({r.name for r in runs}) == 8
    assert "train.n_critic=2" in runs[-1].sets and runs[-1].labels == {
        "variant": "LS",
        "train.n_critic": "2",
    }
    assert all("train.steps=9" in r.sets for r in spec.at_size("big").runs())
    with pytest.raises(GankitError, match="no size 'bgi'.*did you mean 'big'"):
        spec.at_size("bgi")


def test_named_axes_multiply_with_variants_and_grid(tmp_path):
    axes = {"width": {"narrow": ["model.generator.width=8"], "wide": ["model.generator.width=16"]}}
    runs = load_spec(str(write_spec(tmp_path, axes=axes, grid={"train.n_critic": [1, 2]}))).runs()
    assert len(runs) == 2 * 2 * 2 * 2 and len({r.name for r in runs}) == 16
    last = runs[-1]
    assert last.labels == {"variant": "LS", "width": "wide", "train.n_critic": "2"}
    assert last.config_label == "LS, wide, train.n_critic=2"
    assert {"loss.name=least_squares", "model.generator.width=16", "train.n_critic=2"} <= set(
        last.sets
    )
    deeper = load_spec(
        str(
            write_spec(
                tmp_path,
                axes=axes,
                sizes={"full": {"axes": {"width": {"wide": ["model.generator.width=64"]}}}},
            )
        )
    )
    wide = [r for r in deeper.at_size("full").runs() if r.labels["width"] == "wide"]
    assert wide and all(
        "model.generator.width=64" in r.sets and "model.generator.width=16" not in r.sets
        for r in wide
    )
    with pytest.raises(GankitError, match="maps labels to override lists"):
        load_spec(str(write_spec(tmp_path, axes={"width": ["model.generator.width=8"]})))


def test_bad_sweeps_fail_before_training(tmp_path, capsys):
    assert (
        main(
            [
                "sweep",
                str(write_spec(tmp_path, variants={"X": ["loss.name=hnge"]})),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "sweep run X__seed0" in capsys.readouterr().err and not (tmp_path / "o").exists()
    assert main(["sweep", "created-equl"]) == 2
    assert "did you mean 'created-equal'" in capsys.readouterr().err


def test_sweep_runs_in_parallel_skips_finished_and_resumes_interrupted(
    tmp_path, capsys, monkeypatch
):
    # one seed per variant: two runs still share the pool (seeds are the same code path)
    spec, out = write_spec(tmp_path, seeds=[0]), tmp_path / "sweep"
    monkeypatch.setenv("GANKIT_FAULT", "step:4")  # every run dies after step 4 (checkpoint at 4)
    assert main(["sweep", str(spec), "--out", str(out), "--jobs", "2"]) == 2
    assert "failed" in capsys.readouterr().err
    assert (out / "NS__seed0" / "checkpoints").is_dir() and not (
        out / "NS__seed0" / "summary.json"
    ).exists()
    monkeypatch.delenv("GANKIT_FAULT")
    assert main(["sweep", str(spec), "--out", str(out), "--jobs", "2"]) == 0
    rows = json.loads((out / "rows.json").read_text())
    assert len(rows) == 2 and all(r["modes"] >= 0 and r["train_seconds"] > 0 for r in rows)
    metrics = [
        json.loads(line) for line in (out / "NS__seed0" / "metrics.jsonl").read_text().splitlines()
    ]
    steps = [m["step"] for m in metrics if "loss_d" in m]
    assert steps == sorted(set(steps)) and max(steps) == 6  # resumed at 4, no duplicated rows
    table = (out / "summary.md").read_text()
    assert "| NS | 1 |" in table and "| LS | 1 |" in table
    assert (out / "boxplots.png").stat().st_size > 0 and (out / "samples.png").stat().st_size > 0
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(out)]) == 0
    assert "skipped (done)" in capsys.readouterr().err
    assert stamps == {
        p: p.stat().st_mtime_ns for p in out.glob("*/summary.json")
    }  # nothing retrained


@pytest.mark.slow  # Ray's local cluster takes minutes to start on 2 busy cores
def test_sweep_on_a_local_ray_instance(tmp_path, capsys):
    ray = pytest.importorskip("ray")
    spec, out = write_spec(tmp_path, variants={"NS": []}), tmp_path / "ray-sweep"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        assert main(["sweep", str(spec), "--out", str(out), "--ray", "local"]) == 0
    finally:
        ray.shutdown()
    assert "(ray)" in capsys.readouterr().err
    assert len(json.loads((out / "rows.json").read_text())) == 2


def test_two_axis_sweeps_get_a_pivot_table():
    from gankit.sweep.summary import pivot

    rows = [
        {"axes": ["variant", "architecture"], "variant": v, "architecture": a, "fid": f, "seed": s}
        for v, a, f, s in [
            ("GAN", "dcgan", 1.0, 0),
            ("GAN", "dcgan", 3.0, 1),
            ("WGAN", "dcgan", 5.0, 0),
            ("GAN", "resnet", 7.0, 0),
            ("WGAN", "resnet", 9.0, 0),
        ]
    ]
    lines = pivot(rows, "fid").splitlines()
    assert lines[0] == "| fid | GAN | WGAN |"
    assert lines[2] == "| dcgan | 2 ± 1 | 5 |" and lines[3] == "| resnet | 7 | 9 |"
    assert pivot([{**r, "axes": ["variant"]} for r in rows], "fid") is None
