"""The import mapping: how the columns of a school's survey export map to the question bank.

``wqm survey import --mapping FILE`` reads it; ``--save-mapping FILE`` writes
the mapping an import used, so next year's export of the same form maps
without questions. A mapping file looks like::

    # wqm survey import mapping
    survey: staff
    columns:                        # column header as exported -> what it is
      "How valued do you feel by governors?": ignore
      "Wellbeing is everyone's job here": S01
      "What is your role?": subgroup
      "Anything else?": comment SC1
    subgroup_values:                # answer to the subgroup question -> subgroup value
      Teaching assistant: support
      Year 5: Y5
    answer_labels:                  # answer label -> value on the survey's scale
      Neither: 3

A column target is an item id of the survey, ``subgroup``, ``ignore`` (the
column is dropped), or ``comment <comment item id>``. Headers are compared
after :func:`normalise_text` (numbering, spacing, quotes, case and a trailing
"?" or "*" do not matter). The mapping is data: it is validated when it is
loaded, and an error names the file and the field.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .schema import Reader, join, read_yaml
from .surveys import QuestionBank

SUBGROUP = "subgroup"
IGNORE = "ignore"
COMMENT = "comment"

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})
_NUMBERING = re.compile(r"^\s*(?:q(?:uestion)?\s*)?\d+(?:\.\d+)*\s*[.):\-]?\s+(?=\S)", re.IGNORECASE)
_TRAILING = re.compile(r"[\s?*.:!]+$")


def normalise_text(text: object) -> str:
    """Question or header text reduced to what matters for matching.

    Unicode is normalised (NFKC), curly quotes and dashes become straight ones,
    leading numbering ("1. ", "Q3) ", "2.1 ") goes, spaces collapse, case
    folds, and trailing "?", "*", ".", ":" and "!" go.
    """
    value = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES)
    value = _NUMBERING.sub("", value)
    value = " ".join(value.split()).casefold()
    return _TRAILING.sub("", value)


@dataclass(frozen=True)
class ImportMapping:
    """A validated import mapping (see the module notes)."""
    survey: str
    columns: dict[str, str] = field(default_factory=dict)          # normalised header -> target
    headers: dict[str, str] = field(default_factory=dict)          # normalised header -> header as written
    subgroup_values: dict[str, str] = field(default_factory=dict)  # normalised answer -> subgroup value
    answer_labels: dict[str, int] = field(default_factory=dict)    # normalised label -> scale value
    path: str = ""

    def target(self, header: str) -> str | None:
        """What the mapping says a column is, or None when it does not name it."""
        return self.columns.get(normalise_text(header))

    def to_yaml(self) -> str:
        """The mapping as a YAML document (what ``--save-mapping`` writes)."""
        doc: dict[str, Any] = {"survey": self.survey,
                               "columns": {self.headers.get(k, k): v for k, v in self.columns.items()}}
        if self.subgroup_values:
            doc["subgroup_values"] = dict(self.subgroup_values)
        if self.answer_labels:
            doc["answer_labels"] = dict(self.answer_labels)
        return ("# wqm survey import mapping: column header as exported -> item id, subgroup, ignore or\n"
                "# 'comment <id>'. Use it with: wqm survey import FILE --mapping THIS_FILE\n"
                + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120))


def parse_import_mapping(doc: Any, file: str | Path, bank: QuestionBank) -> ImportMapping:
    """Validate a parsed import mapping document against the question bank."""
    r = Reader(file)
    r.mapping(doc, "", ("survey", "columns", "subgroup_values", "answer_labels"))
    survey_id = r.get(doc, "survey", "", str)
    if survey_id not in bank.surveys:
        r.fail("survey", f"unknown survey {survey_id!r} (question bank: {', '.join(bank.surveys)})")
    survey = bank.surveys[survey_id]
    comment_ids = {c.id for c in survey.comments}
    columns, headers = {}, {}
    raw_columns = r.mapping(r.get(doc, "columns", "", dict, required=False, default={}), "columns")
    for header, target in raw_columns.items():
        where = join("columns", str(header))
        target = str(target).strip() if isinstance(target, (str, int)) else target
        if not isinstance(target, str) or not target:
            r.fail(where, "expected an item id, subgroup, ignore or 'comment <id>'")
        words = target.split()
        if target in (SUBGROUP, IGNORE) or target in survey.item_ids:
            pass
        elif words[0] == COMMENT and len(words) == 2 and words[1] in comment_ids:
            target = f"{COMMENT} {words[1]}"
        elif target == SUBGROUP and survey.subgroup is None:
            r.fail(where, f"the {survey_id} survey has no subgroup question")
        else:
            comments = f"; comments: {', '.join(sorted(comment_ids))}" if comment_ids else ""
            r.fail(where, f"unknown target {target!r}: use an item of the {survey_id} survey "
                          f"({', '.join(survey.item_ids)}), subgroup, ignore or 'comment <id>'{comments}")
        if target == SUBGROUP and survey.subgroup is None:
            r.fail(where, f"the {survey_id} survey has no subgroup question")
        key = normalise_text(header)
        if key in columns:
            r.fail(where, f"the same header as {headers[key]!r} once numbering, spacing and case are ignored")
        columns[key], headers[key] = target, str(header)
    taken = [t for t in columns.values() if t not in (IGNORE,)]
    for target in set(taken):
        if taken.count(target) > 1:
            r.fail("columns", f"{target} is the target of more than one column")

    subgroup_values = {}
    raw_values = r.mapping(r.get(doc, "subgroup_values", "", dict, required=False, default={}), "subgroup_values")
    if raw_values and survey.subgroup is None:
        r.fail("subgroup_values", f"the {survey_id} survey has no subgroup question")
    for answer, value in raw_values.items():
        if str(value) not in survey.subgroup.values:
            r.fail(join("subgroup_values", str(answer)),
                   f"{value!r} is not a {survey.subgroup.label.lower()} (use {', '.join(survey.subgroup.values)})")
        subgroup_values[normalise_text(answer)] = str(value)

    answer_labels = {}
    raw_labels = r.mapping(r.get(doc, "answer_labels", "", dict, required=False, default={}), "answer_labels")
    scale = bank.scale_of(survey_id)
    for label, value in raw_labels.items():
        if isinstance(value, bool) or not isinstance(value, int) or value not in scale.values:
            r.fail(join("answer_labels", str(label)),
                   f"expected a value on the scale {list(scale.values)} (the {survey_id} survey's "
                   f"{scale.name.lower()})")
        answer_labels[normalise_text(label)] = value
    return ImportMapping(survey=survey_id, columns=columns, headers=headers, subgroup_values=subgroup_values,
                         answer_labels=answer_labels, path=str(file))


def load_import_mapping(path: str | Path, bank: QuestionBank) -> ImportMapping:
    """Read and validate an import mapping file."""
    return parse_import_mapping(read_yaml(Path(path)), path, bank)


__all__ = ["COMMENT", "IGNORE", "SUBGROUP", "ImportMapping", "load_import_mapping", "normalise_text",
           "parse_import_mapping"]
