"""gankit compare (issue 29): runs side by side in one self-contained page."""

import re
import subprocess

import pytest
from PIL import Image, ImageStat

from gankit.cli import main
from tests.conftest import TINY
from tests.run.test_html import CHECK, CHROMIUM, FLAGS

SETS = [a for s in TINY for a in ("--set", s)]


def test_three_runs_side_by_side(tmp_path, capsys):
    runs = []
    for loss in ("nonsaturating", "hinge", "least_squares"):
        out = tmp_path / loss
        argv = ["train", "--out", str(out), "--steps", "4", *SETS, "--set", f"loss.name={loss}",
                "--set", "eval.every=2", "--set", "eval.n=16", "--set", "eval.extractor=random_conv"]  # fmt: skip
        assert main(argv) == 0
        runs.append(str(out))
    page = tmp_path / "compare.html"
    assert main(["compare", *runs, "--out", str(page)]) == 0
    html = page.read_text()
    assert html.count('alt="samples" src="data:image/png;base64,') == 3
    assert "<th>loss.name</th>" in html and "&#x27;hinge&#x27;" in html
    assert "train.batch_size" not in html  # only the keys that differ
    assert re.search(r'alt="metrics" src="data:image/png', html)  # FID curves overlaid
    assert re.search(r'alt="losses" src="data:image/png', html)
    assert "Content-Security-Policy" in html and "<script" not in html


def test_compare_needs_two_runs_and_an_html_name(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--out", str(out), "--steps", "2", *SETS]) == 0
    assert main(["compare", str(out), "--out", str(tmp_path / "c.html")]) == 2
    assert main(["compare", str(out), str(out), "--out", str(tmp_path / "c.png")]) == 2
    assert "name it c.html" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_the_compare_page_renders_in_a_headless_browser(tmp_path, capsys):
    """Issue 29: every picture of the page decodes in Chromium and the screenshot is not blank."""
    test_three_runs_side_by_side(tmp_path, capsys)
    page = tmp_path / "compare.html"
    checked = tmp_path / "checked.html"
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    checked.write_text(text.replace("</body>", CHECK))
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--virtual-time-budget=5000", "--dump-dom",
                          checked.as_uri()], capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    assert "images=5 broken=0" in dom, dom[-500:]  # 3 sample grids, the metric and loss plots
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *FLAGS, *profile, "--window-size=1200,1600",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120,
                   check=True)  # fmt: skip
    with Image.open(shot) as img:
        assert max(ImageStat.Stat(img.convert("L")).stddev) > 20  # text and pictures, not blank
