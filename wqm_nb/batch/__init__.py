"""Batch surface: every school of a group rendered by workers with warm kernels, then a group overview.

:mod:`.runner` (``run_batch``) reads the data once and collects the results;
:mod:`.jobs` is what a worker does for one report; :mod:`.executors` are the
places jobs run (worker processes here, this process, or a Dask cluster).
The names below are imported on first use, so a worker process that imports
:mod:`.executors` and :mod:`.jobs` does not load the runner (and pandas).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "BatchResult": "runner",
    "BatchRun": "runner",
    "SchoolResult": "runner",
    "default_workers": "runner",
    "run_batch": "runner",
    "write_summary": "runner",
    "EXECUTORS": "executors",
    "describe_error": "jobs",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_WHERE)
