"""Spreadsheet-safe text: cells the workbench writes, and reads back.

A CSV or XLSX cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is run as a formula by Excel and LibreOffice (CSV/formula
injection: a school named ``=HYPERLINK(...)``). Every CSV or XLSX file the
workbench writes passes its text cells through :func:`neutralise`, which puts
an apostrophe in front of such text; numbers are written as numbers,
untouched. The workbench's own importers pass every text cell through
:func:`restore`, which removes that apostrophe again, so an evidence text that
starts with ``- `` survives a round trip.

The rule, documented in docs/privacy.md: a text cell that starts with an
apostrophe followed by one of those characters is read without the
apostrophe.

:func:`decode_text` turns the bytes of a CSV file into text the way every
importer of the workbench does: UTF-16 when the file starts with a UTF-16
byte-order mark (Excel's "Unicode Text"), or when NUL bytes in its start make
charset-normalizer find UTF-16 without a BOM; UTF-8 with or without a BOM; else
Windows-1252 (what Excel writes for "CSV" on a UK or European Windows
machine) when the bytes are valid Windows-1252 (a guesser is easily fooled
by a short file); else charset-normalizer's best guess.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


class NotText(ValueError):
    """The bytes are not text in any encoding a spreadsheet writes."""


def decode_text(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of a text file's bytes (see the module notes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise NotText("not valid UTF-16 text") from None
    if b"\x00" in data[:4096]:  # UTF-16 without a BOM (or binary): NUL bytes are valid UTF-8, so ask first
        from charset_normalizer import from_bytes

        best = from_bytes(data[:65536]).best()
        if (best is None or not best.encoding.startswith("utf_16")) and data.count(b"\x00") * 100 <= len(data):
            return decode_text(data.replace(b"\x00", b""))  # a few stray NUL bytes (SurveyMonkey's legacy export)
        if best is None or not best.encoding.startswith("utf_16"):
            raise NotText("not a text file")
        try:
            return data.decode(best.encoding), best.encoding
        except UnicodeDecodeError:
            raise NotText(f"not valid {best.encoding} text") from None
    try:
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise NotText("not a text file")
    try:  # what Excel writes for "CSV" in the UK and Western Europe; short files fool any guesser
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    candidates = from_bytes(data)
    if not len(candidates):
        raise NotText("not a text file")
    best = candidates.best()
    assert best is not None  # from_bytes found candidates, so there is a best one
    encoding = best.encoding
    return data.decode(encoding), encoding


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


def column_letter(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
