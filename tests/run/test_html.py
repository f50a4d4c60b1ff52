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
    # the page forbids scripts (CSP); this copy drops the policy to run its one check script
    text = re.sub(
        r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", (run / "report.html").read_text()
    )
    checked.write_text(text.replace("</body>", CHECK))
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


def test_user_strings_cannot_put_a_script_into_the_report(tmp_path):
    """Issue 25: a run directory, description and data folder named by someone else, and a
    Markdown javascript: link, reach report.html and Jupyter's view as inert text."""
    from gankit.api import Run
    from tests.conftest import FOLDER_ARGS

    data = tmp_path / "<svg onload=alert(5)>"
    data.mkdir()
    for i in range(4):
        Image.new("RGB", (16, 16), (60 * i, 0, 0)).save(data / f"{i}.png")
    out = tmp_path / "<img src=x onerror=alert(1)>"
    description = "<script>alert(2)</script> [click](javascript:alert(3)) <b onclick=alert(4)>b</b>"
    argv = ["train", "--data", str(data), *FOLDER_ARGS, "--steps", "2", "--out", str(out),
            "--set", f"description={description}"]  # fmt: skip
    assert main(argv) == 0
    page_html = (out / "report.html").read_text()
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'' in page_html
    for html in (page_html, Run(str(out))._repr_html_()):
        assert "alert(2)" in html and "<script" not in html.lower()
        assert "<img src=x" not in html and "<svg" not in html and "<b onclick" not in html
        assert "javascript:" not in re.sub(
            r"&[a-z]+;", "", "".join(re.findall(r'(?:href|src)="([^"]*)"', html))
        )
        assert "&lt;svg onload=alert(5)&gt;" in html or "onload" not in html


WATCH = """<head><script>
window.gankitAlerts = 0;
window.alert = window.confirm = window.prompt = () => { window.gankitAlerts += 1; };
window.addEventListener("load", () => setTimeout(() => {
  const scripted = [...document.querySelectorAll("[href], [src]")].filter(
    e => /^javascript:/i.test(e.href || e.src || "")).length;
  const handlers = [...document.querySelectorAll("*")].filter(
    e => [...e.attributes].some(a => a.name.startsWith("on"))).length;
  document.body.insertAdjacentHTML("beforeend",
    `<p id="gankit-check">alerts=${window.gankitAlerts} handlers=${handlers} js=${scripted}</p>`);
}, 500));
</script>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_no_user_string_runs_in_a_browser_even_without_the_csp(tmp_path):
    """Issue 25: the hostile run's report in headless Chromium with its Content-Security-Policy
    taken out: no alert fires, no element carries an event handler or a javascript: URL."""
    test_user_strings_cannot_put_a_script_into_the_report(tmp_path)
    (out,) = [p for p in tmp_path.iterdir() if p.name.startswith("<img")]
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "",
                  (out / "report.html").read_text())  # fmt: skip
    page = tmp_path / "watched.html"
    page.write_text(text.replace("<head>", WATCH, 1))
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--virtual-time-budget=5000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    assert "alerts=0 handlers=0 js=0" in dom, dom[-500:]
