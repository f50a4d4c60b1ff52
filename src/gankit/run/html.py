"""report.html: report.md as one self-contained page (every image and the GIF embedded).

The page is the Markdown report rendered by python-markdown, so the two never disagree; each
image the report names is inlined as a data URI (an image not written yet becomes a note, never a
broken picture). Links to other files of the run (config.yaml, metrics.jsonl) stay relative.
The same HTML, without the page around it, is what a ``gankit.Run`` shows in Jupyter.
"""

from __future__ import annotations

import base64
import html
import io
import re

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from PIL import Image

from gankit.run.rundir import RunDir, write_text_atomic

IMG = re.compile(r'<img alt="([^"]*)" src="([^"]+)"\s*/?>')
MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".svg": "image/svg+xml"}
#: pictures narrower than this are shown enlarged
MIN_WIDTH = 320
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0; }
td, th { border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: left; }
img { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def _inline(run: RunDir, match: re.Match) -> str:
    alt, src = match.group(1), match.group(2)
    path = run.path / src
    mime = MIME.get(path.suffix.lower())
    try:
        data = (
            path.read_bytes()
            if mime and path.resolve().is_relative_to(run.path.resolve())
            else None
        )
    except OSError:
        data = None
    if not data:
        return f"<em>({html.escape(src)} is not written yet)</em>"
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{alt}" src="data:{mime};base64,{encoded}"{_enlarged(data)}>'


def _enlarged(data: bytes) -> str:
    """A small grid (16px digits) is drawn at a whole multiple of its size, pixels kept sharp."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width = img.width
    except OSError:
        return ""
    return f' width="{width * (MIN_WIDTH // width + 1)}"' if width < MIN_WIDTH else ""


class Inert(Extension):
    """Markdown without raw HTML (it is shown as text) and with links and images only to
    http(s), relative paths and in-page anchors: a run name, description or data path chosen by
    someone else cannot put a script into the page (report.html, Jupyter)."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(SafeLinks(md), "safe_links", 0)


class SafeLinks(Treeprocessor):
    def run(self, root):
        for element in root.iter():
            for attr in ("href", "src"):
                if attr in element.attrib and not _safe_url(element.attrib[attr]):
                    element.attrib[attr] = "#"


def _safe_url(url: str) -> bool:
    scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return scheme is None or scheme.group(1).lower() in ("http", "https")


#: the page runs nothing: no scripts, no requests; only its own styles and embedded images
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def fragment(run: RunDir) -> str:
    """The report as HTML without <html>/<head>: for a notebook cell or inside a page."""
    try:
        text = run.report.read_text(encoding="utf-8")
    except OSError:
        return f"<p>{html.escape(str(run.path))}: no report.md yet (the run has not logged).</p>"
    body = markdown.markdown(text, extensions=["tables", "fenced_code", Inert()])
    return IMG.sub(lambda m: _inline(run, m), body)


def page(run: RunDir) -> str:
    title = html.escape(f"gankit run: {run.path.name}")
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n<title>{title}'
        f"</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{fragment(run)}\n</body>\n</html>\n"
    )


def write_html(run: RunDir) -> None:
    write_text_atomic(run.report_html, page(run))
