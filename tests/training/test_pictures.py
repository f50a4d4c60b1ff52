"""The 8-column picture grids (issue 28): every class of a conditional run has its row."""

import pytest
import torch
from PIL import Image

from gankit.models import Latent
from gankit.training.pictures import MAX_ROWS, grid_draw, grid_rows, shown_classes


@pytest.mark.parametrize("classes, rows", [(0, 8), (2, 8), (10, 10), (16, 16), (100, 16)])
def test_one_row_per_class_up_to_the_limit(classes, rows):
    latent = Latent(4, num_classes=classes)
    assert grid_rows(latent) == rows
    draw = grid_draw(latent, 8 * rows, 0, "cpu")
    if classes:
        shown = set(draw.y.tolist())
        assert shown == set(range(min(classes, MAX_ROWS)))  # classes 8 and 9 of 10 included
        assert (draw.y.view(rows, 8) == draw.y.view(rows, 8)[:, :1]).all()  # a class per row
    assert ("of 100" in shown_classes(latent)) == (classes == 100)


def test_infogan_rows_follow_the_first_categorical_code():
    latent = Latent(4, categorical=(10,))
    assert grid_rows(latent) == 10


def test_a_ten_class_run_draws_ten_rows(tmp_path):
    from gankit.cli import main
    from tests.conftest import TINY

    out = tmp_path / "cgan"
    sets = [*TINY, "data.labels=true", "model.kind.name=gan"]
    argv = ["train", "--out", str(out), "--steps", "2", *[a for s in sets for a in ("--set", s)]]
    assert main(argv) == 0
    for name in ("best.png", "samples/step-0000002.png"):
        width, height = Image.open(out / name).size
        assert round(height / width * 8) == 10, name  # 10 rows of 8 (square cells)
    assert (
        torch.load(out / "checkpoints" / "latest.pt", weights_only=False)["fixed_z"].shape[0] == 80
    )
