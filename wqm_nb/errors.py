"""The workbench's typed exceptions.

Every error the workbench raises on purpose is a :class:`WqmError`. Its
message is one line that names what is at fault (the file, row and column, or
the id), so a surface can show it as it is: the ``wqm`` command prints it and
exits with status 2, a form shows it beside the field. Anything else that
escapes is a bug and keeps its traceback.

The hierarchy follows papermill's model: one base class, one subclass per kind
of failure, attributes for the parts a caller may want to act on.
"""

from __future__ import annotations

from pathlib import Path


class WqmError(Exception):
    """Base class of every error the workbench raises on purpose."""


class SettingsError(WqmError):
    """A setting of a run (school id, year, data location, ...) is invalid."""


class DataFileError(WqmError):
    """A data file (framework, question bank, mapping, CSV import) is malformed.

    ``file`` names the file; ``field`` the field path inside a YAML document
    (``principles[2].elements[0].text``); ``row`` and ``column`` the place in a
    table, numbered as a spreadsheet shows it (the header is row 1, the first
    answer row 2).
    """

    def __init__(
        self, file: str | Path, field: str, message: str, *, row: int | None = None, column: str | None = None
    ):
        self.file = str(file)
        self.field = field
        self.message = message
        self.row = row
        self.column = column
        super().__init__(f"{self.location}: {message}")

    @property
    def location(self) -> str:
        """``wqm.yaml: principles[2].name`` or ``staff.csv, row 3, column 'S01'``."""
        parts = [f"row {self.row}"] if self.row is not None else []
        if self.column:
            parts.append(f"column {self.column!r}")
        where = ", ".join([self.file, *parts])
        return f"{where}: {self.field}" if self.field else where


class StoreError(WqmError):
    """The store refused a read or a write; nothing was written."""


class ReleaseWithheldError(WqmError):
    """A survey's figures could not be cleared by the disclosure audit and are withheld: an export refuses
    rather than hand out a file of blanks (the report says which survey and why)."""


class NotPublishedError(StoreError):
    """A page under a link's scope asked for figures whose release is not in the publication ledger yet: only
    the publishing process (the server, a command, a batch) records a release, never a link holder's kernel."""


class ScopeError(StoreError, PermissionError):
    """A read or write outside what the page's link (its scope) allows; nothing was read or written."""


class UnknownSchoolError(StoreError, LookupError):
    """No school with that id in the store."""

    def __init__(self, school_id: str, known: list[str] | tuple[str, ...] = ()):
        self.school_id = school_id
        self.known = tuple(known)
        listing = ", ".join(self.known[:20]) + (", ..." if len(self.known) > 20 else "")
        super().__init__(f"unknown school {school_id!r} (known: {listing or 'none'})")


class UnknownYearError(StoreError, LookupError):
    """The school has no data for that academic year (or framework)."""

    def __init__(self, school_id: str, year: str, known: list[str] | tuple[str, ...] = (), what: str = ""):
        self.school_id = school_id
        self.year = year
        self.known = tuple(known)
        detail = f" {what}" if what else ""
        super().__init__(
            f"school {school_id!r} has no{detail} data for {year or 'any year'} "
            f"(years: {', '.join(self.known) or 'none'})"
        )


class NotebookError(WqmError):
    """A report notebook could not be run."""


class NotebookParameterError(NotebookError):
    """A parameter was passed that the notebook's parameters cell does not define."""


class NotebookExecutionError(NotebookError):
    """A cell of a notebook raised. ``ename``/``evalue`` are the error raised inside."""

    def __init__(self, notebook: str, ename: str, evalue: str, cell: int | str | None = None):
        self.notebook = notebook
        self.ename = ename
        self.evalue = evalue
        self.cell = cell
        where = f" (notebook {notebook}, cell {cell})" if cell is not None else f" (notebook {notebook})"
        super().__init__(f"{ename}: {evalue}{where}")


class KernelError(NotebookError):
    """The Jupyter kernel running a notebook failed to start or stopped answering (not a cell's error)."""


class RenderError(WqmError):
    """HTML or PDF rendering failed."""
