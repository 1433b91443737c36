"""A complete import mapping to edit, written from an inspected export (``wqm survey map``).

:func:`mapping_template` lists every column of the export under ``columns:`` with what the matcher
suggests (an item, the subgroup, a comment, ``ignore``), and ``"?"`` where the user must choose (answers on
the scale that match no item); every answer that is not on the survey's scale under ``answer_labels:``,
each with ``"?"`` and the scale's values to choose from. Each line says why, in a comment. Headers are written as YAML
double-quoted strings (JSON's escapes), so a header with a line break, a no-break space or quotes matches
its column when the file is read back. Loading the file unedited fails on each ``"?"``, naming the column:
nothing is imported by accident.
"""

from __future__ import annotations

from ..data.import_mapping import IGNORE, SUBGROUP
from .matching import COMMENT_TARGET, EMPTY, FREE_TEXT, INSTRUMENT, ITEM, UNMATCHED, ColumnMatch
from .plan import Inspection
from .shapes import METADATA, PERSONAL, quoted_header, shown_header

#: What a column the user must decide is written as: not a valid target, so an unedited file is refused.
CHOOSE = "?"


def _suggestion(m: ColumnMatch) -> tuple[str, str]:
    """``(target, why)`` for one column."""
    if m.action == ITEM:
        return m.target, f"matched by {m.how}"
    if m.action == SUBGROUP:
        return SUBGROUP, f"the subgroup question, matched by {m.how}"
    if m.action == COMMENT_TARGET:
        return f"comment {m.target}", f"a comment question, matched by {m.how}"
    if m.action == INSTRUMENT:
        return (f"{m.instrument}.{m.target}" if m.prescored else m.target), f"{m.instrument}, by {m.how}"
    if m.action == PERSONAL:
        return IGNORE, "personal data: can only be ignored"
    if m.action == METADATA:
        return IGNORE, "metadata"
    if m.action == EMPTY:
        return IGNORE, "no answers"
    if m.action == FREE_TEXT:
        return IGNORE, "answers not on the scale"
    if m.action == UNMATCHED:
        other = f"; it matches a {m.other_survey} survey item" if m.other_survey else ""
        return CHOOSE, f"CHOOSE: answers on the scale, matches no item{other}"
    return IGNORE, "ignored by the mapping"


def mapping_template(inspection: Inspection) -> str:
    """The YAML text of a complete mapping for ``inspection``'s export (see the module notes)."""
    insp = inspection
    survey = insp.bank.surveys[insp.survey]
    scale = insp.bank.scale_of(insp.survey)
    targets = ", ".join(survey.item_ids)
    lines = [
        f"# wqm survey import mapping for {insp.table.file_name} ({survey.name}), written by `wqm survey map`.",
        f"# Each column is one of: an item ({targets};",
        f"# `wqm survey bank --survey {survey.id}` lists their questions), {SUBGROUP}"
        + (f", comment {', comment '.join(c.id for c in survey.comments)}" if survey.comments else "")
        + f", or {IGNORE}. Replace every {CHOOSE!r}; then",
        f"#   wqm survey import {insp.table.file_name} --survey {survey.id} --mapping THIS_FILE ...",
        f"survey: {survey.id}",
        "columns:",
    ]
    for m in insp.matches:
        target, why = _suggestion(m)
        lines.append(
            f"  {quoted_header(m.column.header)}: {quoted_header(target) if target == CHOOSE else target}"
            f"  # {m.column.letter}: {why}"
        )
    unknown = insp.unknown_labels((ITEM, UNMATCHED))
    if unknown:
        values = ", ".join(f"{lv.value} {lv.label}" for lv in scale.levels)
        lines += [
            f"# Answers not on the scale ({values}): replace each {CHOOSE!r} with a value (null: not answered).",
            "answer_labels:",
        ]
        seen: set[str] = set()
        for m, labels in unknown.items():
            for label in labels:
                if label not in seen:
                    seen.add(label)
                    lines.append(
                        f"  {quoted_header(label)}: {quoted_header(CHOOSE)}  # in {m.column.letter} "
                        f"({shown_header(m.column.header, 40)})"
                    )
    return "\n".join(lines) + "\n"


def lines_to_choose(template: str) -> int:
    """How many lines of a written mapping still say ``"?"`` (the user's choices left)."""
    return template.count(f": {quoted_header(CHOOSE)}")


__all__ = ["CHOOSE", "lines_to_choose", "mapping_template"]
