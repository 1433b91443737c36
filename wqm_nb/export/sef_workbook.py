"""A school's self-evaluation (SEF) as an Excel workbook to fill in offline (``wqm sef export``).

:func:`write_sef_workbook` writes, with openpyxl:

* an **About** sheet: the school, academic year and framework, the date the
  workbook was written, a *Completed by* cell for the school and short
  instructions. Its fixed cells (:data:`~wqm_nb.intake.sef_workbook.ABOUT_CELLS`)
  and the workbook's custom document properties carry the identity (school
  id, year, framework id, format ``wqm-sef-workbook 1``, and the framework's
  file when it is not a bundled one) that
  :func:`wqm_nb.intake.sef_workbook.read_sef_workbook` checks before reading
  anything else;
* one sheet per principle (aspect, area), one row per element: the element
  id and text (locked), the rating (a dropdown of the scale's options, e.g.
  ``3 – Developing practice``), the evidence (wrapped, wide) and the NCB
  sorting (a dropdown of its three labels), filled with the store's current
  state (empty rows when the cycle has not started);
* a **Help** sheet: each rating level's label and descriptor and what each
  sorting means; the dropdowns list its cells;
* a very hidden state sheet recording which store entry each row shows, so the
  import keeps an entry recorded in the store after the workbook was written
  rather than reverting it.

Every sheet is protected without a password (Excel: Review > Unprotect
Sheet): only the rating, evidence and sorting cells and *Completed by* are
unlocked, and the workbook's structure is locked so sheets are not added,
renamed or deleted by accident. Header rows are frozen and printed on every
page; each sheet prints on A4 landscape, fitted to the page width. Text is
written through :func:`wqm_nb.spreadsheet.neutralise`.

The layout itself (titles, columns, cells) is defined once, in
:mod:`wqm_nb.intake.sef_workbook`, beside the reader that checks it.
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data import Framework
from ..data.frameworks import FRAMEWORK_DIR, SORTINGS
from ..intake.sef_workbook import (
    ABOUT_CELLS,
    ABOUT_SHEET,
    EVIDENCE_COLUMN,
    FIRST_ROW,
    FORMAT,
    HEADERS,
    HELP_SHEET,
    PROPERTY_NAMES,
    RATING_COLUMN,
    SORTING_COLUMN,
    STATE_SHEET,
    clean_text,
    rating_option,
    sheet_titles,
    state_rows,
)
from ..settings import check_academic_year
from ..spreadsheet import neutralise

if TYPE_CHECKING:
    from ..store import Store

#: What each NCB sorting means, for the Help sheet (labels from :data:`wqm_nb.data.frameworks.SORTINGS`).
SORTING_MEANINGS: dict[str, str] = {
    "doing_now": "This is part of the school's practice now.",
    "want_to_do": "Not in place yet, and the school wants to do it: a candidate for the action plan.",
    "not_for_us": "The school does not want to do this, or does not yet understand it: talk it over with your adviser.",
}
#: Column widths of a principle's sheet, A to E (characters).
WIDTHS = (11, 55, 30, 80, 40)
EDITABLE_FILL = "FFF2CC"
HEADER_FILL = "D9E2F3"
#: The Help sheet: the header row of the rating table (its options follow) and the gap before the sortings.
HELP_RATING_HEADER = 3
INSTRUCTIONS = (
    "Rate each element in the Rating column by choosing from its drop-down list; the Help sheet "
    "describes each level. Leave it blank if you have not decided yet.",
    "Write your evidence in the Evidence column: what you do, what shows it, where it is kept.",
    "If you sorted the elements with the NCB framing principles tool, choose the sorting in the last column.",
    "Only the yellow cells can be changed. Please do not rename, add or delete sheets, change element ids "
    "or move columns: the workbook is read back automatically and refused if its layout has changed.",
    "Type your name in 'Completed by' above, save the workbook as .xlsx and send it back to your adviser.",
)


def write_sef_workbook(store: Store, school_id: str, year: str, framework: Framework, path: str | Path) -> Path:
    """Write ``school_id``'s self-evaluation for ``framework`` in ``year`` as an ``.xlsx`` workbook.

    The school and its academic year must be in the store
    (:class:`~wqm_nb.errors.UnknownSchoolError`,
    :class:`~wqm_nb.errors.UnknownYearError` otherwise); the rows hold the
    cycle's current ratings, evidence and sortings (empty if it has not
    started). The file is written whole or not at all; returns its path.
    """
    check_academic_year(year)
    school = store.school(school_id)
    store.school_year(school_id, year)
    cycle = store.cycle(school_id, year, framework.id)
    cycle_id = cycle["cycle_id"] if cycle else None
    current = store.current_elements(cycle_id) if cycle_id is not None else {}
    written_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    wb = build_sef_workbook(school, year, framework, current, cycle_id, written_at)
    buffer = io.BytesIO()
    wb.save(buffer)
    return _write_atomically(Path(path), buffer.getvalue())


def build_sef_workbook(
    school: dict, year: str, framework: Framework, current: dict[str, dict], cycle_id: int | None, written_at: str
) -> Any:
    """The workbook (an ``openpyxl.Workbook``) for one school (a store row), year and framework, with
    ``current`` (:meth:`~wqm_nb.store.Store.current_elements`) filled in."""
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.workbook.protection import WorkbookProtection

    wb = Workbook()
    about = wb.active
    about.title = ABOUT_SHEET
    _about_sheet(about, school, year, framework, written_at)
    titles = sheet_titles(framework)
    help_ws = wb.create_sheet(HELP_SHEET)
    rating_range, sorting_range = _help_sheet(help_ws, framework)
    for principle in framework.principles:
        ws = wb.create_sheet(titles[principle.id], index=len(wb.sheetnames) - 1)
        _principle_sheet(
            ws,
            principle,
            framework,
            current,
            rating_range,
            sorting_range,
            header=f"{school['name']} {year}: {principle.id} {principle.name}",
        )
    state = wb.create_sheet(STATE_SHEET)
    for row in state_rows(framework, cycle_id, current, written_at):
        state.append([neutralise(v) for v in row])
    state.sheet_state = "veryHidden"
    state.protection.sheet = True

    identity = dict(
        format=FORMAT,
        school_id=school["school_id"],
        year=year,
        framework_id=framework.id,
        framework_path=_own_framework_file(framework),
    )
    for key, name in PROPERTY_NAMES.items():
        wb.custom_doc_props.append(StringProperty(name=name, value=identity[key]))
    wb.properties.title = f"Self-evaluation: {school['name']} {year}, {framework.name}"
    wb.properties.creator = "wqm"
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    return wb


def _own_framework_file(framework: Framework) -> str:
    """The framework's file when it is not a bundled one (the import finds a bundled one by its id), else ''."""
    if not framework.path:
        return ""
    path = Path(framework.path).resolve()
    return "" if path.parent == FRAMEWORK_DIR.resolve() else str(path)


def _write_atomically(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection

    return dict(
        bold=Font(bold=True),
        title=Font(bold=True, size=14),
        header_fill=PatternFill("solid", fgColor=HEADER_FILL),
        editable_fill=PatternFill("solid", fgColor=EDITABLE_FILL),
        wrap=Alignment(wrap_text=True, vertical="top"),
        top=Alignment(vertical="top"),
        unlocked=Protection(locked=False),
    )


def _print_setup(ws: Any, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


def _protect(ws: Any) -> None:
    """Protect the sheet with no password, still letting columns and rows be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _about_sheet(ws: Any, school: dict, year: str, framework: Framework, written_at: str) -> None:
    st = _styles()
    ws["A1"] = neutralise(f"Self-evaluation: {framework.name}")
    ws["A1"].font = st["title"]
    values = dict(
        school_id=school["school_id"],
        school_name=school["name"],
        year=year,
        framework_id=framework.id,
        framework_name=framework.name,
        written=written_at[:10] or date.today().isoformat(),
        completed_by="",
        format=FORMAT,
    )
    for key, (row, label) in ABOUT_CELLS.items():
        ws.cell(row=row, column=1, value=label).font = st["bold"]
        cell = ws.cell(row=row, column=2, value=neutralise(values[key]) or None)
        if key == "completed_by":
            cell.protection = st["unlocked"]
            cell.fill = st["editable_fill"]
    last = max(row for row, _ in ABOUT_CELLS.values())
    ws.cell(row=last + 2, column=1, value="How to fill it in").font = st["bold"]
    for i, line in enumerate(INSTRUCTIONS, start=1):
        ws.cell(row=last + 2 + i, column=1, value=f"{i}.").alignment = st["top"]
        ws.cell(row=last + 2 + i, column=2, value=line).alignment = st["wrap"]
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 90
    _print_setup(ws)
    _protect(ws)


def _help_sheet(ws: Any, framework: Framework) -> tuple[str, str]:
    """Write the Help sheet; returns the ranges the rating and sorting dropdowns list."""
    st = _styles()
    scale = framework.scale
    ws["A1"] = neutralise(f"Rating scale: {scale.name}")
    ws["A1"].font = st["title"]
    if scale.description:
        ws["A2"] = neutralise(scale.description)
        ws["A2"].alignment = st["top"]
    header = HELP_RATING_HEADER
    for column, text in enumerate(("Rating (as in the list)", "Value", "Level", "What it means"), start=1):
        cell = ws.cell(row=header, column=column, value=text)
        cell.font, cell.fill = st["bold"], st["header_fill"]
    for i, level in enumerate(scale.levels, start=1):
        row = header + i
        for column, value in enumerate(
            (rating_option(scale, level.value), level.value, level.label, level.descriptor), start=1
        ):
            ws.cell(row=row, column=column, value=neutralise(value)).alignment = st["wrap"]
    rating_range = f"'{HELP_SHEET}'!$A${header + 1}:$A${header + len(scale.levels)}"

    start = header + len(scale.levels) + 3
    ws.cell(row=start - 1, column=1, value="Sorting (NCB framing principles tool)").font = st["title"]
    for column, text in enumerate(("Sorting (as in the list)", "Code", "", "What it means"), start=1):
        cell = ws.cell(row=start, column=column, value=text or None)
        cell.font, cell.fill = st["bold"], st["header_fill"]
    for i, (code, label) in enumerate(SORTINGS.items(), start=1):
        for column, value in ((1, label), (2, code), (4, SORTING_MEANINGS.get(code, ""))):
            ws.cell(row=start + i, column=column, value=neutralise(value)).alignment = st["wrap"]
    sorting_range = f"'{HELP_SHEET}'!$A${start + 1}:$A${start + len(SORTINGS)}"
    for letter, width in zip("ABCD", (40, 8, 26, 90), strict=False):
        ws.column_dimensions[letter].width = width
    _print_setup(ws)
    _protect(ws)
    return rating_range, sorting_range


def _principle_sheet(
    ws: Any,
    principle: Any,
    framework: Framework,
    current: dict[str, dict],
    rating_range: str,
    sorting_range: str,
    header: str,
) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    st = _styles()
    for column, text in enumerate(HEADERS, start=1):
        cell = ws.cell(row=1, column=column, value=text)
        cell.font, cell.fill, cell.alignment = st["bold"], st["header_fill"], st["top"]
    for i, element in enumerate(principle.elements):
        row = FIRST_ROW + i
        state = current.get(element.id) or {}
        rating = state.get("rating")
        sorting = state.get("sorting") or ""
        values = (
            element.id,
            element.text,
            rating_option(framework.scale, rating) if rating is not None else None,
            clean_text(state.get("evidence")) or None,
            SORTINGS.get(sorting, sorting) or None,
        )
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column, value=neutralise(value))
            cell.alignment = st["wrap"]
            if column in (RATING_COLUMN, EVIDENCE_COLUMN, SORTING_COLUMN):
                cell.protection = st["unlocked"]
                cell.fill = st["editable_fill"]
    last = FIRST_ROW + len(principle.elements) - 1
    if principle.elements:
        rating_letter, sorting_letter = get_column_letter(RATING_COLUMN), get_column_letter(SORTING_COLUMN)
        levels = ", ".join(f"{lv.value} {lv.label}" for lv in framework.scale.levels)
        ratings = DataValidation(
            type="list",
            formula1=rating_range,
            allow_blank=True,
            showDropDown=False,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="Rating",
            error="Choose a rating from the list, or leave the cell blank.",
            showInputMessage=True,
            promptTitle="Rating",
            prompt=_short(f"{framework.scale.name}: {levels}. See the Help sheet.", 255),
        )
        ratings.add(f"{rating_letter}{FIRST_ROW}:{rating_letter}{last}")
        sortings = DataValidation(
            type="list",
            formula1=sorting_range,
            allow_blank=True,
            showDropDown=False,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="Sorting",
            error="Choose a sorting from the list, or leave the cell blank.",
        )
        sortings.add(f"{sorting_letter}{FIRST_ROW}:{sorting_letter}{last}")
        ws.add_data_validation(ratings)
        ws.add_data_validation(sortings)
    for column, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    _print_setup(ws, "1:1")
    ws.oddHeader.center.text = _short(header.replace("&", "&&"), 200)
    ws.oddFooter.right.text = "Page &P of &N"
    _protect(ws)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


__all__ = ["SORTING_MEANINGS", "build_sef_workbook", "write_sef_workbook"]
