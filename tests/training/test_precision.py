"""train.amp=auto (issue 26): bf16 autocast where the hardware runs it fast, fp32 elsewhere; the
choice is printed, recorded and checked on resume."""

import json
import warnings

import pytest
import torch

from gankit.cli import main
from gankit.training import precision
from tests.conftest import TINY

TINY_ARGS = [a for s in TINY for a in ("--set", s)]


@pytest.mark.parametrize(
    "setting, fast, expected",
    [("auto", False, None), ("auto", True, torch.bfloat16), ("none", True, None),
     ("bf16", False, torch.bfloat16)],
)  # fmt: skip
def test_choice_on_a_cpu(setting, fast, expected, monkeypatch):
    monkeypatch.setenv("GANKIT_CPU_BF16", "1" if fast else "0")
    chosen = precision.choose(setting, torch.device("cpu"))
    assert chosen.dtype is expected
    assert chosen.name == ("bf16" if expected else "fp32")
    if setting == "auto":
        assert ("AVX512-BF16" in chosen.reason) and chosen.reason.startswith("auto")


def test_detection_reads_pytorch_when_not_forced(monkeypatch):
    monkeypatch.delenv("GANKIT_CPU_BF16")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert precision.cpu_has_fast_bf16()
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert not precision.cpu_has_fast_bf16()


def test_the_run_says_which_precision_ran_and_a_resume_elsewhere_says_so(tmp_path, capsys,
                                                                         monkeypatch):  # fmt: skip
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--steps", "2", *TINY_ARGS]) == 0
    err = capsys.readouterr().err
    assert "precision: fp32 (auto: this cpu has no fast bf16" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["precision"].startswith("fp32 (auto")
    assert "- precision: fp32 (auto" in (out / "report.md").read_text()
    monkeypatch.setenv("GANKIT_CPU_BF16", "1")  # the checkpoint moves to a bf16 machine
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["train", "--resume", str(out), "--steps", "4"]) == 0
    notices = [str(w.message) for w in caught if "trained in fp32" in str(w.message)]
    assert len(notices) == 1 and "continues in bf16" in notices[0]
    assert "precision: bf16 (auto: this CPU has AVX512-BF16/AMX)" in capsys.readouterr().err


def test_a_resume_says_where_it_starts(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--steps", "2", *TINY_ARGS]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--steps", "4"]) == 0
    assert "gankit: resuming from step 2 of 4" in capsys.readouterr().err
