"""The Python API: gankit.train / gankit.Run / gankit.load, and the executed notebook."""

import json
import re
from pathlib import Path

import pytest
import torch

import gankit
from gankit.api import sets_from
from gankit.errors import GankitError
from tests.conftest import TINY

TINY_KW = {k: json.loads(v) if v[0].isdigit() else v for k, v in (s.split("=") for s in TINY)}
NOTEBOOK = Path(__file__).parents[2] / "examples" / "assignment.ipynb"


def test_overrides_become_key_value_pairs():
    sets = sets_from({"loss.name": "hinge", "train__batch_size": 32, "regularizers.r1": None,
                      "optim.g.betas": [0.0, 0.99], "data.path": "a b: #c"})  # fmt: skip
    assert sets == [("loss.name", "hinge"), ("train.batch_size", 32), ("regularizers.r1", None),
                    ("optim.g.betas", [0.0, 0.99]), ("data.path", "a b: #c")]  # fmt: skip
    with pytest.raises(GankitError, match="is not a plain value"):
        sets_from({"train.steps": object()})


def test_train_returns_a_run_with_metrics_generator_and_html(tmp_path):
    run = gankit.train(steps=4, out=str(tmp_path / "run"), **TINY_KW, **{"loss.name": "hinge"})
    assert isinstance(run, gankit.Run) and run.step == 4
    assert run.config["loss"]["name"] == "hinge" and run.config["train"]["batch_size"] == 16
    assert [r["step"] for r in run.metrics] == [2, 4] and "loss_d" in run.metrics[-1]
    frame = run.dataframe()  # pandas comes with gankit[analysis] (and the test extra)
    assert list(frame["step"]) == [2, 4] and frame["loss_d"].iloc[-1] == run.metrics[-1]["loss_d"]
    G = run.generator()
    assert isinstance(G, gankit.TrainedGenerator) and G.step == 4
    x = G.sample(3, seed=0)
    torch.testing.assert_close(gankit.load(run.path).sample(3, seed=0), x)
    page = run._repr_html_()
    srcs = re.findall(r'<img alt="[^"]*" src="([^"]{0,30})', page)
    assert len(srcs) == 3 and all(s.startswith("data:image/") for s in srcs)  # losses, GIF, best
    resumed = gankit.train(resume=str(run.path), steps=6)
    assert resumed.step == 6 and resumed.path == run.path


def test_train_takes_a_config_dict_or_yaml(tmp_path):
    base = {"train": {"steps": 2}, "loss": {"name": "least_squares"}}
    run = gankit.train(base, out=str(tmp_path / "a"), **TINY_KW)
    assert run.config["loss"]["name"] == "least_squares" and run.step == 2
    yaml = tmp_path / "c.yaml"
    yaml.write_text("loss: {name: hinge}\ntrain: {steps: 2}\n")
    assert gankit.train(yaml, out=str(tmp_path / "b"), **TINY_KW).config["loss"]["name"] == "hinge"


def test_bad_api_input_is_a_gankit_error(tmp_path):
    with pytest.raises(GankitError, match="unknown preset"):
        gankit.train("no-such-preset", out=str(tmp_path / "x"))
    with pytest.raises(GankitError, match="is not a gankit run directory"):
        gankit.Run(tmp_path / "missing")


def test_the_assignment_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_the_assignment_notebook_executes(tmp_path):
    """Every cell runs on a CPU in a fresh kernel (the notebook makes its own tiny data)."""
    import nbclient
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    setup = nb.cells[1]  # the test runs 60 of the committed 300 steps (digits after ~1 min)
    assert "STEPS = 300 if DATA is None" in setup.source
    setup.source = setup.source.replace("STEPS = 300 if", "STEPS = 60 if")
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()  # raises CellExecutionError on any error
    run = tmp_path / "runs" / "assignment"
    for name in ("progress.gif", "best.png", "losses.png", "report.md", "report.html"):
        assert (run / name).is_file(), name
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    kinds = {k for o in outputs for k in o.get("data", {})}
    assert {"image/png", "text/html"} <= kinds  # grids, the run's report
    assert "data:image/gif" in "".join(
        o["data"].get("text/html", "") for o in outputs if "data" in o
    )
    # issue 28: text bars a saved notebook can show (no widgets), and a small file
    assert not any("widget" in k for k in kinds)
    bars = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "train: 100%" in bars and "60/60" in bars
    assert len(nbformat.writes(nb)) < 1_000_000


def test_values_from_python_and_flags_are_never_parsed_as_yaml(tmp_path, monkeypatch):
    """Issue 30: the API turned keywords into --set text parsed back as YAML (it quoted strings
    as JSON first), and --data was parsed the same way unquoted: a folder named '[2020] faces'
    became a list."""
    from PIL import Image

    from gankit.cli import main
    from tests.conftest import FOLDER_ARGS

    run = gankit.train(steps=1, out=str(tmp_path / "a"), description="on", **TINY_KW)
    assert run.config["description"] == "on"
    data = tmp_path / "[2020] faces"
    data.mkdir()
    for i in range(4):
        Image.new("RGB", (16, 16), (60 * i, 0, 0)).save(data / f"{i}.png")
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--data", data.name, *FOLDER_ARGS, "--steps", "1", "--out", "b"]
    assert main(argv) == 0
    assert gankit.Run(str(tmp_path / "b")).config["data"]["path"] == "[2020] faces"
