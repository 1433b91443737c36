"""Reading an export file into a table of text cells, whatever its format.

:func:`read_table` takes the bytes of a survey export and returns a
:class:`RawTable`: every cell as text (an empty string for an empty cell),
with no row taken as the header yet (:mod:`wqm_nb.intake.shapes` decides how
many header rows there are). It recognises:

* **XLSX** (a zip holding ``xl/workbook.xml``): the sheet that holds the
  responses, read with python-calamine through pandas (openpyxl takes about a
  minute for 100,000 rows; calamine a few seconds): the sheet named by
  ``sheet`` (``--sheet``), else the visible, non-empty worksheet with the most
  rows (hidden and empty sheets, and summary sheets of a few rows beside the
  responses, are skipped; :attr:`RawTable.described` names the sheet and what
  was skipped). Date cells become ISO text, whole numbers lose their ``.0``,
  and a cell holding an Excel error (``#N/A``, ``#VALUE!``...) keeps its
  error text, so the import reports it instead of reading an empty answer.
* **A zip holding one export** (SurveyMonkey's download): that file, named
  ``archive.zip/responses.csv`` in messages; a zip of several files is refused,
  saying to unzip it and choose one.
* **CSV and tab-separated text**: the encoding by
  :func:`wqm_nb.spreadsheet.decode_text` (UTF-8 with or without BOM,
  UTF-16 with or without BOM, Windows-1252); an Excel ``sep=;`` first line;
  otherwise the delimiter (comma, semicolon or tab) that splits the first
  lines into the same number of fields, most fields winning.

Refused with a :class:`~wqm_nb.errors.DataFileError` naming the file: an
empty file, a web page saved as ``.csv`` (a sign-in or error page instead of
the export), an old binary ``.xls``, and any other binary file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from ..errors import DataFileError
from ..spreadsheet import NotText, column_letter, decode_text

DELIMITERS = (",", ";", "\t")
_SNIFF_LINES = 20
#: What Excel writes in a cell whose formula failed: an error, never an answer.
EXCEL_ERRORS = (
    "#N/A",
    "#VALUE!",
    "#REF!",
    "#DIV/0!",
    "#NUM!",
    "#NAME?",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
)
#: The files a zip may hold as its one export.
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
#: The largest file read out of a zip (a zip bomb stops here).
MAX_UNZIPPED_BYTES = 512 * 2**20


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
    sheet: str | None = None  # xlsx: the sheet read
    skipped_sheets: tuple[str, ...] = ()  # xlsx: the other sheets and why they were not read

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
            skipped = f"; not read: {', '.join(self.skipped_sheets)}" if self.skipped_sheets else ""
            return f"Excel workbook, sheet {self.sheet!r}{skipped}"
        names = {",": "comma", ";": "semicolon", "\t": "tab"}
        encodings = {
            "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8 with BOM",
            "cp1252": "Windows-1252",
            "utf-16": "UTF-16",
            "utf_16_le": "UTF-16 (little-endian, no BOM)",
            "utf_16_be": "UTF-16 (big-endian, no BOM)",
        }
        return (
            f"CSV, {encodings.get(self.encoding or '', self.encoding)}, "
            f"{names.get(self.delimiter or '', repr(self.delimiter))}-separated"
        )


def read_table(data: bytes, file_name: str, sheet: str | None = None) -> RawTable:
    """Read an export's bytes (see the module notes); ``sheet``: the workbook sheet to read."""
    return _read(data, Path(file_name).name, sheet)


def _read(data: bytes, name: str, sheet: str | None) -> RawTable:
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise DataFileError(name, "", "the file is empty: export the responses again")
    if data[:2] == b"PK":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = archive.namelist()
        except zipfile.BadZipFile:
            raise DataFileError(
                name, "", "not a readable Excel workbook or zip (damaged): download the export again"
            ) from None
        if "xl/workbook.xml" not in names:
            member, content = _one_export(archive, name)
            return _read(content, f"{name}/{Path(member).name}", sheet)
        cells, numbers, chosen, skipped = _read_xlsx(data, name, sheet)
        return RawTable(name, digest, "xlsx", None, None, cells, numbers, chosen, skipped)
    if sheet:
        raise DataFileError(name, "", f"--sheet {sheet!r} is for an Excel workbook; this is a text file")
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


def _one_export(archive: zipfile.ZipFile, name: str) -> tuple[str, bytes]:
    """The one export a zip holds: ``(its name in the zip, its bytes)``."""
    members = [
        i
        for i in archive.infolist()
        if not i.is_dir() and not i.filename.startswith("__MACOSX/") and not Path(i.filename).name.startswith(".")
    ]
    exports = [i for i in members if Path(i.filename).suffix.lower() in EXPORT_SUFFIXES]
    if len(exports) != 1:
        listed = ", ".join(i.filename for i in members[:6]) + (" ..." if len(members) > 6 else "")
        what = f"{len(exports)} exports" if exports else "no CSV or Excel file"
        raise DataFileError(
            name, "", f"a zip holding {what} ({listed or 'nothing'}): unzip it and import the export itself"
        )
    member = exports[0]
    if member.file_size > MAX_UNZIPPED_BYTES:
        raise DataFileError(name, "", f"{member.filename} is {member.file_size:,} bytes unzipped: too large to read")
    try:
        return member.filename, archive.read(member)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:  # damaged, encrypted or unknown method
        raise DataFileError(name, "", f"{member.filename} cannot be read from the zip ({exc}): unzip it") from None


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> tuple[pd.DataFrame, tuple[int, ...], str, tuple[str, ...]]:
    """The chosen sheet's cells, their row numbers, the sheet's name and the sheets not read (with why)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = list(workbook.sheets_metadata)
    except Exception as exc:  # calamine raises its own error types for a damaged or foreign zip
        raise DataFileError(name, "", f"not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    names = [m.name for m in sheets]
    if sheet is not None:
        chosen = next((n for n in names if n == sheet), None) or next(
            (n for n in names if n.casefold().strip() == sheet.casefold().strip()), None
        )
        if chosen is None:
            raise DataFileError(name, "", f"no sheet {sheet!r} (its sheets: {', '.join(map(repr, names))})")
        skipped: list[str] = []
    else:
        sizes: dict[str, int] = {}
        skipped = []
        for meta in sheets:
            if meta.typ != SheetTypeEnum.WorkSheet:
                skipped.append(f"{meta.name!r} (not a worksheet)")
            elif meta.visible != SheetVisibleEnum.Visible:
                skipped.append(f"{meta.name!r} (hidden)")
            elif not (height := _filled_rows(workbook, meta.name)):
                skipped.append(f"{meta.name!r} (empty)")
            else:
                sizes[meta.name] = height
        if not sizes:
            raise DataFileError(name, "", "no sheet of this workbook holds anything: export the responses again")
        chosen = max(sizes, key=lambda n: (sizes[n], -names.index(n)))
        skipped += [f"{n!r} ({sizes[n]} row{'s' if sizes[n] != 1 else ''})" for n in sizes if n != chosen]
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=chosen, header=None, engine="calamine")
    except Exception as exc:  # calamine raises its own error types for a damaged sheet
        raise DataFileError(name, "", f"sheet {chosen!r} is not readable ({type(exc).__name__}: {exc})") from None
    for (row, col), error in _error_cells(data, names.index(chosen)).items():
        if row < frame.shape[0] and col < frame.shape[1]:
            frame.iat[row, col] = error
    frame = frame.dropna(how="all")
    numbers = tuple(int(n) + 1 for n in frame.index)
    frame.columns = range(frame.shape[1])
    cells = frame.apply(_as_text).reset_index(drop=True) if frame.shape[1] else pd.DataFrame()
    return cells, numbers, chosen, tuple(skipped)


def _filled_rows(workbook: object, sheet: str) -> int:
    """How many rows of a sheet hold anything."""
    rows = workbook.get_sheet_by_name(sheet).to_python()  # type: ignore[attr-defined]
    return sum(1 for row in rows if any(v not in ("", None) for v in row))


_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _error_cells(data: bytes, index: int) -> dict[tuple[int, int], str]:
    """``(row, column) -> error text`` (0-based) of the cells of sheet ``index`` that hold an Excel error
    (``t="e"``): calamine reads them as empty."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            sheets = book.findall(f"{_MAIN_NS}sheets/{_MAIN_NS}sheet")
            rel_id = sheets[index].get(f"{_REL_NS}id")
            target = next(r.get("Target", "") for r in rels if r.get("Id") == rel_id)
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            xml = archive.read(path)
    except (KeyError, IndexError, StopIteration, ElementTree.ParseError, zipfile.BadZipFile):
        return {}
    if b't="e"' not in xml:
        return {}
    found: dict[tuple[int, int], str] = {}
    for _, element in ElementTree.iterparse(io.BytesIO(xml)):
        if element.tag == f"{_MAIN_NS}c":
            if element.get("t") == "e" and (ref := _CELL_REF.fullmatch(element.get("r", ""))):
                value = element.find(f"{_MAIN_NS}v")
                letters, number = ref.groups()
                col = 0
                for ch in letters:
                    col = col * 26 + ord(ch) - 64
                found[(int(number) - 1, col - 1)] = value.text if value is not None and value.text else "#N/A"
            element.clear()
    return found


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


__all__ = ["EXCEL_ERRORS", "RawTable", "column_letter", "read_table", "sniff_delimiter"]
