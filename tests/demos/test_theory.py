"""The course material's theory statements, checked numerically (quick settings)."""

import math

import pytest

from gankit.cli import main
from gankit.demos import DEMOS


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos")
    return {name: (DEMOS.build(name).run(out, quick=True), out) for name in DEMOS.names()}


def test_every_demo_writes_its_figure(results):
    for name, (_, out) in results.items():
        assert (out / f"{name}.png").stat().st_size > 5000


def test_trained_discriminator_approaches_the_optimal_one(results):
    r, _ = results["optimal_d"]
    assert r["max_abs_error"] < 0.05
    assert r["equal_max_abs_dev_from_half"] < 0.05
    assert r["equal_value"] == pytest.approx(-2 * math.log(2), abs=0.02)


def test_js_is_log_two_off_zero_while_em_is_abs_theta(results):
    r, _ = results["js_vs_em"]
    assert r["js_at_0"] == pytest.approx(0.0, abs=1e-12)
    assert r["js_min_off_0"] == pytest.approx(math.log(2), abs=1e-9)
    assert r["js_max_off_0"] == pytest.approx(math.log(2), abs=1e-9)
    assert r["em_max_abs_error_vs_abs_theta"] < 1e-9


def test_wgan_gp_critic_estimates_w1_within_a_few_percent(results):
    r, _ = results["critic_distance"]
    assert r["max_relative_error"] < 0.06
    assert abs(r["estimate_at_zero"]) < 0.05


def test_one_dimensional_gan_learns_the_data(results):
    r, _ = results["trajectory_1d"]
    last = max(int(k[4:].split("_")[0]) for k in r if k.startswith("step"))
    assert r[f"step{last}_g_mean"] == pytest.approx(2.0, abs=0.2)
    assert abs(r["step0_g_mean"] - 2.0) > 1.0  # it did not start there
    assert r["final_d_max_dev_from_half"] < 0.1


def test_demo_command_and_unknown_name(tmp_path, capsys):
    assert main(["demo", "js_vs_em", "--quick", "--out", str(tmp_path)]) == 0
    assert '"log_2"' in capsys.readouterr().out and (tmp_path / "js_vs_em.png").exists()
    assert main(["demo", "js_vs_emm"]) == 2
    assert "did you mean" in capsys.readouterr().err
