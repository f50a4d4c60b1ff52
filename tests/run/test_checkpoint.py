import errno
import hashlib
import os
from pathlib import Path

import pytest
import torch

from gankit.errors import GankitError, WriteError
from gankit.run import checkpoint as ckpt


def state(step):
    """The smallest payload load() accepts: every key of CONTENTS, of the right type."""
    return {
        "format": ckpt.FORMAT,
        "step": step,
        "config": {},
        "networks": {"G": {"w": torch.arange(1000.0) * step}},
        "ema": {},
        "data_shape": [2],
        "rng": {},
        "fixed_z": torch.zeros(1),
        "stats": {},
        "guard": {},
        "train_seconds": 0.0,
    }


@pytest.mark.parametrize(
    "key,value", [("networks", None), ("step", "3"), ("config", [1]), ("fixed_z", 0)]
)
def test_checkpoint_with_wrong_contents_is_one_line(tmp_path, key, value):
    """Footer and checksum valid, contents not what gankit writes: refused by name, not KeyError."""
    bad = {**state(3), key: value}
    ckpt.save_atomic(ckpt.serialise(bad), tmp_path / "latest.pt")
    with pytest.raises(
        GankitError, match=f"not a gankit checkpoint of this run \\(no valid {key}\\)"
    ):
        ckpt.load(tmp_path / "latest.pt")


def write(path, step):
    ckpt.save_atomic(ckpt.serialise(state(step)), path)


def test_round_trip(tmp_path):
    write(tmp_path / "latest.pt", 3)
    loaded = ckpt.load(tmp_path / "latest.pt")
    assert loaded.step == 3 and torch.equal(
        loaded.networks["G"]["w"], state(3)["networks"]["G"]["w"]
    )


def test_fingerprint_is_the_payload_checksum_and_tells_states_apart(tmp_path):
    one, two, other = tmp_path / "one.pt", tmp_path / "two.pt", tmp_path / "other.pt"
    data = ckpt.serialise(state(1))
    ckpt.save_atomic(data, one)
    ckpt.save_atomic(ckpt.serialise(state(2)), two)
    payload = data[: -ckpt.FOOTER]
    assert ckpt.fingerprint(one) == hashlib.sha256(payload).hexdigest()
    assert ckpt.fingerprint(two) != ckpt.fingerprint(one)
    torch.save(state(1), other)  # a plain torch file: no footer
    with pytest.raises(GankitError, match="not a gankit checkpoint"):
        ckpt.fingerprint(other)
    with pytest.raises(GankitError, match="cannot read checkpoint"):
        ckpt.fingerprint(tmp_path / "missing.pt")


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_damaged_checkpoint_is_detected(tmp_path, damage):
    path = tmp_path / "latest.pt"
    write(path, 3)
    blob = bytearray(path.read_bytes())
    if damage == "truncate":
        blob = blob[: len(blob) // 2]
    elif damage == "flip":
        blob[len(blob) // 3] ^= 0xFF
    else:
        blob = bytearray()
    path.write_bytes(bytes(blob))
    with pytest.raises(GankitError, match="truncated or corrupt"):
        ckpt.load(path)


def test_fallback_to_newest_good_numbered_checkpoint(tmp_path):
    for step in (2, 4):
        write(tmp_path / f"step-{step:07d}.pt", step)
    write(tmp_path / "latest.pt", 6)
    (tmp_path / "latest.pt").write_bytes((tmp_path / "latest.pt").read_bytes()[:100])
    with pytest.warns(UserWarning, match="using step-0000004.pt"):
        loaded, path = ckpt.load_newest_good(tmp_path)
    assert loaded.step == 4 and path.name == "step-0000004.pt"


def test_no_usable_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "latest.pt").write_bytes(b"junk")
    with pytest.raises(GankitError, match="no usable checkpoint"):
        ckpt.load_newest_good(tmp_path)


class Evil:
    """Unpickling this would create a file: the classic code-execution payload."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.makedirs, (self.target,))


def test_checkpoint_that_would_run_code_is_refused(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "latest.pt"
    ckpt.save_atomic(
        ckpt.serialise({"format": ckpt.FORMAT, "step": 1, "payload": Evil(str(target))}), path
    )
    with pytest.raises(GankitError, match="could run code"):
        ckpt.load(path)
    assert not target.exists()


def test_disk_full_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "latest.pt"
    write(path, 1)
    before = path.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError, match="could not write checkpoint .*the disk is full"):
        write(path, 2)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*tmp"))


def test_prune_keeps_the_newest(tmp_path):
    for step in range(1, 6):
        write(tmp_path / f"step-{step:07d}.pt", step)
    ckpt.prune(tmp_path, keep=2)
    assert [p.name for p in ckpt.numbered(tmp_path)] == ["step-0000004.pt", "step-0000005.pt"]


def test_a_checkpoint_of_another_format_version_names_it(tmp_path):
    ckpt.save_atomic(
        ckpt.serialise({**state(3), "format": "gankit-checkpoint-0"}), tmp_path / "a.pt"
    )
    with pytest.raises(
        GankitError, match="format gankit-checkpoint-0, this gankit reads gankit-checkpoint-2"
    ):
        ckpt.load(tmp_path / "a.pt")


@pytest.mark.parametrize("written_by", ["v1", "v2"])
def test_checkpoints_of_earlier_versions_load_sample_and_resume(tmp_path, capsys, written_by):
    """v1: a run written before models had named networks, upgraded on load. v2: one written by
    the gankit before the typed Checkpoint record (the same format 2 layout). Both made by the
    gankit of their time (tests/data_files); each samples and resumes to the step asked for."""
    import shutil

    from gankit.cli import main

    data = Path(__file__).parent.parent / "data_files"
    run = tmp_path / "old"
    (run / "checkpoints").mkdir(parents=True)
    shutil.copy(data / f"{written_by}-digits16-config.yaml", run / "config.yaml")
    shutil.copy(data / f"{written_by}-digits16-step2.pt", run / "checkpoints" / "latest.pt")
    state = ckpt.load(run / "checkpoints" / "latest.pt")
    assert set(state.networks) == {"G", "D"} and state.precision == "fp32"
    assert set(state.ema) == {"G"} and state.counts == {"d": 2, "g": 2} and state.step == 2
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "s.npy")]) == 0
    assert main(["train", "--resume", str(run), "--steps", "4"]) == 0, capsys.readouterr().err
    assert ckpt.load(run / "checkpoints" / "latest.pt").step == 4
