"""Progress bars: tqdm in a terminal; in Jupyter a text bar redrawn every few seconds instead of
a widget, so a saved notebook keeps one readable line per bar (a widget's state is not saved:
the notebook would show ``HBox(children=...)``) and its file stays small."""

from __future__ import annotations

import sys

from tqdm import tqdm

#: seconds between redraws of a bar in a notebook
NOTEBOOK_INTERVAL = 5.0


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(*args, **kwargs) -> tqdm:
    """``tqdm(...)`` with the notebook's settings where it runs in one."""
    if in_notebook():
        kwargs.setdefault("mininterval", NOTEBOOK_INTERVAL)
        kwargs.setdefault("ncols", 100)
    return tqdm(*args, **kwargs)
