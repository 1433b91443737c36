"""A school's self-evaluation (SEF) workbook read back: checked, compared with the store, committed.

``wqm sef export`` (:mod:`wqm_nb.export.sef_workbook`) writes a workbook the
school fills in offline; this module reads it back in two steps:

1. :func:`read_sef_workbook` checks the whole file before anything is
   written and collects every problem: a file that is not an ``.xlsx``
   workbook or not one of ours, a school, year or framework the store does not
   know, an unknown or a missing sheet, a changed header, an element id
   changed, missing or duplicated, a rating not on the framework's scale, a
   sorting that is not one of the NCB tool's three. If there is any, it raises
   one :class:`SefWorkbookError` (a :class:`~wqm_nb.errors.DataFileError`)
   listing every one with its sheet, row and column letter, e.g.
   ``P3 Prioritise professional…, row 5, column C: "7" is not on the maturity
   scale (1-4)``. Otherwise it returns the :class:`SefWorkbookChanges`: the
   rows whose state (rating, evidence, sorting) differs from the store's.
2. :func:`commit_sef_workbook` records them as new history entries (source
   ``xlsx``) in one transaction.

A rating is read as the dropdown shows it (``3 – Developing practice``), or
as ``3``, ``3.0`` or the label alone; a sorting as its label or its code;
a blank cell is no rating or no sorting. Data validation in Excel does not
stop a pasted value, so every cell is checked here.

Rows the school did not change are never recorded again. The workbook keeps,
on a hidden sheet, which store entry each element showed when it was written:
a row the school left as it was, whose element was changed in the store since
(by the consultant, in the capture form), keeps the store's newer entry
instead of reverting it; a row changed on both sides is recorded with a
warning (the other entry stays in the history). :func:`commit_sef_workbook`
refuses the changes if the store moved on between reading and committing.

The workbook's layout (sheet titles, columns, the About sheet's fixed cells,
the identity properties) is defined here and used by the writer, so the two
cannot drift apart.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data import Framework, available_frameworks, load_framework
from ..data.frameworks import SORTINGS, Principle, Scale
from ..errors import DataFileError, StoreError, WqmError
from ..settings import check_academic_year
from ..spreadsheet import restore

if TYPE_CHECKING:
    from ..store import Store

#: The format this module writes and reads; a workbook of another version is refused.
FORMAT_NAME = "wqm-sef-workbook"
FORMAT_VERSION = 1
FORMAT = f"{FORMAT_NAME} {FORMAT_VERSION}"

ABOUT_SHEET = "About"
HELP_SHEET = "Help"
#: A very hidden sheet: the identity again and the store entry each element showed when written.
STATE_SHEET = "wqm_state"

#: The About sheet's fixed cells: field -> (row, label); the label is in column A, the value in column B.
ABOUT_CELLS: dict[str, tuple[int, str]] = {
    "school_id": (3, "School id"),
    "school_name": (4, "School"),
    "year": (5, "Academic year"),
    "framework_id": (6, "Framework id"),
    "framework_name": (7, "Framework"),
    "written": (8, "Written on"),
    "completed_by": (9, "Completed by"),
    "format": (10, "Format"),
}
#: Custom document properties carrying the identity (Excel: File > Info > Properties > Advanced > Custom).
PROPERTY_NAMES: dict[str, str] = {
    "format": "wqm_format",
    "school_id": "wqm_school_id",
    "year": "wqm_academic_year",
    "framework_id": "wqm_framework_id",
    "framework_path": "wqm_framework_path",
}
#: The identity fields checked between the About sheet and the document properties.
IDENTITY_FIELDS = ("format", "school_id", "year", "framework_id")

#: The columns of a principle's sheet, A to E.
HEADERS = ("Element", "Element text", "Rating", "Evidence", "Sorting")
ELEMENT_COLUMN, TEXT_COLUMN, RATING_COLUMN, EVIDENCE_COLUMN, SORTING_COLUMN = range(1, 6)
#: The first row of elements (row 1 is the header).
FIRST_ROW = 2
#: The state sheet: the table of element ids and the entry ids they showed starts on this row.
STATE_TABLE_ROW = 4

#: Characters Excel does not allow in a sheet title, and its length limit.
FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
MAX_TITLE = 31
#: A rating option as the dropdown shows it, joined by an en dash.
OPTION_DASH = "\u2013"
_OPTION = re.compile(r"^(\d+)(?:\.0*)?\s*(?:[-\u2013\u2014:.]\s*(.*))?$", re.S)
#: Characters an XLSX cell cannot hold (control characters other than tab and newline).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: How many problems the error message lists (every one is in ``SefWorkbookError.problems``).
MAX_LISTED = 50


# --------------------------------------------------------------------------
# layout shared with the writer


def sheet_titles(framework: Framework) -> dict[str, str]:
    """Each principle's sheet title: its id and name, without the characters Excel forbids
    (``[]:*?/\\``), cut to 31 characters with an ellipsis; unique (ignoring case) and never
    the title of the About, Help or state sheet."""
    taken = {ABOUT_SHEET.casefold(), HELP_SHEET.casefold(), STATE_SHEET.casefold(), "history"}
    titles: dict[str, str] = {}
    for p in framework.principles:
        title = _title(f"{p.id} {p.name}")
        candidates = [title, _title(p.id)] + [_title(p.id, f" ({n})") for n in range(2, 1000)]
        for candidate in candidates:
            if candidate and candidate.casefold() not in taken:
                title = candidate
                break
        taken.add(title.casefold())
        titles[p.id] = title
    return titles


def _title(text: str, suffix: str = "") -> str:
    clean = " ".join(FORBIDDEN_IN_TITLE.sub(" ", text).split()).strip("'").strip()
    room = MAX_TITLE - len(suffix)
    if len(clean) > room:
        cut = clean[: room - 1]
        space = cut.rfind(" ")
        if space >= room // 2:  # end on a whole word when that keeps most of the title
            cut = cut[:space]
        clean = cut.rstrip() + "\u2026"
    return clean + suffix if clean else ""


def rating_option(scale: Scale, value: int) -> str:
    """A rating as the dropdown lists it: ``3 – Developing practice``."""
    for level in scale.levels:
        if level.value == value:
            return f"{level.value} {OPTION_DASH} {level.label}"
    return str(value)


def rating_options(scale: Scale) -> list[str]:
    """Every option of the rating dropdown, lowest first."""
    return [rating_option(scale, level.value) for level in scale.levels]


def clean_text(value: Any) -> str:
    """Text as an XLSX cell holds it and the store compares it: newlines as ``\\n``, no control
    characters, no surrounding space (the store strips evidence too)."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL.sub("", text).strip()


def state_rows(
    framework: Framework, cycle_id: int | None, current: Mapping[str, Mapping], written_at: str
) -> list[tuple[Any, Any]]:
    """The rows of the hidden state sheet: the format, the cycle, when the workbook was written, then
    (from row :data:`STATE_TABLE_ROW`, a header) each element's id and the store entry it shows (blank: none)."""
    rows: list[tuple[Any, Any]] = [
        ("format", FORMAT),
        ("cycle_id", cycle_id),
        ("written_at", written_at),
        ("element_id", "entry_id"),
    ]
    rows += [(e.id, (current.get(e.id) or {}).get("entry_id")) for _, e in framework.elements]
    return rows


def scale_range(scale: Scale) -> str:
    """``1-4``, or the values listed when they are not consecutive."""
    values = list(scale.values)
    if values == list(range(scale.min, scale.max + 1)):
        return f"{scale.min}-{scale.max}"
    return ", ".join(str(v) for v in values)


# --------------------------------------------------------------------------
# results


class SefWorkbookError(DataFileError):
    """A SEF workbook was refused; ``problems`` lists every problem found (nothing was imported)."""

    def __init__(self, file: str | Path, problems: Iterable[str]):
        self.problems = tuple(problems)
        listed = list(self.problems[:MAX_LISTED])
        if len(self.problems) > MAX_LISTED:
            listed.append(f"... and {len(self.problems) - MAX_LISTED} more")
        if len(self.problems) == 1:
            message = f"{listed[0]}; nothing was imported"
        else:
            message = f"{len(self.problems)} problems, nothing was imported:\n" + "\n".join(f"  - {p}" for p in listed)
        super().__init__(file, "", message)


@dataclass(frozen=True)
class SefWorkbookChanges:
    """What a checked SEF workbook would record (:func:`read_sef_workbook`).

    ``entries`` are the rows whose state differs from the store's current
    state, in workbook order: dicts with ``element_id``, ``principle_id``,
    ``rating`` (int or None), ``evidence``, ``sorting`` (a code or ``''``),
    ``sheet`` and ``row`` (where it is in the workbook) and ``previous`` (the
    store's current entry, or None). ``unchanged`` counts the rows that record
    nothing; ``kept`` explains those among them whose element the store
    changed since the workbook was written (the store's newer entry is kept);
    ``warnings`` are notes that do not stop the import.
    """

    school_id: str
    year: str
    framework: Framework
    completed_by: str
    entries: list[dict]
    unchanged: int
    file: str = ""
    school_name: str = ""
    written: str = ""
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def change_lines(self) -> list[str]:
        """One line per entry: the element, where it is, and each field's old -> new value."""
        lines = []
        for e in self.entries:
            old = e["previous"] or {}
            parts = []
            if old.get("rating") != e["rating"]:
                parts.append(f"rating {_show_rating(old.get('rating'))} -> {_show_rating(e['rating'])}")
            if clean_text(old.get("evidence")) != e["evidence"]:
                parts.append(f"evidence {_show_text(old.get('evidence'))} -> {_show_text(e['evidence'])}")
            if (old.get("sorting") or "") != e["sorting"]:
                parts.append(f"sorting {old.get('sorting') or '-'} -> {e['sorting'] or '-'}")
            lines.append(f"{e['element_id']} ({e['sheet']}, row {e['row']}): {'; '.join(parts)}")
        return lines


def _show_rating(value: Any) -> str:
    return "-" if value is None else str(value)


def _show_text(value: Any, width: int = 40) -> str:
    text = " ".join(clean_text(value).split())
    if not text:
        return "(none)"
    return repr(text if len(text) <= width else text[: width - 1] + "\u2026")


# --------------------------------------------------------------------------
# reading


@dataclass
class _Row:
    element_id: str
    rating: int | None
    evidence: str
    sorting: str
    sheet: str
    row: int
    principle_id: str


def read_sef_workbook(
    source: str | Path | bytes, store: Store, *, framework: Framework | None = None, file_name: str = ""
) -> SefWorkbookChanges:
    """Read and check a SEF workbook written by ``wqm sef export`` against ``store``.

    ``source`` is the file's path or its bytes (``file_name`` names it in
    messages). The framework is the one the workbook was written with (a
    bundled one by id, a framework file by the path recorded in the workbook);
    pass ``framework`` for a framework file that has moved. Raises one
    :class:`SefWorkbookError` listing every problem (see the module notes);
    writes nothing.
    """
    import openpyxl

    data, name = _read_source(source, file_name)
    _check_container(data, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SefWorkbookError(name, [f"not a readable Excel workbook ({type(exc).__name__}: {exc})"]) from None
    try:
        return _read(wb, name, store, framework)
    finally:
        wb.close()


def _read_source(source: str | Path | bytes, file_name: str) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), file_name or "workbook.xlsx"
    path = Path(source)
    try:
        return path.read_bytes(), file_name or path.name
    except OSError as exc:
        raise SefWorkbookError(file_name or path.name, [f"cannot read file: {exc.strerror}"]) from None


def _check_container(data: bytes, name: str) -> None:
    if not data:
        raise SefWorkbookError(name, ["the file is empty"])
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SefWorkbookError(
            name,
            [
                "an old Excel .xls workbook, or one saved with a password to open it: "
                "save it as an Excel workbook (.xlsx) without a password"
            ],
        )
    if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise SefWorkbookError(
            name, ["not an Excel workbook (.xlsx): send back the workbook written by wqm sef export, saved as .xlsx"]
        )


def _read(wb: Any, name: str, store: Store, given: Framework | None) -> SefWorkbookChanges:
    problems: list[str] = []
    identity, about = _identity(wb, name, problems)
    school_id, year = identity["school_id"], identity["year"]

    try:
        store.school(school_id)
        check_academic_year(year)
        store.school_year(school_id, year)
    except WqmError as exc:  # the school first, then the year
        problems.append(f"{ABOUT_SHEET}: {exc}")
    framework = _framework(identity, given, problems)
    if framework is None:
        raise SefWorkbookError(name, problems)

    titles = sheet_titles(framework)
    known = {ABOUT_SHEET, HELP_SHEET, STATE_SHEET, *titles.values()}
    for title in wb.sheetnames:
        if title not in known:
            problems.append(f"sheet {title!r} is not a sheet of this workbook (sheets must not be added or renamed)")
    rows: list[_Row] = []
    seen: dict[str, tuple[str, int]] = {}  # element id -> (sheet, row) where it was read
    not_missing: set[str] = set()  # reported otherwise: on another principle's sheet, or its sheet unread
    for p in framework.principles:
        title = titles[p.id]
        if title not in wb.sheetnames:
            problems.append(f"the sheet {title!r} ({framework.section_label.lower()} {p.id}) is missing")
            continue
        _read_sheet(wb[title], title, p, framework, rows, seen, not_missing, titles, problems)
    for p, element in framework.elements:
        if element.id not in seen and element.id not in not_missing and titles[p.id] in wb.sheetnames:
            problems.append(
                f"{titles[p.id]}, column A: element {element.id} is missing (its row was deleted or its id changed)"
            )
    if problems:
        raise SefWorkbookError(name, problems)
    return _changes(store, identity, about, framework, rows, _state(wb), name)


def _identity(wb: Any, name: str, problems: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The workbook's identity (from its document properties, else its About sheet) and the About
    sheet's values; refuses a workbook that is not ours, and notes a changed About sheet in ``problems``."""
    about: dict[str, str] = {}
    if ABOUT_SHEET in wb.sheetnames:
        cells = _cells(wb[ABOUT_SHEET])
        for key, (row, label) in ABOUT_CELLS.items():
            found = cells.get(row, {})
            if _text(found.get(1)).casefold() == label.casefold():
                about[key] = _text(found.get(2))
    try:
        props = {p.name: _text(p.value) for p in wb.custom_doc_props}
    except Exception:  # a file without (or with unreadable) custom properties
        props = {}
    from_props = {key: props.get(prop, "") for key, prop in PROPERTY_NAMES.items()}
    marked = [f for f in (from_props["format"], about.get("format", "")) if f.startswith(FORMAT_NAME)]
    if not marked:
        raise SefWorkbookError(
            name,
            [
                f"not a wqm self-evaluation workbook (no {ABOUT_SHEET} sheet saying "
                f"{FORMAT!r}): export one with wqm sef export"
            ],
        )
    if marked[0] != FORMAT:
        raise SefWorkbookError(
            name, [f"a {marked[0]!r} workbook; this version of wqm reads {FORMAT!r}: export the workbook again"]
        )
    identity = dict(from_props) if from_props["format"] else {**{k: "" for k in PROPERTY_NAMES}, **about}
    missing = [ABOUT_CELLS[k][1] for k in ("school_id", "year", "framework_id") if not identity.get(k)]
    if missing:
        raise SefWorkbookError(name, [f"{ABOUT_SHEET}: no {', '.join(missing)} (the sheet must not be changed)"])
    if ABOUT_SHEET not in wb.sheetnames:
        problems.append(f"the {ABOUT_SHEET} sheet is missing (sheets must not be deleted or renamed)")
    for key in IDENTITY_FIELDS:
        if about.get(key, identity[key]) != identity[key]:
            row, label = ABOUT_CELLS[key]
            problems.append(
                f"{ABOUT_SHEET}, row {row}, column B: {label} says {about[key]!r} but the workbook "
                f"was written for {identity[key]!r} (the {ABOUT_SHEET} sheet must not be changed)"
            )
    return identity, about


def _framework(identity: Mapping[str, str], given: Framework | None, problems: list[str]) -> Framework | None:
    fid, path = identity["framework_id"], identity.get("framework_path", "")
    if given is not None:
        if given.id != fid:
            problems.append(f"the workbook was written for framework {fid!r}, not {given.id!r}")
            return None
        return given
    tried = []
    if path and Path(path).is_file():
        try:
            framework = load_framework(Path(path))
        except WqmError as exc:
            tried.append(f"its file {path} cannot be read ({exc})")
        else:
            if framework.id == fid:
                return framework
            tried.append(f"its file {path} is now framework {framework.id!r}")
    elif path:
        tried.append(f"its file {path} is not there")
    if fid in available_frameworks():
        return load_framework(fid)
    problems.append(
        f"{ABOUT_SHEET}: framework {fid!r} is not a bundled framework"
        + (f" and {'; '.join(tried)}" if tried else "")
        + " (give the framework file to read the workbook with)"
    )
    return None


def _cells(ws: Any) -> dict[int, dict[int, Any]]:
    """The sheet's non-empty cells as ``{row: {column: cell}}`` (1-based), whatever its recorded size."""
    ws.reset_dimensions()
    out: dict[int, dict[int, Any]] = {}
    for row in ws.iter_rows():
        for cell in row:
            if getattr(cell, "row", None) is None or cell.value is None:
                continue
            if isinstance(cell.value, str) and not cell.value.strip():
                continue
            out.setdefault(cell.row, {})[cell.column] = cell
    return out


def _text(cell: Any) -> str:
    """A text cell's text (a neutralised apostrophe removed); numbers as written."""
    value = getattr(cell, "value", cell)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    elif isinstance(value, date):
        value = value.isoformat()
    return restore(str(value)).strip()


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def _read_sheet(
    ws: Any,
    title: str,
    principle: Principle,
    framework: Framework,
    rows: list[_Row],
    seen: dict[str, tuple[str, int]],
    not_missing: set[str],
    titles: Mapping[str, str],
    problems: list[str],
) -> None:
    cells = _cells(ws)
    header = cells.get(1, {})
    own = {e.id for e in principle.elements}
    for column, expected in enumerate(HEADERS, start=1):
        got = _text(header.get(column))
        if got.casefold() != expected.casefold():
            problems.append(
                f"{title}, row 1, column {_letter(column)}: the header should be {expected!r}, not "
                f"{got!r} (columns must not be moved, added or deleted); the rows of this sheet "
                f"were not checked"
            )
            not_missing.update(own)
            return
    for number in sorted(r for r in cells if r >= FIRST_ROW):
        row = cells[number]
        where = f"{title}, row {number}"
        extra = sorted(c for c in row if c > len(HEADERS))
        if extra:
            problems.append(
                f"{where}, column {_letter(extra[0])}: text outside the table (columns A-"
                f"{_letter(len(HEADERS))}) is not read: move it to the Evidence column"
            )
        if not any(c <= len(HEADERS) for c in row):
            continue
        element_id = _text(row.get(ELEMENT_COLUMN))
        if not element_id:
            problems.append(
                f"{where}, column A: no element id (add nothing below the table, and do not clear an element id)"
            )
            continue
        if element_id not in own:
            try:
                home = framework.principle_of(element_id)
            except KeyError:
                problems.append(
                    f"{where}, column A: {element_id!r} is not an element of {framework.name} "
                    f"({principle.id} has {', '.join(e.id for e in principle.elements) or 'none'}); "
                    f"element ids must not be changed"
                )
            else:
                problems.append(f"{where}, column A: element {element_id} belongs on sheet {titles[home.id]!r}")
                not_missing.add(element_id)
            continue
        if element_id in seen:
            sheet, first = seen[element_id]
            earlier = f"row {first}" if sheet == title else f"{sheet!r} row {first}"
            problems.append(f"{where}, column A: element {element_id} appears again (first on {earlier})")
            continue
        seen[element_id] = (title, number)
        before = len(problems)
        rating = _rating(row.get(RATING_COLUMN), framework.scale, f"{where}, column C", problems)
        evidence = _evidence(row.get(EVIDENCE_COLUMN), f"{where}, column D", problems)
        sorting = _sorting(row.get(SORTING_COLUMN), f"{where}, column E", problems)
        if len(problems) == before:
            rows.append(_Row(element_id, rating, evidence, sorting, title, number, principle.id))


def _quoted(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return '"' + str(value) + '"'


def _is_formula(cell: Any) -> bool:
    """Whether a cell holds a formula (text that merely starts with ``=`` is text)."""
    return getattr(cell, "data_type", "") == "f"


def _rating(cell: Any, scale: Scale, where: str, problems: list[str]) -> int | None:
    """A rating cell as a value on the scale (None for blank); a problem appended otherwise."""
    if cell is None or cell.value is None:
        return None
    value = cell.value
    on_scale = f"the {scale.id} scale ({scale_range(scale)})"
    if _is_formula(cell):
        problems.append(f"{where}: {_quoted(value)} is a formula: choose a rating from the list")
        return None
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        problems.append(f"{where}: {_quoted(value)} is not a rating on {on_scale}: choose one from the list")
        return None
    if isinstance(value, (int, float)):
        if not float(value).is_integer():
            problems.append(f"{where}: {_quoted(value)} is not a whole number on {on_scale}")
            return None
        if int(value) not in scale.values:
            problems.append(f"{where}: {_quoted(value)} is not on {on_scale}")
            return None
        return int(value)
    text = " ".join(restore(str(value)).split())
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if not number.is_integer():
            problems.append(f"{where}: {_quoted(text)} is not a whole number on {on_scale}")
            return None
        if int(number) not in scale.values:
            problems.append(f"{where}: {_quoted(text)} is not on {on_scale}")
            return None
        return int(number)
    match = _OPTION.match(text)
    if match:
        number, label = int(match.group(1)), (match.group(2) or "").strip()
        if number not in scale.values:
            problems.append(f"{where}: {_quoted(text)} is not on {on_scale}")
            return None
        level = next(lv for lv in scale.levels if lv.value == number)
        if label and _fold(label) != _fold(level.label):
            problems.append(
                f"{where}: {_quoted(text)} does not match the scale: {number} is "
                f"{level.label!r}; choose a rating from the list"
            )
            return None
        return number
    for level in scale.levels:
        if _fold(text) == _fold(level.label):
            return level.value
    labels = ", ".join(rating_options(scale))
    problems.append(f"{where}: {_quoted(text)} is not on {on_scale}; choose one of: {labels}")
    return None


def _fold(text: str) -> str:
    """Text compared loosely: case, curly apostrophes and runs of spaces ignored."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").casefold().split())


def _evidence(cell: Any, where: str, problems: list[str]) -> str:
    if cell is None or cell.value is None:
        return ""
    if _is_formula(cell):
        problems.append(
            f"{where}: {_quoted(cell.value)} is a formula (Excel reads text starting with =, +, - "
            f"or @ as one): type an apostrophe before it to keep it as text"
        )
        return ""
    if getattr(cell, "data_type", "") == "e":
        problems.append(f"{where}: {_quoted(cell.value)} is an Excel error value: type the evidence as text")
        return ""
    return clean_text(_text(cell) if not isinstance(cell.value, str) else restore(cell.value))


def _sorting(cell: Any, where: str, problems: list[str]) -> str:
    if cell is None or cell.value is None:
        return ""
    text = _fold(restore(str(cell.value)))
    if not text:
        return ""
    for code, label in SORTINGS.items():
        if text in (_fold(code), _fold(label)):
            return code
    choices = ", ".join(repr(label) for label in SORTINGS.values())
    problems.append(f"{where}: {_quoted(cell.value)} is not a sorting; choose one of {choices}, or leave it blank")
    return ""


def _state(wb: Any) -> dict[str, Any] | None:
    """The hidden state sheet: the cycle and the store entry each element showed when written (None if
    it is missing or unreadable; then every row is compared with the store's current state only)."""
    if STATE_SHEET not in wb.sheetnames:
        return None
    try:
        cells = _cells(wb[STATE_SHEET])
        cycle = cells.get(2, {}).get(2)
        entries: dict[str, int | None] = {}
        for number in sorted(r for r in cells if r > STATE_TABLE_ROW):
            row = cells[number]
            element_id = _text(row.get(1))
            entry = row.get(2)
            entries[element_id] = int(entry.value) if entry is not None and entry.value is not None else None
        return dict(cycle_id=int(cycle.value) if cycle is not None else None, entries=entries)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------
# comparing with the store


def _as_state(entry: Mapping | None) -> tuple[int | None, str, str]:
    if not entry:
        return (None, "", "")
    return (entry.get("rating"), clean_text(entry.get("evidence")), entry.get("sorting") or "")


def _changes(
    store: Store,
    identity: Mapping[str, str],
    about: Mapping[str, str],
    framework: Framework,
    rows: list[_Row],
    state: dict[str, Any] | None,
    name: str,
) -> SefWorkbookChanges:
    school_id, year = identity["school_id"], identity["year"]
    cycle = store.cycle(school_id, year, framework.id)
    cycle_id = cycle["cycle_id"] if cycle else None
    current = store.current_elements(cycle_id) if cycle_id is not None else {}
    shown = state["entries"] if state and state["cycle_id"] in (cycle_id, None) else None
    entries, kept, notes = [], [], []
    unchanged = 0
    for r in rows:
        now = current.get(r.element_id)
        wanted = (r.rating, r.evidence, r.sorting)
        if wanted == _as_state(now):
            unchanged += 1
            continue
        if shown is not None and r.element_id in shown and now is not None and now["entry_id"] != shown[r.element_id]:
            before = _entry_state(store, cycle_id, r.element_id, shown[r.element_id])
            by = f"{now.get('recorded_by') or 'someone'} at {now.get('recorded_at')}"
            if before is not None and wanted == before:
                unchanged += 1
                kept.append(
                    f"{r.element_id}: not changed in the workbook but changed in the store since it was "
                    f"written ({by}); the store's entry is kept"
                )
                continue
            if before is not None:
                notes.append(
                    f"{r.sheet}, row {r.row}: {r.element_id} was also changed in the store since the "
                    f"workbook was written ({by}); the workbook's state is recorded, the other stays "
                    f"in the history"
                )
        entries.append(
            dict(
                element_id=r.element_id,
                principle_id=r.principle_id,
                rating=r.rating,
                evidence=r.evidence,
                sorting=r.sorting,
                sheet=r.sheet,
                row=r.row,
                previous=dict(now) if now else None,
            )
        )
    return SefWorkbookChanges(
        school_id=school_id,
        year=year,
        framework=framework,
        completed_by=about.get("completed_by", ""),
        entries=entries,
        unchanged=unchanged,
        file=name,
        school_name=about.get("school_name", ""),
        written=about.get("written", ""),
        kept=kept,
        warnings=notes,
    )


def _entry_state(
    store: Store, cycle_id: int | None, element_id: str, entry_id: int | None
) -> tuple[int | None, str, str] | None:
    """The state an element showed when the workbook was written (None if that entry is not in this store)."""
    if entry_id is None:
        return _as_state(None)
    if cycle_id is None:
        return None
    for entry in store.element_history(cycle_id, element_id):
        if entry["entry_id"] == entry_id:
            return _as_state(entry)
    return None


# --------------------------------------------------------------------------
# committing


def commit_sef_workbook(store: Store, changes: SefWorkbookChanges, recorded_by: str) -> list[int]:
    """Record the changes as new history entries (source ``xlsx``) in one transaction; returns their ids.

    The school's cycle for the framework and year is started if it has none.
    If an element was changed in the store after the workbook was read,
    nothing is written (:class:`~wqm_nb.errors.StoreError`): read it again.
    """
    if not changes.entries:
        return []
    with store.transaction():
        cycle_id = store.ensure_cycle(changes.school_id, changes.year, changes.framework.id)
        current = store.current_elements(cycle_id)
        moved = [
            e["element_id"]
            for e in changes.entries
            if (current.get(e["element_id"]) or {}).get("entry_id") != (e["previous"] or {}).get("entry_id")
        ]
        if moved:
            raise StoreError(
                f"{', '.join(moved)} changed in the store after {changes.file or 'the workbook'} was "
                f"read; nothing was written: read the workbook again"
            )
        return store.record_ratings(
            cycle_id,
            [{k: e[k] for k in ("element_id", "rating", "evidence", "sorting")} for e in changes.entries],
            recorded_by=recorded_by,
            framework=changes.framework,
            source="xlsx",
        )


__all__ = [
    "ABOUT_CELLS",
    "ABOUT_SHEET",
    "FORMAT",
    "HEADERS",
    "HELP_SHEET",
    "PROPERTY_NAMES",
    "STATE_SHEET",
    "SefWorkbookChanges",
    "SefWorkbookError",
    "clean_text",
    "commit_sef_workbook",
    "rating_option",
    "rating_options",
    "read_sef_workbook",
    "scale_range",
    "sheet_titles",
    "state_rows",
]
