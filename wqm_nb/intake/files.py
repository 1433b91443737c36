"""Reading an export file into a table of text cells, whatever its format.

:func:`read_table` takes the bytes of a survey export and returns a
:class:`RawTable`: every cell as text (an empty string for an empty cell),
with no row taken as the header yet (:mod:`wqm_nb.intake.shapes` decides how
many header rows there are). It recognises:

* **XLSX** (a zip that starts ``PK``): the first sheet, read with
  python-calamine through pandas (openpyxl takes about a minute for 100,000
  rows; calamine a few seconds). Date cells become ISO text, whole numbers
  lose their ``.0``.
* **CSV and tab-separated text**: the encoding by
  :func:`wqm_nb.spreadsheet.decode_text` (UTF-8 with or without BOM,
  UTF-16 with BOM, Windows-1252); an Excel ``sep=;`` first line; otherwise the
  delimiter (comma, semicolon or tab) that splits the first lines into the
  same number of fields, most fields winning.

Refused with a :class:`~wqm_nb.errors.DataFileError` naming the file: an
empty file, a web page saved as ``.csv`` (a sign-in or error page instead of
the export), an old binary ``.xls``, and any other binary file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataFileError
from ..spreadsheet import NotText, column_letter, decode_text

DELIMITERS = (",", ";", "\t")
_SNIFF_LINES = 20


@dataclass(frozen=True)
class RawTable:
    """An export file's cells as text, before any header is chosen."""

    file_name: str
    sha256: str
    format: str  # "xlsx" or "csv"
    encoding: str | None  # None for xlsx
    delimiter: str | None  # None for xlsx
    cells: pd.DataFrame  # str cells, "" for empty; positional column labels 0..n-1; empty rows left out
    row_numbers: tuple[int, ...] = ()  # the spreadsheet row number of each row of ``cells``

    @property
    def first_row(self) -> int:
        """The spreadsheet row number of the first non-empty row (2 after an Excel ``sep=`` line)."""
        return self.row_numbers[0] if self.row_numbers else 1

    def row_number(self, position: int) -> int:
        """The spreadsheet row number of ``cells.iloc[position]``."""
        return self.row_numbers[position] if position < len(self.row_numbers) else position + 1

    @property
    def described(self) -> str:
        """``CSV, UTF-8 with BOM, semicolon-separated`` or ``Excel workbook``."""
        if self.format == "xlsx":
            return "Excel workbook (first sheet)"
        names = {",": "comma", ";": "semicolon", "\t": "tab"}
        encodings = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252", "utf-16": "UTF-16"}
        return (
            f"CSV, {encodings.get(self.encoding or '', self.encoding)}, "
            f"{names.get(self.delimiter or '', repr(self.delimiter))}-separated"
        )


def read_table(data: bytes, file_name: str) -> RawTable:
    """Read an export's bytes (see the module notes)."""
    name = Path(file_name).name
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise DataFileError(name, "", "the file is empty: export the responses again")
    if data[:2] == b"PK":
        cells, numbers = _read_xlsx(data, name)
        return RawTable(name, digest, "xlsx", None, None, cells, numbers)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataFileError(name, "", "an old Excel .xls workbook: open it in Excel and save it as .xlsx or CSV UTF-8")
    try:
        text, encoding = decode_text(data)
    except NotText:
        raise DataFileError(name, "", "not a CSV or Excel file (binary content)") from None
    text = text.lstrip("\ufeff")
    head = text.lstrip()[:512].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")) or "<html" in head[:200]:
        raise DataFileError(
            name,
            "",
            "this is a web page (HTML), not an export: it is often a sign-in or "
            "error page saved instead of the file; download the export again",
        )
    first_row = 1
    delimiter = None
    first_line, _, rest = text.partition("\n")
    if first_line.strip().lower().startswith("sep=") and len(first_line.strip()) in (5, 6):
        delimiter = first_line.strip()[4:5] or ","
        text, first_row = rest, 2
    delimiter = delimiter or sniff_delimiter(text)
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise DataFileError(name, "", "the file is empty: export the responses again") from None
    except pd.errors.ParserError as exc:
        raise DataFileError(name, "", f"not a well-formed CSV file ({exc})") from None
    cells.columns = range(cells.shape[1])
    filled = (cells != "").any(axis=1).to_numpy()
    numbers = tuple(int(n) for n in (cells.index.to_numpy() + first_row)[filled])
    return RawTable(name, digest, "csv", encoding, delimiter, cells[filled].reset_index(drop=True), numbers)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of fields, most fields winning."""
    sample = "\n".join(text.splitlines()[:_SNIFF_LINES])
    best, best_fields = ",", 0
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        widths = {len(r) for r in rows[:-1]} or {len(rows[0])}  # the last line may be cut off by the sample
        if len(widths) == 1 and (fields := widths.pop()) > best_fields:
            best, best_fields = delimiter, fields
    return best


def _read_xlsx(data: bytes, name: str) -> tuple[pd.DataFrame, tuple[int, ...]]:
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, engine="calamine")
    except Exception as exc:  # calamine raises its own error types for a damaged or foreign zip
        raise DataFileError(name, "", f"not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    frame = frame.dropna(how="all")
    numbers = tuple(int(n) + 1 for n in frame.index)
    frame.columns = range(frame.shape[1])
    return (frame.apply(_as_text).reset_index(drop=True) if frame.shape[1] else pd.DataFrame()), numbers


def _as_text(column: pd.Series) -> pd.Series:
    """A workbook column as text: whole numbers without ``.0``, dates as ISO, empty as ""."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
    if pd.api.types.is_float_dtype(column):
        whole = column.notna() & (column == column.round())
        out = column.astype(object).where(~whole, column.fillna(0).round().astype("int64").astype(str))
        out = out.where(column.notna(), "")
        return out.astype(str)
    if pd.api.types.is_integer_dtype(column):
        return column.astype(str)
    out = column.astype(object)
    return out.map(_cell_text).astype(str)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


__all__ = ["RawTable", "column_letter", "read_table", "sniff_delimiter"]
