from gankit.run.report import render
from gankit.run.rundir import RunDir


def test_report_renders_for_a_run_with_no_steps_yet(tmp_path):
    run = RunDir.create(tmp_path / "r")
    run.write_config({"description": "d", "data": {"name": "digits"}, "loss": {"name": "hinge"},
                      "model": {"z_dim": 8, "generator": {"name": "dcgan"}, "discriminator": {"name": "dcgan"}},
                      "optim": {"g": {"name": "adam"}, "d": {"name": "adam"}}, "regularizers": {},
                      "train": {"steps": 5, "batch_size": 4, "n_critic": 1, "seed": 0}})
    render(run)
    text = run.report.read_text()
    assert "No steps logged yet." in text and "Parameters: G ?" in text
