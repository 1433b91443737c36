"""Warm kernels: one Jupyter kernel kept alive to run report after report.

Starting a kernel and importing pandas, seaborn and the package into it
costs about two seconds, more than the analysis of a school. A
:class:`WarmKernel` pays that once: it starts a kernel, imports what every
report imports (:func:`kernel_prelude`) and then runs notebook after notebook
in it, still through papermill (:func:`wqm_nb.export.notebooks.execute` with
the kernel's manager), so parameters are injected and the output notebook is
written exactly as for a fresh kernel.

Each run is isolated. Before every notebook the kernel is reset
(:func:`kernel_reset`): a new IPython session (empty namespace, execution
count 1), every widget and pyplot figure closed, and matplotlib's settings, the warning
filters (and with them every "shown once" registry), the working directory,
the environment, ``sys.path``, the builtins and pandas' options put back as
they were just after the prelude.
Nothing one school's notebook defined or changed reaches the next; only the
imported modules stay, which is the point.

A kernel that fails to start (papermill's known "address already in use" in
parallel runs), dies, or stops answering (a cell runs past ``cell_timeout``)
is shut down, a new one started, and the notebook run once more; a second
failure raises :class:`~wqm_nb.errors.KernelError`. An error raised by a
cell is the notebook's, not the kernel's: it is raised at once as
:class:`~wqm_nb.errors.NotebookExecutionError` and the kernel is kept.
"""

from __future__ import annotations

import builtins
import os
import sys
import warnings
from pathlib import Path
from typing import Any, cast

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from ..errors import KernelError, NotebookError
from .notebooks import KERNEL_ARGUMENTS, execute

#: What the prelude imports: the modules the report notebooks import in their first cells.
PRELUDE_MODULES = ("wqm_nb.present", "wqm_nb.ui")
#: Seconds to wait for a new kernel to answer, and for the reset and other short calls.
START_TIMEOUT = 60.0
CALL_TIMEOUT = 60.0

_SNAPSHOT: dict[str, Any] = {}


def kernel_prelude(modules: tuple[str, ...] = PRELUDE_MODULES) -> None:
    """Run once in a new kernel: import ``modules`` and remember the state every run starts from."""
    import importlib

    import matplotlib

    for name in modules:
        importlib.import_module(name)
    _SNAPSHOT.clear()
    _SNAPSHOT.update(
        rc=dict(matplotlib.rcParams),
        cwd=os.getcwd(),
        environ=dict(os.environ),
        warnings=list(warnings.filters),
        path=list(sys.path),
        builtins=dict(vars(builtins)),
    )


def kernel_reset() -> None:
    """Run before each notebook: a fresh IPython session and the state :func:`kernel_prelude` remembered."""
    import matplotlib

    if not _SNAPSHOT:
        raise RuntimeError("kernel_reset before kernel_prelude")
    if "ipywidgets" in sys.modules:  # the last report's app: its widgets hold its data
        sys.modules["ipywidgets"].Widget.close_all()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    with warnings.catch_warnings():  # restoring a deprecated key (if any) warns
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_SNAPSHOT["rc"])
    cast("list[Any]", warnings.filters)[:] = _SNAPSHOT["warnings"]  # a list at run time; typeshed says Sequence
    # forget every "already shown" registry, as a new process has none (private CPython API, not in typeshed)
    warnings._filters_mutated()  # type: ignore[attr-defined]
    os.chdir(_SNAPSHOT["cwd"])
    os.environ.clear()
    os.environ.update(_SNAPSHOT["environ"])
    sys.path[:] = _SNAPSHOT["path"]
    names = vars(builtins)
    for name in set(names) - set(_SNAPSHOT["builtins"]):
        del names[name]
    names.update(_SNAPSHOT["builtins"])
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["pandas"].reset_option("all")
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=True)  # empty namespace and history; execution count back to 1


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel brings IPython
        return None
    return get_ipython()


class _OneClient(AsyncKernelClient):
    """A client whose channels are started once and kept across papermill runs."""

    _started = False

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        if not self._started:
            super().start_channels(*args, **kwargs)
            self._started = True

    def stop_channels(self) -> None:
        super().stop_channels()
        self._started = False


class _OwnedKernelManager(AsyncKernelManager):
    """A kernel manager that hands every caller (papermill included) the same client."""

    _client: _OneClient | None = None

    def client(self, **kwargs: Any) -> _OneClient:  # type: ignore[override]
        if self._client is None:
            self.client_factory = _OneClient
            self._client = cast(_OneClient, super().client(**kwargs))  # built by client_factory
        return self._client


class WarmKernel:
    """A kernel kept alive across notebook runs, each run isolated (see the module notes).

    ``starts`` counts the kernels started, ``retries`` the runs repeated
    after a kernel failure. Use as a context manager or call :meth:`shutdown`.
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        cell_timeout: float | None = 600.0,
        start_timeout: float = START_TIMEOUT,
        prelude: tuple[str, ...] = PRELUDE_MODULES,
    ):
        self.kernel_name = kernel_name
        self.cell_timeout = cell_timeout
        self.start_timeout = start_timeout
        self.prelude = prelude
        self.km: _OwnedKernelManager | None = None
        self.starts = 0
        self.retries = 0
        self.runs = 0

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def alive(self) -> bool:
        """Whether a kernel is running."""
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    @property
    def pid(self) -> int | None:
        """The kernel's process id (None when none runs)."""
        if self.km is None or self.km.provisioner is None:
            return None
        return getattr(self.km.provisioner, "pid", None)

    def start(self) -> None:
        """Start a kernel and run the prelude in it (shutting down any previous one)."""
        self.shutdown()
        km = _OwnedKernelManager(kernel_name=self.kernel_name)
        self.km = km
        self.starts += 1
        try:
            run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS))
            client = km.client()
            client.start_channels()
            run_sync(client.wait_for_ready)(timeout=self.start_timeout)
        except Exception as exc:
            self.shutdown()
            raise KernelError(f"the {self.kernel_name} kernel did not start: {_describe(exc)}") from exc
        modules = ", ".join(repr(m) for m in self.prelude)
        self.call(f"__import__('wqm_nb.export.kernels', fromlist=['_']).kernel_prelude(({modules},))")

    def ensure_started(self) -> None:
        """Start a kernel unless one is running."""
        if not self.alive:
            self.start()

    def call(self, code: str, timeout: float = CALL_TIMEOUT) -> None:
        """Run ``code`` silently in the kernel (no output, execution count unchanged); raise if it fails."""
        if self.km is None:
            raise KernelError("no kernel is running")
        client = self.km.client()

        async def run() -> dict:
            msg_id = client.execute(code, silent=True, store_history=False, allow_stdin=False)
            while True:
                reply = await client.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return reply["content"]

        try:
            content = run_sync(run)()
        except Exception as exc:  # the queue's Empty after the timeout, or a closed channel
            raise KernelError(f"the kernel did not answer within {timeout:g} s") from exc
        if content.get("status") != "ok":
            raise KernelError(f"{content.get('ename', 'error')} in the kernel: {content.get('evalue', '')}")

    def reset(self) -> None:
        """Give the next notebook a fresh session (see :func:`kernel_reset`)."""
        self.call("__import__('wqm_nb.export.kernels', fromlist=['_']).kernel_reset()")

    def execute(self, notebook: Path, output: Path, parameters: dict[str, Any]) -> Path:
        """Run ``notebook`` with ``parameters`` into ``output`` in this kernel, isolated from earlier runs.

        A kernel failure (see the module notes) replaces the kernel and runs
        the notebook once more before raising :class:`~wqm_nb.errors.KernelError`.
        """
        for attempt in (1, 2):
            try:
                self.ensure_started()
                self.reset()
                execute(
                    notebook,
                    output,
                    parameters,
                    kernel_name=self.kernel_name,
                    kernel_manager=self.km,
                    cell_timeout=self.cell_timeout,
                )
                self.runs += 1
                return output
            except NotebookError as exc:
                if not isinstance(exc, KernelError):
                    raise  # a cell's error, or a bad parameter: the notebook's, the kernel is fine
                failure: Exception = exc
            except Exception as exc:  # noqa: BLE001 - dead kernel, cell timeout, zmq: all the kernel's
                failure = exc
            self.shutdown()
            if attempt == 2:
                raise KernelError(f"{Path(notebook).name}: the kernel failed twice: {_describe(failure)}") from failure
            self.retries += 1
        raise AssertionError("unreachable")  # pragma: no cover

    def shutdown(self) -> None:
        """Stop the kernel (if any) and close its channels."""
        km, self.km = self.km, None
        if km is None:
            return
        try:
            if km._client is not None:
                km._client.stop_channels()
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - a kernel that is already gone is shut down enough
            pass
        finally:
            try:
                run_sync(km.cleanup_resources)()
            except Exception:  # noqa: BLE001
                pass


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


__all__ = ["CALL_TIMEOUT", "PRELUDE_MODULES", "START_TIMEOUT", "WarmKernel", "kernel_prelude", "kernel_reset"]
