"""Batch surface: every school of a group rendered by workers with warm kernels, then a group overview.

:mod:`.runner` (``run_batch``) reads the data once and collects the results;
:mod:`.jobs` is what a worker does for one report; :mod:`.executors` are the
places jobs run (worker processes here, this process, or a Dask cluster).
"""
from .executors import EXECUTORS
from .jobs import describe_error
from .runner import BatchResult, SchoolResult, default_workers, run_batch, write_summary

__all__ = ["BatchResult", "EXECUTORS", "SchoolResult", "default_workers", "describe_error", "run_batch",
           "write_summary"]
