"""report.html: one self-contained page, and (opt-in) what a real browser makes of it."""

import re
import shutil
import subprocess

import pytest
from PIL import Image, ImageStat

from gankit.cli import main
from gankit.run.html import page
from gankit.run.rundir import RunDir
from tests.conftest import TINY

SETS = [a for s in TINY for a in ("--set", s)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "run"
    assert main(["train", "--out", str(out), "--steps", "4", *SETS]) == 0
    return out


def test_report_html_embeds_every_picture_and_keeps_file_links(run):
    html = (run / "report.html").read_text()
    srcs = re.findall(r'<img alt="([^"]*)" src="([^"]*)"', html)
    assert {alt for alt, _ in srcs} == {"losses", "progress", "best"}
    assert all(
        src.startswith(("data:image/png;base64,", "data:image/gif;base64,")) for _, src in srcs
    )
    assert 'href="config.yaml"' in html and 'href="metrics.jsonl"' in html
    assert "<table>" in html and "wasserstein" not in html and "nonsaturating" in html


def test_a_missing_picture_becomes_a_note_not_a_broken_image(run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (copy / "best.png").unlink()
    html = page(RunDir(copy))
    assert "<em>(best.png is not written yet)</em>" in html
    assert len(re.findall(r"<img ", html)) == 2


def test_gankit_report_rerenders_the_page(run):
    (run / "report.html").unlink()
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").read_text().startswith("<!DOCTYPE html>")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
CHECK = """<script>
window.addEventListener("load", () => {
  const bad = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length;
  document.body.insertAdjacentHTML("beforeend",
    `<p id="gankit-check">images=${document.images.length} broken=${bad}</p>`);
});
</script></body>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_report_renders_in_a_headless_browser(run, tmp_path):
    """Every image decodes in Chromium and the screenshot is not blank."""
    checked = tmp_path / "checked.html"
    checked.write_text((run / "report.html").read_text().replace("</body>", CHECK))
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--virtual-time-budget=5000", "--dump-dom",
                          checked.as_uri()], capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    assert "images=3 broken=0" in dom, dom[-500:]
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *FLAGS, *profile, "--window-size=1200,2400",
                    f"--screenshot={shot}", (run / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)  # fmt: skip
    with Image.open(shot) as img:
        assert img.size == (1200, 2400)
        assert max(ImageStat.Stat(img.convert("L")).stddev) > 20  # text and pictures, not blank
