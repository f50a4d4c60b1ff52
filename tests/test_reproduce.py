"""benchmarks/reproduce.py --size smoke: every result of docs/results.md runs end to end."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from gankit.config import parse_assignment, preset_names, resolve
from gankit.config.schema import to_plain

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "reproduce.py"


@pytest.fixture(scope="module")
def reproduce():
    spec = importlib.util.spec_from_file_location("reproduce", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["reproduce"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_entry_names_a_preset(reproduce):
    assert {e.preset for e in reproduce.ENTRIES.values()} <= set(preset_names())


def test_every_entry_resolves_at_full_size(reproduce):
    # the smoke run replaces an entry's own sets, so a typo in them would only show on the
    # hours-long run; resolving validates every key and value up front, and each set must
    # still hold in the result (not undone by a later component rename)
    for name, entry in reproduce.ENTRIES.items():
        sets = [s.replace("@", "/data", 1) for s in entry.sets]
        plain = to_plain(resolve(entry.preset, sets=sets))
        for key, value in map(parse_assignment, sets):
            node = plain
            for part in key.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            expected = list(value) if isinstance(value, tuple) else value
            assert node == expected, f"{name}: {key} is {node!r}, set to {value!r}"


def test_every_entry_runs_at_smoke_size(reproduce, tmp_path):
    # entries alike at smoke size (the same preset, smoke sets and scoring: their own sets, seeds
    # and reference are not used there) run once
    alike = {(e.preset, tuple(reproduce.smoke_sets(e)), e.metrics, reproduce.scored_n(e, True)): name
             for name, e in reproduce.ENTRIES.items()}  # fmt: skip
    for name in alike.values():
        entry = reproduce.ENTRIES[name]
        row = reproduce.run_entry(name, entry, "smoke", tmp_path, tmp_path, [0], "auto")
        saved = json.loads((tmp_path / name / "row.json").read_text())
        assert saved["result"] == name and saved["size"] == "smoke"
        expected = {"modes"} if entry.metrics == ("modes",) else {"fid", "kid"}
        assert expected <= set(row["mean"]), name
        assert all(math.isfinite(row["mean"][k]) for k in expected), (name, row["mean"])
        assert "fid" not in expected or row["mean"]["fid"] > 0, (name, row["mean"])
        assert (tmp_path / name / "seed-0" / "checkpoints" / "latest.pt").is_file()


def test_train_stage_then_score_stage_with_an_override(reproduce, tmp_path):
    # grid25 is the cheapest entry at smoke size (2-D points); --set lands over the smoke sets
    args = ["grid25", "--size", "smoke", "--out", str(tmp_path), "--set", "train.steps=3"]
    with pytest.raises(SystemExit, match="nothing to score in .*seed-0: train first"):
        reproduce.main([*args, "--stage", "score"])
    reproduce.main([*args, "--stage", "train"])
    summary = json.loads((tmp_path / "grid25" / "seed-0" / "summary.json").read_text())
    assert summary["steps"] == 3
    assert not (tmp_path / "grid25" / "row.json").exists()  # a row needs scores
    reproduce.main([*args, "--stage", "score"])
    row = json.loads((tmp_path / "grid25" / "row.json").read_text())
    assert row["train_seconds"] == round(summary["train_seconds"], 1)  # the run's, not scoring's
    assert 0 <= row["mean"]["modes"] <= 25 and 0 <= row["mean"]["hq"] <= 1


def test_a_scored_seed_is_not_scored_again_until_it_is_retrained(reproduce, tmp_path, monkeypatch):
    args = ["grid25", "--size", "smoke", "--out", str(tmp_path), "--set", "train.steps=3"]
    reproduce.main([*args, "--stage", "train"])
    real_score, calls = reproduce.score, []
    monkeypatch.setattr(reproduce, "score", lambda *a: calls.append(a) or real_score(*a))
    reproduce.main([*args, "--stage", "score"])
    first = json.loads((tmp_path / "grid25" / "row.json").read_text())
    assert len(calls) == 1 and (tmp_path / "grid25" / "seed-0.scores.json").is_file()
    reproduce.main([*args, "--stage", "score"])  # kept: the same checkpoint, the same protocol
    assert len(calls) == 1
    assert json.loads((tmp_path / "grid25" / "row.json").read_text())["mean"] == first["mean"]
    reproduce.main([*args[:-1], "train.steps=4"])  # retrained (and scored): a new checkpoint
    assert len(calls) == 2
