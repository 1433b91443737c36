"""``wqm export``: the published figures of one school year, as JSON or CSV.

This is the data exchange format for trusts' own dashboards. It is the
figures table itself (:mod:`wqm_nb.model.figures`), so it carries exactly
what the report shows and nothing a report hides: a suppressed record has
``n``, ``agree_share``, ``mean`` and its interval empty (null in JSON).

Record keys: ``school``, ``year``, ``survey``, ``principle`` (the framework
section: a WQM principle, VbE aspect or L&M key question), ``measure``
(``agreement`` for the stakeholder surveys; ``rating`` for the staff audit,
whose ``mean`` is on the 1-4 maturity scale and ``agree_share`` the share
rating 3 "Developing practice" or above),
``subgroup_field`` (null for the whole group), ``subgroup`` (``not given``
for respondents who did not answer the subgroup question), ``n``
(respondents), ``agree_share`` (0..1, 2 decimals: a whole percentage),
``mean`` (1 decimal), ``ci_low``, ``ci_high`` (95% Wilson interval of the
rounded ``agree_share``, 2 decimals), ``suppressed`` and ``format_version``
(:data:`FORMAT_VERSION`; format 1 had 4-decimal shares and 3-decimal means).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

from ..model import SchoolAssessment
from ..model.figures import NOT_GIVEN
from ..spreadsheet import neutralise

FIELDS = [
    "school",
    "year",
    "survey",
    "principle",
    "measure",
    "subgroup_field",
    "subgroup",
    "n",
    "agree_share",
    "mean",
    "ci_low",
    "ci_high",
    "suppressed",
    "format_version",
]
#: the export's format (docs/data-format.md): shares and intervals to 2 decimals, means to 1
FORMAT_VERSION = 2
FORMATS = ("json", "csv")


def _number(value: Any, digits: int | None = None) -> Any:
    if value is None:
        return None
    try:
        if math.isnan(value):
            return None
    except TypeError:
        return None if str(value) == "<NA>" else value
    return round(float(value), digits) if digits is not None else int(value)


def figure_records(assessment: SchoolAssessment) -> list[dict[str, Any]]:
    """One record per published figure of the assessment's year."""
    records = []
    for r in assessment.current.figures.table.itertuples():
        records.append(
            {
                "school": assessment.school["school_id"],
                "year": assessment.year,
                "survey": r.survey,
                "principle": r.section_id,
                "measure": r.measure,
                "subgroup_field": None
                if r.subgroup_field is None or r.subgroup_field != r.subgroup_field
                else r.subgroup_field,
                "subgroup": None
                if r.subgroup is None or r.subgroup != r.subgroup
                else ("not given" if r.subgroup == NOT_GIVEN else r.subgroup),
                "n": _number(r.n),
                "agree_share": _number(r.agree_share, 2),
                "mean": _number(r.mean, 1),
                "ci_low": _number(r.ci_low, 2),
                "ci_high": _number(r.ci_high, 2),
                "suppressed": bool(r.suppressed),
                "format_version": FORMAT_VERSION,
            }
        )
    return records


def format_records(records: list[dict[str, Any]], fmt: str) -> str:
    """The records as JSON (a list of objects) or CSV (spreadsheet-safe, empty cells for nulls)."""
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(FIELDS)
    for rec in records:
        writer.writerow(
            [
                neutralise("" if rec[f] is None else str(rec[f]).lower() if isinstance(rec[f], bool) else rec[f])
                for f in FIELDS
            ]
        )
    return buf.getvalue()


def write_records(records: list[dict[str, Any]], fmt: str, out: str | Path | None) -> str:
    """Write the records to ``out`` (written whole under a temporary name), or return the text for stdout."""
    text = format_records(records, fmt)
    if out:
        target = Path(out)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    return text
