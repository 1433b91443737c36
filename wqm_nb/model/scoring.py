"""Scoring validated measures exactly as published: per-respondent scores from item answers.

:func:`score_responses` takes one row per respondent with the instrument's item columns (``sdq1``..``sdq25`` and
``sdqimpact1``.. where given, ``swemwbs1``..``swemwbs7``, ``stirling1``..``stirling15``), each cell a number or a
published response label (any case and spacing), blank for a missing answer, and returns one row per respondent:
an optional ``respondent`` column first, then one float column per score (NaN when too few items were answered:
never 0 from nothing) and, for a banded score, a ``<score>_band`` text column (``''`` when there is no score).

The rules all come from the instrument file (:mod:`wqm_nb.data.instruments`):

* an item's value is its answer, counted from the other end when it is reverse-scored (SDQ items 7, 11, 14, 21,
  25: 0 -> 2, 2 -> 0), then ``recode``-d when the score says so (SDQ impact: 0, 0, 1, 2);
* ``missing: all_required`` (SWEMWBS, Stirling) needs every item; ``prorate`` (the SDQ scales) needs
  ``min_answered`` items and scales the sum up to the full number of items, rounding half up (3 answered items
  summing to 4 give 7, the published example); ``zero_if_any_answered`` (SDQ impact) counts an unanswered item
  as 0 once one is answered; ``zero_when`` sets the score to 0 when a gate item has one of the given answers
  (SDQ: no difficulties -> impact 0);
* ``kind: sum`` adds other scores and needs all of them; ``kind: lookup`` converts through a published table
  (SWEMWBS raw -> metric);
* bands come from the informant's banding (SDQ: the original 3-band for parent and self-report, the 4-band for
  teachers).

:func:`score_prescored` takes scale scores computed elsewhere (the SDQ may not be administered electronically
without youthinmind's licence, so a school may hand in scores from youthinmind's scoring site or a paper hand-score)
and computes the totals and bands the same way.

A bad value raises :class:`~wqm_nb.errors.DataFileError` naming the file, the row as a spreadsheet shows it (the
header is row 1) and the column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import SupportsFloat, cast

import numpy as np
import pandas as pd

from ..data.instruments import Instrument, Item, ScoreSpec, load_instrument
from ..errors import DataFileError, SettingsError

RESPONDENT = "respondent"


def score_columns(instrument: Instrument) -> list[str]:
    """The output columns after ``respondent``: each score, followed by its band column when it is banded."""
    out = []
    for spec in instrument.scores:
        out.append(spec.id)
        if spec.banded:
            out.append(f"{spec.id}_band")
    return out


def _headers(frame: pd.DataFrame, file: str, wanted: set[str]) -> dict[str, object]:
    """Normalised header (``' SDQ1 '`` -> ``sdq1``) -> the frame's column label, for the ``wanted`` columns; one
    of them repeated is an error (other columns are ignored, repeated or not)."""
    found: dict[str, object] = {}
    for label in frame.columns:
        key = str(label).strip().lower()
        if key not in wanted:
            continue
        if key in found:
            raise DataFileError(file, "", f"column {key!r} appears twice", row=1, column=str(label))
        found[key] = label
    return found


def _row_number(row_numbers: Sequence[int] | None, position: int) -> int:
    if row_numbers is not None and position < len(row_numbers):
        return int(row_numbers[position])
    return position + 2


def _parse_item(
    frame: pd.DataFrame, label: object, item: Item, file: str, row_numbers: Sequence[int] | None
) -> np.ndarray:
    """One item column as answer values (NaN for a blank), before reverse scoring."""
    out = np.full(len(frame), np.nan)
    cache: dict[object, int | None] = {}
    for position, cell in enumerate(frame[label].tolist()):
        if _blank(cell):
            continue
        try:
            key = cell if isinstance(cell, (str, int, float)) and not isinstance(cell, bool) else repr(cell)
            if key in cache:
                value = cache[key]
            else:
                value = cache[key] = item.responses.value_of(cell)
        except (ValueError, TypeError):
            raise DataFileError(
                file,
                "",
                f"{cell!r} is not an answer to {item.column} (expected {item.responses.choices}, or blank)",
                row=_row_number(row_numbers, position),
                column=str(label),
            ) from None
        if value is not None:
            out[position] = value
    return out


def _blank(cell: object) -> bool:
    """A missing answer: None, NaN, pandas' NA or NaT (blank text is judged by the response set)."""
    if cell is None or isinstance(cell, str):
        return cell is None
    try:
        return bool(pd.isna(cell))
    except (TypeError, ValueError):
        return False


def _round_half_up(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` rounded half up, exactly (both are whole numbers)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.floor((2 * numerator + denominator) / (2 * denominator))


def _items_score(
    spec: ScoreSpec, informant: str, values: dict[str, np.ndarray], raw: dict[str, np.ndarray], n: int
) -> np.ndarray:
    columns = spec.item_columns(informant)
    matrix = np.column_stack([values[c] for c in columns]) if columns else np.full((n, 0), np.nan)
    if spec.recode:
        recoded = np.full(matrix.shape, np.nan)
        for old, new in spec.recode.items():
            recoded[matrix == old] = new
        matrix = recoded
    answered = (~np.isnan(matrix)).sum(axis=1)
    total = np.nansum(matrix, axis=1)
    k = len(columns)
    rule = spec.missing.rule
    if rule == "all_required":
        score = np.where(answered == k, total, np.nan)
    elif rule == "prorate":
        scaled = _round_half_up(total * k, answered.astype(float))
        score = np.where(answered >= spec.missing.min_answered, scaled, np.nan)
    else:  # zero_if_any_answered
        score = np.where(answered >= 1, total, np.nan)
    if spec.zero_when is not None:
        gate, gate_values = spec.zero_when
        score = np.where(np.isin(raw[gate], gate_values), 0.0, score)
    return score


def _sum_score(spec: ScoreSpec, scores: dict[str, np.ndarray]) -> np.ndarray:
    """``kind: sum``: the parts added up (no score where any part has none)."""
    return np.sum([scores[p] for p in spec.of], axis=0)


def _lookup_score(spec: ScoreSpec, scores: dict[str, np.ndarray]) -> np.ndarray:
    """``kind: lookup``: another score converted through the published table (e.g. SWEMWBS raw to metric)."""
    return np.array(
        [spec.table.get(int(v), np.nan) if v == v else np.nan for v in scores[spec.from_score]], dtype=float
    )


#: The score kinds worked out from other scores, by ``kind`` (``items`` scores are read from the answers);
#: a new kind is one function here and its validation in :mod:`wqm_nb.data.instruments`.
DERIVED_SCORES: dict[str, Callable[[ScoreSpec, dict[str, np.ndarray]], np.ndarray]] = {
    "sum": _sum_score,
    "lookup": _lookup_score,
}


def _derive(instrument: Instrument, informant: str, scores: dict[str, np.ndarray]) -> None:
    """Fill in the derived scores (:data:`DERIVED_SCORES`) from the ones already in ``scores``, in file order."""
    for spec in instrument.scores:
        if spec.id not in scores and spec.kind in DERIVED_SCORES:
            scores[spec.id] = DERIVED_SCORES[spec.kind](spec, scores)


def _frame(
    instrument: Instrument, informant: str, scores: dict[str, np.ndarray], respondents: pd.Series | None
) -> pd.DataFrame:
    columns: dict[str, object] = {}
    if respondents is not None:
        columns[RESPONDENT] = respondents.reset_index(drop=True)
    for spec in instrument.scores:
        values = scores[spec.id]
        columns[spec.id] = pd.Series(values, dtype=float)
        if spec.banded:
            columns[f"{spec.id}_band"] = pd.Series(
                [instrument.band(spec.id, informant, v) for v in values], dtype=object
            )
    n = len(next(iter(scores.values()))) if scores else 0
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def _respondents(frame: pd.DataFrame, headers: dict[str, object]) -> pd.Series | None:
    if RESPONDENT not in headers:
        return None
    return frame[headers[RESPONDENT]].map(lambda v: "" if _blank(v) else str(v).strip())


def _instrument(instrument: Instrument | str) -> Instrument:
    return load_instrument(instrument) if isinstance(instrument, str) else instrument


def score_responses(
    instrument: Instrument | str,
    answers: pd.DataFrame,
    informant: str | None = None,
    *,
    file: str = "",
    row_numbers: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Per-respondent scores from item answers (see the module notes).

    ``answers`` has the instrument's item columns (header case and spacing ignored); other columns are ignored
    except ``respondent``, which is kept as the first output column. A required item column that is absent, a
    repeated column or a value that is no answer raises :class:`~wqm_nb.errors.DataFileError` naming ``file``,
    the row (``row_numbers[i]`` when given, else ``i + 2``: the header is row 1) and the column. The SDQ needs
    ``informant`` (``parent``, ``teacher`` or ``self``).
    """
    instrument = _instrument(instrument)
    informant = instrument.resolve_informant(informant)
    file = file or "<data>"
    headers = _headers(answers, file, {*instrument.item_columns(informant), RESPONDENT})
    n = len(answers)
    raw: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    absent = []
    for item in instrument.items_for(informant):
        label = headers.get(item.column)
        if label is None:
            if not item.optional:
                absent.append(item.column)
            raw[item.column] = values[item.column] = np.full(n, np.nan)
            continue
        raw[item.column] = answer = _parse_item(answers, label, item, file, row_numbers)
        if item.reverse:
            answer = np.where(np.isnan(answer), np.nan, item.responses.min + item.responses.max - answer)
        values[item.column] = answer
    if absent:
        expected = ", ".join(instrument.item_columns(informant))
        raise DataFileError(
            file,
            "",
            f"missing item column{'s' if len(absent) > 1 else ''} "
            f"{', '.join(absent)} ({instrument.id} {informant} expects {expected})",
            row=1,
            column=absent[0],
        )
    scores: dict[str, np.ndarray] = {}
    for spec in instrument.scores:
        if spec.kind == "items":
            scores[spec.id] = _items_score(spec, informant, values, raw, n)
    _derive(instrument, informant, scores)
    return _frame(instrument, informant, scores, _respondents(answers, headers))


def score_prescored(
    instrument: Instrument | str,
    scores: pd.DataFrame,
    informant: str | None,
    *,
    file: str = "",
    row_numbers: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Totals and bands from scale scores computed elsewhere (the SDQ's five scales, and ``impact`` if given).

    Each score must be a whole number within its range (blank = no score); the totals need every scale they add
    up, exactly as with item answers. The output has the same columns as :func:`score_responses`.
    """
    instrument = _instrument(instrument)
    if not instrument.prescored:
        raise SettingsError(f"{instrument.id} takes item answers only (no pre-scored scores)")
    informant = instrument.resolve_informant(informant)
    file = file or "<data>"
    headers = _headers(scores, file, {*instrument.prescored, RESPONDENT})
    n = len(scores)
    out: dict[str, np.ndarray] = {}
    absent = []
    for sid in instrument.prescored:
        spec = instrument.score(sid)
        label = headers.get(sid)
        optional = all(instrument.item(c, informant).optional for c in spec.item_columns(informant))
        if label is None:
            if not optional:
                absent.append(sid)
            out[sid] = np.full(n, np.nan)
            continue
        low, high = spec.range(informant)
        column = np.full(n, np.nan)
        for position, cell in enumerate(scores[label].tolist()):
            value = _prescored_value(cell)
            if value is False or (value is not None and not low <= value <= high):
                raise DataFileError(
                    file,
                    "",
                    f"{cell!r} is not a valid {spec.label.lower()} score "
                    f"(a whole number from {low:g} to {high:g}, or blank)",
                    row=_row_number(row_numbers, position),
                    column=str(label),
                )
            if value is not None:
                column[position] = value
        out[sid] = column
    if absent:
        raise DataFileError(
            file,
            "",
            f"missing score column{'s' if len(absent) > 1 else ''} {', '.join(absent)} "
            f"(pre-scored {instrument.id} expects {', '.join(instrument.prescored)})",
            row=1,
            column=absent[0],
        )
    for spec in instrument.scores:  # an item score that cannot be pre-scored has no value
        if spec.kind == "items" and spec.id not in out:
            out[spec.id] = np.full(n, np.nan)
    _derive(instrument, informant, out)
    return _frame(instrument, informant, out, _respondents(scores, headers))


def _prescored_value(cell: object) -> float | None | bool:
    """A pre-scored cell: None for blank, the whole number, or False when it is not a whole number."""
    if _blank(cell):
        return None
    if isinstance(cell, bool):
        return False
    if isinstance(cell, str):
        if not cell.strip():
            return None
        try:
            cell = float(cell.strip())
        except ValueError:
            return False
    if isinstance(cell, (int, float, np.integer, np.floating)) and float(cell).is_integer():
        return float(cell)
    return False


def scores_table(frame: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    """A scored frame as a header and rows for a CSV file: numbers as numbers (whole ones without ``.0``),
    no score as an empty cell."""
    header = [str(c) for c in frame.columns]
    rows = []
    for record in frame.itertuples(index=False):
        rows.append([_cell(v) for v in record])
    return header, rows


def scores_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A scored frame as JSON-ready records (no score is ``null``)."""
    return [
        {str(k): (None if _cell(v) == "" and not isinstance(v, str) else _cell(v)) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _cell(value: object) -> object:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return ""
    number = float(cast(SupportsFloat, value))  # a number from a scored frame
    return int(number) if number.is_integer() else round(number, 4)


__all__ = [
    "RESPONDENT",
    "Instrument",
    "ScoreSpec",
    "load_instrument",
    "score_columns",
    "score_prescored",
    "score_responses",
    "scores_records",
    "scores_table",
]
