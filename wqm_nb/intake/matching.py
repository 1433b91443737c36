"""Matching the columns of an export to the question bank.

Each question column gets one :class:`ColumnMatch`:

* ``item`` (a scale item of the survey), ``subgroup`` (the survey's subgroup
  question) or ``comment`` (one of the survey's free-text comment questions),
  by the import mapping if it names the column, else by text: the column's
  text and the bank's text (or one of the item's ``aliases``) compared after
  :func:`~wqm_nb.data.import_mapping.normalise_text` (numbering, spacing,
  quotes, case and a trailing "?" or "*" do not matter);
* ``ignore``: the mapping says to drop it;
* ``personal`` / ``metadata``: dropped on read, never looked at again;
* ``empty``: no answers at all; dropped;
* ``free-text``: answers that are not on the survey's scale (the staff audit's
  is the maturity scale); dropped and reported;
* ``unmatched``: answers on the scale but text that matches no item: an
  error that lists the column, unless the mapping says ``ignore``;
* ``instrument``: an item of a validated measure (SDQ, SWEMWBS, Stirling;
  :mod:`wqm_nb.data.instruments`), or a pre-scored SDQ scale score. No item
  wording is shipped, so such a column is never matched by its text: by
  position (the mapping's ``instruments:`` block, or ``--instrument-columns``:
  the columns in the order of the instrument's items), by the mapping's
  ``columns:`` (header -> ``swemwbs3``), or by a header that is the item's
  column id itself (``swemwbs3``, ``SWEMWBS 3``, ``sdq_12``). Position comes
  first, then the mapping, then the header. Its answers are scored at import
  and only the scores are stored (:mod:`wqm_nb.intake.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..data import QuestionBank
from ..data.import_mapping import (
    COMMENT,
    IGNORE,
    SUBGROUP,
    ImportMapping,
    block_items,
    column_index,
    default_informant,
    instrument_item_ids,
    instrument_target,
    normalise_text,
)
from ..data.instruments import load_instrument
from ..data.surveys import NOT_ANSWERED, Survey
from .shapes import METADATA, OTHER, PERSONAL, Column

ITEM, COMMENT_TARGET, EMPTY, FREE_TEXT, UNMATCHED = "item", "comment", "empty", "free-text", "unmatched"
INSTRUMENT = "instrument"
#: Actions whose column is read (an instrument's answers are scored, and only the scores stored).
KEPT = (ITEM, SUBGROUP, COMMENT_TARGET, INSTRUMENT)
#: Share of a column's distinct answer labels that must be on the scale for it to count as a scale column.
SCALE_SHARE = 0.5
NOT_ANSWERED_TEXTS = frozenset(NOT_ANSWERED)


@dataclass(frozen=True)
class ColumnMatch:
    """What one column of an export is."""

    column: Column
    action: str  # ITEM, SUBGROUP, COMMENT_TARGET, IGNORE, PERSONAL, METADATA, EMPTY, FREE_TEXT, UNMATCHED
    target: str = ""  # item or comment id; INSTRUMENT: the instrument's item column or pre-scored score id
    how: str = ""  # "mapping", "exact text", "text", "position", "header", or why it was dropped
    other_survey: str = ""  # for UNMATCHED: a survey whose item the text matches
    instrument: str = ""  # for INSTRUMENT: the instrument id
    prescored: bool = False  # for INSTRUMENT: a pre-scored score (sdq.emotional), not an item answer
    refused: str = ""  # for PERSONAL: what a mapping asked for it (personal data can only be ignored)

    @property
    def kept(self) -> bool:
        return self.action in KEPT

    @property
    def described(self) -> str:
        """``item S01 (text)``, ``dropped: personal data``..."""
        if self.action == ITEM:
            return f"item {self.target}"
        if self.action == COMMENT_TARGET:
            return f"comment {self.target}"
        if self.action == SUBGROUP:
            return "subgroup"
        if self.action == INSTRUMENT:
            return (
                f"{self.instrument} score {self.target} (pre-scored)"
                if self.prescored
                else f"{self.instrument} item {self.target}"
            )
        return {
            IGNORE: "ignored (mapping)",
            PERSONAL: "dropped: personal data",
            METADATA: "dropped: metadata",
            EMPTY: "dropped: no answers",
            FREE_TEXT: "dropped: free text",
            UNMATCHED: "NOT MATCHED: answers on the scale",
        }[self.action]


def is_scale_answer(
    bank: QuestionBank, mapping: ImportMapping | None, value: str, survey_id: str | None = None
) -> bool:
    """Whether an answer is on the survey's scale (the bank's Likert scale when ``survey_id`` is None),
    a not-answered label, or a label the mapping adds."""
    if mapping and normalise_text(value) in mapping.answer_labels:
        return True
    try:
        bank.answer_value(value, survey_id)
    except ValueError:
        return False
    return True


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def on_scale_column(bank: QuestionBank, mapping: ImportMapping | None, distinct: list[str], survey_id: str) -> bool:
    """Whether a column's distinct answers are answers on the survey's scale: numbers only when every one is a
    value of the scale (1..k: a rank of 1-8, a rating of 1-10 or a count of rooms is not on a 1-5 scale);
    labels when at least :data:`SCALE_SHARE` of them are the scale's labels or aliases, not-answered labels
    or labels the mapping adds (the rest are then reported as unknown answers)."""
    given = [v for v in distinct if normalise_text(v) not in NOT_ANSWERED_TEXTS]
    if not given:
        return False
    numbers = [_number(v) for v in given]
    if all(n is not None for n in numbers):
        values = set(bank.values_of(survey_id))
        return all(n is not None and n.is_integer() and int(n) in values for n in numbers)
    sample = distinct[:50]
    on_scale = sum(is_scale_answer(bank, mapping, v, survey_id) for v in sample)
    return on_scale >= SCALE_SHARE * len(sample)


def match_columns(
    columns: tuple[Column, ...], cells: pd.DataFrame, survey: Survey, bank: QuestionBank, mapping: ImportMapping | None
) -> list[ColumnMatch]:
    """Match every column (see the module notes); ``cells`` are the answer rows."""
    by_text = {normalise_text(t): i.id for i in survey.items for t in reversed(i.texts)}
    exact = {t for i in (*survey.items, *survey.comments) for t in i.texts} | set(
        survey.subgroup.questions if survey.subgroup else ()
    )
    comments = {normalise_text(c.text): c.id for c in survey.comments}
    subgroup_texts = {normalise_text(q) for q in survey.subgroup.questions} if survey.subgroup else set()
    elsewhere = {
        normalise_text(t): s.id for s in bank.surveys.values() if s.id != survey.id for i in s.items for t in i.texts
    }
    measure_items = instrument_item_ids()
    by_position = instrument_positions(mapping, survey.id)
    matches = []
    for column in columns:
        if column.kind == PERSONAL:  # personal data never enters the store: it can only be ignored
            asked = _mapped_target(mapping, column)
            if column.index in by_position:
                asked = "{} item {}".format(*by_position[column.index])
            if asked == IGNORE:
                matches.append(ColumnMatch(column, IGNORE, how="mapping"))
            else:
                matches.append(ColumnMatch(column, PERSONAL, how="header", refused=asked or ""))
            continue
        if column.index in by_position:
            instrument, item = by_position[column.index]
            matches.append(ColumnMatch(column, INSTRUMENT, item, "position", instrument=instrument))
            continue
        target = _mapped_target(mapping, column)
        if target is None:
            named = instrument_target(column.header)
            if named is not None:
                target, how_named = named, "header"
        else:
            how_named = "mapping"
        if target in measure_items:
            instrument, item = measure_items[target]
            matches.append(
                ColumnMatch(column, INSTRUMENT, item, how_named, instrument=instrument, prescored="." in target)
            )
            continue
        if target == IGNORE:
            matches.append(ColumnMatch(column, IGNORE, how="mapping"))
            continue
        if column.kind == OTHER and target is None:
            matches.append(ColumnMatch(column, FREE_TEXT, how="'Other (please specify)' answers"))
            continue
        if column.kind == METADATA and target is None:
            matches.append(ColumnMatch(column, column.kind, how="header"))
            continue
        if target:
            if target == SUBGROUP:
                matches.append(ColumnMatch(column, SUBGROUP, how="mapping"))
            elif target.startswith(COMMENT):
                matches.append(ColumnMatch(column, COMMENT_TARGET, target.split()[1], "mapping"))
            else:
                matches.append(ColumnMatch(column, ITEM, target, "mapping"))
            continue
        found = None
        for text in column.texts:
            key = normalise_text(text)
            how = "exact text" if text in exact else "text"
            if key in by_text:
                found = ColumnMatch(column, ITEM, by_text[key], how)
            elif key in subgroup_texts:
                found = ColumnMatch(column, SUBGROUP, how=how)
            elif key in comments:
                found = ColumnMatch(column, COMMENT_TARGET, comments[key], how)
            if found:
                break
        if found:
            matches.append(found)
            continue
        values = cells[column.index] if column.index in cells.columns else pd.Series([], dtype=str)
        distinct = [v for v in pd.unique(values.astype(str).str.strip()) if v]
        if not distinct:
            matches.append(ColumnMatch(column, EMPTY, how="no answers"))
            continue
        if on_scale_column(bank, mapping, distinct, survey.id):
            other = next((elsewhere[normalise_text(t)] for t in column.texts if normalise_text(t) in elsewhere), "")
            matches.append(ColumnMatch(column, UNMATCHED, how="answers on the scale", other_survey=other))
        else:
            matches.append(ColumnMatch(column, FREE_TEXT, how="answers not on the scale"))
    return _one_column_per_target(matches)


def _mapped_target(mapping: ImportMapping | None, column: Column) -> str | None:
    """What the mapping names for ``column`` (by its header, else by one of its texts); None if nothing."""
    if mapping is None:
        return None
    target = mapping.target(column.header)
    return target if target is not None else next((t for t in map(mapping.target, column.texts) if t), None)


def instrument_positions(mapping: ImportMapping | None, survey_id: str = "") -> dict[int, tuple[str, str]]:
    """Column index -> (instrument id, item column) of the mapping's positional instrument blocks (the
    columns in the order of the instrument's items for its informant, :func:`default_informant`)."""
    out: dict[int, tuple[str, str]] = {}
    for block in mapping.instruments.values() if mapping else ():
        if not block.columns:
            continue
        instrument = load_instrument(block.instrument)
        informant = instrument.resolve_informant(block.informant or default_informant(instrument, survey_id))
        for letters, item in zip(block.columns, block_items(instrument, informant, len(block.columns)), strict=False):
            out[column_index(letters)] = (instrument.id, item)
    return out


def _one_column_per_target(matches: list[ColumnMatch]) -> list[ColumnMatch]:
    """Keep the first column that matches an item, the subgroup or a comment; later ones become unmatched
    (the same question exported twice is a mistake the consultant must resolve in the mapping)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for m in matches:
        key = (m.action, f"{m.instrument}:{m.target}" if m.action == INSTRUMENT else m.target)
        if m.kept and key in seen:
            out.append(ColumnMatch(m.column, UNMATCHED, how=f"a second column for {m.described}"))
            continue
        if m.kept:
            seen.add(key)
        out.append(m)
    return out


__all__ = [
    "COMMENT_TARGET",
    "EMPTY",
    "FREE_TEXT",
    "INSTRUMENT",
    "ITEM",
    "KEPT",
    "UNMATCHED",
    "ColumnMatch",
    "instrument_positions",
    "is_scale_answer",
    "match_columns",
    "on_scale_column",
]
