from gankit.run.report import render
from gankit.run.rundir import RunDir


def config(**changes) -> dict:
    return {
        "description": "d",
        "data": {"name": "digits"},
        "loss": {"name": "hinge"},
        "model": {
            "z_dim": 8,
            "generator": {"name": "dcgan"},
            "discriminator": {"name": "dcgan"},
        },
        "optim": {"g": {"name": "adam"}, "d": {"name": "adam"}},
        "regularizers": {},
        "train": {"steps": 5, "batch_size": 4, "n_critic": 1, "seed": 0},
        **changes,
    }


def test_report_renders_for_a_run_with_no_steps_yet(tmp_path):
    run = RunDir.create(tmp_path / "r", config())
    render(run)
    text = run.report.read_text()
    assert "No steps logged yet." in text and "Parameters: G ?" in text


def test_the_configuration_table_shows_what_changes_the_learning_rates(tmp_path):
    """A CIFAR-10 row decayed both rates over its second half; its table showed only Adam."""
    optim = {"g": {"name": "adam"}, "d": {"name": "adam"}, "lr_decay": "linear", "decay_from": 0.5}
    run = RunDir.create(tmp_path / "r", config(optim=optim, schedules={"beta2": {}}))
    render(run)
    row = next(line for line in run.report.read_text().splitlines() if "| optimizers |" in line)
    assert row.endswith("lr: linear decay to 0 from 50% of the steps; schedules: beta2 |")


def test_gif_skips_a_truncated_frame(tmp_path):
    import torch
    from PIL import Image

    from gankit.run.artifacts import make_gif, save_grid

    frames = [tmp_path / f"step-{i:07d}.png" for i in range(3)]
    for i, f in enumerate(frames):
        noise = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(i))
        save_grid(noise * 2 - 1, f)  # distinct frames with content (PIL merges identical ones)
    frames[1].write_bytes(frames[1].read_bytes()[:40])  # cut short, as a kill mid-write would
    import pytest

    with pytest.warns(UserWarning, match="unreadable frame"):
        make_gif(frames, tmp_path / "p.gif", [0, 1, 2])
    with Image.open(tmp_path / "p.gif") as gif:
        assert gif.n_frames == 2
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind


def test_the_gif_starts_at_the_first_frame_with_content(tmp_path):
    """Issue 28: step 0's flat grey frame made the report's static view show nothing."""
    from PIL import Image

    from gankit.run.artifacts import make_gif

    flat, busy, other = tmp_path / "0.png", tmp_path / "1.png", tmp_path / "2.png"
    Image.new("RGB", (16, 16), (128, 128, 128)).save(flat)
    Image.effect_noise((16, 16), 60).convert("RGB").save(busy)
    Image.effect_noise((16, 16), 90).convert("RGB").save(other)
    make_gif([flat, busy, other], tmp_path / "a.gif", [0, 200, 400])
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 2
    make_gif([flat, flat], tmp_path / "b.gif", [0, 200])  # nothing but flat: the last is kept
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.n_frames == 1


def test_a_grid_of_flat_cells_is_a_flat_frame(tmp_path):
    """What an untrained G gives (the demo's step 0): 64 grey cells between black padding lines,
    which the whole frame's spread (about 50 grey levels) took for content; digits are not."""
    import torch
    from PIL import Image

    from gankit.data import DATASETS
    from gankit.run.artifacts import make_gif, save_samples

    grey, digits = tmp_path / "0.png", tmp_path / "1.png"
    save_samples(torch.zeros(64, 1, 32, 32), grey)
    save_samples(DATASETS.build("digits").images[:64].float() / 127.5 - 1, digits)
    make_gif([grey, digits, digits], tmp_path / "a.gif", [0, 100, 200])
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 2
