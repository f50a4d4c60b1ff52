import pytest

from gankit.cli import main
from tests.conftest import TINY


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 4-step run of the default preset (DCGAN on digits, EMA of G) at 16x16."""
    out = tmp_path_factory.mktemp("api") / "run"
    sets = [a for s in TINY for a in ("--set", s)]
    assert main(["train", "--out", str(out), "--steps", "4", *sets]) == 0
    return out


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "cond"
    sets = [a for s in TINY for a in ("--set", s)]
    assert (
        main(["train", "--out", str(out), "--steps", "2", *sets, "--set", "data.labels=true"]) == 0
    )
    return out
