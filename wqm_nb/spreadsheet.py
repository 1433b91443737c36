"""Spreadsheet-safe text: cells the workbench writes, and reads back.

A CSV or XLSX cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is run as a formula by Excel and LibreOffice (CSV/formula
injection: a school named ``=HYPERLINK(...)``). Every CSV or XLSX file the
workbench writes passes its text cells through :func:`neutralise`, which puts
an apostrophe in front of such text; numbers are written as numbers,
untouched. The workbench's own importers pass every text cell through
:func:`restore`, which removes that apostrophe again, so an evidence text that
starts with ``- `` survives a round trip.

The rule, documented in the README: a text cell that starts with an
apostrophe followed by one of those characters is read without the
apostrophe.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` safe to put in a spreadsheet cell (numbers and None unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(text: str) -> str:
    """Undo :func:`neutralise` on a text cell read back from a file."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a UTF-8 CSV file with every text cell neutralised."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([neutralise(h) for h in header])
        writer.writerows([neutralise(v) for v in row] for row in rows)
    return path
