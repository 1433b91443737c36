"""Paper surveys: a tally of counts per item, answer and subgroup, read as aggregates.

A school that runs a survey on paper counts the answers by hand. The tally
file has one row per item (per subgroup where the school split the forms by
staff role or year group) and one column per answer::

    item,role,Strongly disagree,Disagree,Neither agree nor disagree,Agree,Strongly agree,Don't know
    S01,teaching,0,1,2,10,5,1
    S01,support,1,0,3,6,2,0

``item`` holds an item id (``S01``) or the item's text; the subgroup column
is optional and is recognised by the subgroup's field, label or question
(``role``, ``Role``, ``What is your role in school?``), its values by the
same labels as in an export ("Teaching assistant" -> support). Answer columns
are the survey's scale's labels or values (``1``..``5``; the staff audit's
maturity scale ``Deciding to act`` .. ``Embedded and evaluated`` or ``1``..``4``,
one row per framing principle); a "Don't know" or "N/A"
column is read and left out of the figures, like a blank answer. Counts are
whole numbers of at least 0 (a blank cell is 0). The counts are stored as
they are (``survey_tallies``) and the published figures add them to any
individual responses of the same survey (see
:func:`wqm_nb.model.figures.publish_figures` for how respondents are counted
from a tally).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data import QuestionBank
from ..data.import_mapping import ImportMapping, normalise_text
from ..data.surveys import NOT_ANSWERED, Survey
from ..errors import DataFileError
from .files import RawTable
from .shapes import TALLY_ITEM_HEADERS, Shape


@dataclass(frozen=True)
class Tally:
    """A paper tally: (subgroup, item id, value, count) rows and the answers left out as not answered."""

    counts: tuple[tuple[str, str, int, int], ...]
    not_answered: int
    subgroup_column: str = ""


def read_tally(
    table: RawTable, shape: Shape, survey: Survey, bank: QuestionBank, mapping: ImportMapping | None
) -> Tally:
    """Read a tally-shaped table (see the module notes); errors name file, row and column."""
    name = table.file_name
    headers = [c.header for c in shape.columns]
    folded = [normalise_text(h) for h in headers]
    item_col = next(i for i, h in enumerate(folded) if h in TALLY_ITEM_HEADERS)
    sub_texts = (
        {normalise_text(t) for t in (survey.subgroup.field, *survey.subgroup.questions)} if survey.subgroup else set()
    )
    sub_col = next((i for i, h in enumerate(folded) if h in sub_texts), None)
    labels: dict[int, int | None] = {}
    for i, h in enumerate(folded):
        if i in (item_col, sub_col):
            continue
        if h in NOT_ANSWERED:
            labels[i] = None
            continue
        try:
            labels[i] = (
                mapping.answer_labels[h] if mapping and h in mapping.answer_labels else bank.answer_value(h, survey.id)
            )
        except ValueError:
            raise DataFileError(
                name,
                "",
                f"a tally column must be an answer on the scale of the "
                f"{survey.name.lower()} ({bank.scale_of(survey.id).described()}) or "
                f'"Don\'t know"',
                row=table.row_number(0),
                column=headers[i],
            ) from None
    items = {normalise_text(t): i.id for i in survey.items for t in i.texts} | {
        i.id.casefold(): i.id for i in survey.items
    }
    body = table.cells.iloc[shape.header_rows :].reset_index(drop=True)
    counts: dict[tuple[str, str, int], int] = {}
    not_answered = 0
    for k, row in enumerate(body.itertuples(index=False)):
        where = table.row_number(shape.header_rows + k)
        raw_item = str(row[item_col]).strip()
        if not raw_item and not any(str(row[i]).strip() for i in labels):
            continue
        item = items.get(normalise_text(raw_item)) or items.get(raw_item.casefold())
        if item is None:
            raise DataFileError(
                name,
                "",
                f"{raw_item!r} is not an item of the {survey.id} survey "
                f"(use an id such as {survey.items[0].id} or the item's text)",
                row=where,
                column=headers[item_col],
            )
        subgroup = ""
        if sub_col is not None:
            assert survey.subgroup is not None  # sub_col is found only among the subgroup question's texts
            answer = str(row[sub_col]).strip()
            if answer and normalise_text(answer) not in NOT_ANSWERED:
                subgroup = (
                    (mapping.subgroup_values.get(normalise_text(answer)) if mapping else None)
                    or survey.subgroup.value_of(answer)
                    or ""
                )
                if not subgroup:
                    raise DataFileError(
                        name,
                        "",
                        f"{answer!r} is not a {survey.subgroup.label.lower()} "
                        f"(use {', '.join(survey.subgroup.values)}, or map it under "
                        f"subgroup_values: in a mapping file)",
                        row=where,
                        column=headers[sub_col],
                    )
        for i, value in labels.items():
            cell = str(row[i]).strip()
            if not cell:
                continue
            try:
                count = float(cell)
            except ValueError:
                count = -1.0
            if count < 0 or not count.is_integer():
                raise DataFileError(
                    name, "", f"{cell!r} is not a count (a whole number, 0 or more)", row=where, column=headers[i]
                )
            if value is None:
                not_answered += int(count)
            else:
                key = (subgroup, item, value)
                counts[key] = counts.get(key, 0) + int(count)
    if not any(counts.values()):
        raise DataFileError(name, "", "the tally has no counts (every count is 0 or blank)")
    return Tally(
        counts=tuple((s, i, v, c) for (s, i, v), c in sorted(counts.items())),
        not_answered=not_answered,
        subgroup_column=headers[sub_col] if sub_col is not None else "",
    )


__all__ = ["Tally", "read_tally"]
