"""Sweeps: grids of ordinary runs, executed sequentially, in parallel or on Ray, summarised."""

from gankit.sweep.execute import execute, read_rows
from gankit.sweep.spec import SweepSpec, check_runs, load_spec, sweep_names
from gankit.sweep.summary import write_summary

__all__ = [
    "SweepSpec",
    "check_runs",
    "execute",
    "load_spec",
    "read_rows",
    "sweep_names",
    "write_summary",
]
