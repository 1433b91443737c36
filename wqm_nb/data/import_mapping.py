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
    instruments:                    # a validated measure's block of columns (optional)
      swemwbs: {columns: F:L}       # by position: the columns, in the order of the instrument's items
      sdq: {informant: self}        # its columns named under columns: (header -> sdq1 ...)
    reversed:                       # columns whose numbers run the other way (1 = Strongly agree)
      - "Wellbeing is everyone's job here"

A column target is an item id of the survey, ``subgroup``, ``ignore`` (the
column is dropped), ``comment <comment item id>``, or an item of a validated
measure (:mod:`wqm_nb.data.instruments`): its column id (``swemwbs3``,
``sdq12``, ``sdqimpact2``, ``stirling7``), or a pre-scored score of an
instrument that takes them as ``<instrument>.<score>`` (``sdq.emotional``).
Under ``instruments:`` an instrument's block is given by position:
``columns`` (a range ``F:L`` or a list of column letters, in the order of the
instrument's items for the informant: SWEMWBS ``swemwbs1``..``swemwbs7``) or
``start`` (the first column; the items follow one per column), and its
``informant`` (the SDQ's ``parent``, ``teacher`` or ``self``). Headers are
compared after :func:`normalise_text` (numbering, spacing, quotes, case and a
trailing "?" or "*" do not matter). The mapping is data: it is validated when
it is loaded, and an error names the file and the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import DataFileError, SettingsError
from ..spreadsheet import column_letter
from .instruments import Instrument, available_instruments, load_instrument
from .surveys import QuestionBank
from .yaml_reader import Reader, join, read_yaml

SUBGROUP = "subgroup"
IGNORE = "ignore"
COMMENT = "comment"

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)
_NUMBERING = re.compile(r"^\s*(?:q(?:uestion)?\s*)?\d+(?:\.\d+)*\s*[.):\-]?\s+(?=\S)", re.IGNORECASE)
_TRAILING = re.compile(r"[\s?*.:!]+$")
_LETTERS = re.compile(r"^[A-Z]{1,3}$")
_ITEM_ID = re.compile(r"[\s_\-]+")


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


def column_index(letters: str) -> int:
    """The 0-based index of spreadsheet column letters (A -> 0, AB -> 27)."""
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def parse_columns(spec: Any, count: int | None = None) -> tuple[str, ...]:
    """Column letters from a range ``F:L``, a list ``F,G,H`` (or a YAML list), or a first column ``F`` with
    ``count`` columns following it. :class:`ValueError` when a part is not column letters."""
    if isinstance(spec, (list, tuple)):
        parts = [str(p).strip().upper() for p in spec]
    else:
        text = str(spec).strip().upper()
        if ":" in text:
            first, _, last = text.partition(":")
            first, last = first.strip(), last.strip()
            for part in (first, last):
                if not _LETTERS.match(part):
                    raise ValueError(f"{part!r} is not a column letter (A, B, ... AA)")
            a, b = column_index(first), column_index(last)
            if b < a:
                raise ValueError(f"the range {text} runs backwards")
            return tuple(column_letter(i) for i in range(a, b + 1))
        parts = [p.strip() for p in text.split(",")] if text else []
    for part in parts:
        if not _LETTERS.match(part):
            raise ValueError(f"{part!r} is not a column letter (A, B, ... AA)")
    if count is not None and len(parts) == 1 and count > 1:
        start = column_index(parts[0])
        return tuple(column_letter(i) for i in range(start, start + count))
    if len(set(parts)) != len(parts):
        raise ValueError("a column is listed twice")
    return tuple(parts)


@dataclass(frozen=True)
class InstrumentBlock:
    """A validated measure's columns in an export: by position (``columns``, column letters in the order of
    the instrument's items for the informant), or, when empty, the columns the mapping or their headers name;
    and its informant ('' for the instrument's only one, or the survey's default)."""

    instrument: str
    columns: tuple[str, ...] = ()
    informant: str = ""


#: The informant a survey's respondents are when an import does not say (``--informant``): pupils answer
#: for themselves, parents as parents (staff answering the SDQ's teacher form must say so).
SURVEY_INFORMANTS = {"pupil": "self", "parent": "parent"}


def default_informant(instrument: Instrument, survey_id: str) -> str:
    """The informant of an instrument in a survey when none is given: its only one, else the survey's
    (:data:`SURVEY_INFORMANTS`) when the instrument has it, else '' (the import must say)."""
    if len(instrument.informants) == 1:
        return instrument.informants[0]
    wanted = SURVEY_INFORMANTS.get(survey_id, "")
    return wanted if wanted in instrument.informants else ""


@lru_cache(maxsize=1)
def instrument_item_ids() -> dict[str, tuple[str, str]]:
    """Every target a column may have for a validated measure -> ``(instrument id, item column or score id)``:
    the item columns of each bundled instrument (``swemwbs3``), and its pre-scored scores as
    ``<instrument>.<score>`` (``sdq.emotional``)."""
    out: dict[str, tuple[str, str]] = {}
    for instrument_id in available_instruments():
        instrument = load_instrument(instrument_id)
        for column in instrument.item_columns():
            out[column] = (instrument.id, column)
        for score in instrument.prescored:
            out[f"{instrument.id}.{score}"] = (instrument.id, score)
    return out


def instrument_target(header: object) -> str | None:
    """The measure item a header names by itself (``SWEMWBS 3``, ``sdq_12``, ``SDQ.emotional`` ->
    ``swemwbs3``, ``sdq12``, ``sdq.emotional``), or None."""
    key = _ITEM_ID.sub("", normalise_text(header))
    return key if key in instrument_item_ids() else None


@dataclass(frozen=True)
class ImportMapping:
    """A validated import mapping (see the module notes)."""

    survey: str
    columns: dict[str, str] = field(default_factory=dict)  # normalised header -> target
    headers: dict[str, str] = field(default_factory=dict)  # normalised header -> header as written
    subgroup_values: dict[str, str] = field(default_factory=dict)  # normalised answer -> subgroup value
    #: normalised label -> scale value (None: the label means not answered)
    answer_labels: dict[str, int | None] = field(default_factory=dict)
    path: str = ""
    instruments: dict[str, InstrumentBlock] = field(default_factory=dict)  # instrument id -> its block
    #: normalised headers of columns whose numbers run the other way (1 is the top of the scale)
    reversed: frozenset[str] = frozenset()

    def target(self, header: str) -> str | None:
        """What the mapping says a column is, or None when it does not name it."""
        return self.columns.get(normalise_text(header))

    def to_yaml(self) -> str:
        """The mapping as a YAML document (what ``--save-mapping`` writes)."""
        doc: dict[str, Any] = {
            "survey": self.survey,
            "columns": {self.headers.get(k, k): v for k, v in self.columns.items()},
        }
        if self.subgroup_values:
            doc["subgroup_values"] = dict(self.subgroup_values)
        if self.answer_labels:
            doc["answer_labels"] = dict(self.answer_labels)
        if self.reversed:
            doc["reversed"] = [self.headers.get(k, k) for k in sorted(self.reversed)]
        if self.instruments:
            doc["instruments"] = {
                b.instrument: {
                    **({"columns": list(b.columns)} if b.columns else {}),
                    **({"informant": b.informant} if b.informant else {}),
                }
                for b in self.instruments.values()
            }
        return (
            "# wqm survey import mapping: column header as exported -> item id, subgroup, ignore or\n"
            "# 'comment <id>'. Use it with: wqm survey import FILE --mapping THIS_FILE\n"
            + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
        )


def parse_import_mapping(doc: Any, file: str | Path, bank: QuestionBank) -> ImportMapping:
    """Validate a parsed import mapping document against the question bank."""
    r = Reader(file)
    r.mapping(doc, "", ("survey", "columns", "subgroup_values", "answer_labels", "instruments", "reversed"))
    survey_id = r.get(doc, "survey", "", str)
    if survey_id not in bank.surveys:
        r.fail("survey", f"unknown survey {survey_id!r} (question bank: {', '.join(bank.surveys)})")
    survey = bank.surveys[survey_id]
    comment_ids = {c.id for c in survey.comments}
    measure_items = instrument_item_ids()
    columns: dict[str, str] = {}
    headers: dict[str, str] = {}
    raw_columns = r.mapping(r.get(doc, "columns", "", dict, required=False, default={}), "columns")
    for header, target in raw_columns.items():
        where = join("columns", str(header))
        target = str(target).strip() if isinstance(target, (str, int)) else target
        if not isinstance(target, str) or not target:
            r.fail(where, "expected an item id, subgroup, ignore or 'comment <id>'")
        words = target.split()
        if target == "?":
            r.fail(
                where,
                f"choose what this column is: an item of the {survey_id} survey "
                f"({', '.join(survey.item_ids)}), subgroup, 'comment <id>' or ignore",
            )
        if target in (SUBGROUP, IGNORE) or target in survey.item_ids:
            pass
        elif target.lower() in measure_items:
            target = target.lower()
        elif words[0] == COMMENT and len(words) == 2 and words[1] in comment_ids:
            target = f"{COMMENT} {words[1]}"
        elif target == SUBGROUP and survey.subgroup is None:
            r.fail(where, f"the {survey_id} survey has no subgroup question")
        else:
            comments = f"; comments: {', '.join(sorted(comment_ids))}" if comment_ids else ""
            r.fail(
                where,
                f"unknown target {target!r}: use an item of the {survey_id} survey "
                f"({', '.join(survey.item_ids)}), subgroup, ignore, 'comment <id>'{comments}, or an "
                f"item of a measure ({', '.join(_examples(measure_items))})",
            )
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
        assert survey.subgroup is not None  # raw_values is empty, or r.fail above raised
        if str(value) not in survey.subgroup.values:
            r.fail(
                join("subgroup_values", str(answer)),
                f"{value!r} is not a {survey.subgroup.label.lower()} (use {', '.join(survey.subgroup.values)})",
            )
        subgroup_values[normalise_text(answer)] = str(value)

    answer_labels: dict[str, int | None] = {}
    raw_labels = r.mapping(r.get(doc, "answer_labels", "", dict, required=False, default={}), "answer_labels")
    scale = bank.scale_of(survey_id)
    for label, value in raw_labels.items():
        if value == "?":
            r.fail(
                join("answer_labels", str(label)),
                f"choose its value on the scale {list(scale.values)} ({scale.described()})",
            )
        if value is None:  # the label means not answered
            answer_labels[normalise_text(label)] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in scale.values:
            r.fail(
                join("answer_labels", str(label)),
                f"expected a value on the scale {list(scale.values)} (the {survey_id} survey's {scale.name.lower()}), "
                f"or null for not answered",
            )
        answer_labels[normalise_text(label)] = value
    instruments = _parse_instruments(r, doc.get("instruments"))
    reversed_headers = r.get(doc, "reversed", "", list, required=False, default=[])
    for i, header in enumerate(reversed_headers):
        if not isinstance(header, str) or not header.strip():
            r.fail(f"reversed[{i}]", "expected a column header")
        headers.setdefault(normalise_text(header), header)
    return ImportMapping(
        survey=survey_id,
        columns=columns,
        headers=headers,
        subgroup_values=subgroup_values,
        answer_labels=answer_labels,
        path=str(file),
        instruments=instruments,
        reversed=frozenset(normalise_text(h) for h in reversed_headers),
    )


def with_instrument(
    mapping: ImportMapping | None, survey: str, instrument_id: str, informant: str = "", columns: str = ""
) -> ImportMapping:
    """``mapping`` (or an empty one for ``survey``) with an instrument block added, as ``wqm survey import
    --instrument NAME [--informant I] [--instrument-columns F:L]`` gives it: ``columns`` a range ``F:L``, a
    list ``F,G,H`` or the first column ``F`` (the informant's items follow, one per column); none: the
    columns are found by the mapping or their headers. :class:`SettingsError` for an unknown instrument or
    informant, or columns that do not fit the instrument's items."""
    instrument = load_instrument(instrument_id)
    who = informant or (
        mapping.instruments[instrument.id].informant if mapping and instrument.id in mapping.instruments else ""
    )
    resolved = (
        instrument.resolve_informant(who or default_informant(instrument, survey) or None)
        if (who or columns or default_informant(instrument, survey))
        else ""
    )
    letters: tuple[str, ...] = ()
    if columns:
        try:
            letters = parse_columns(columns, len(instrument.item_columns(resolved)))
            block_items(instrument, resolved, len(letters))
        except ValueError as exc:
            raise SettingsError(f"--instrument-columns {columns}: {exc}") from None
    base = mapping or ImportMapping(survey=survey)
    block = InstrumentBlock(instrument.id, letters, who)
    return replace(base, instruments={**base.instruments, instrument.id: block})


def _examples(measure_items: dict[str, tuple[str, str]]) -> list[str]:
    """A few measure targets, one per instrument, for an error message."""
    first: dict[str, str] = {}
    for target, (instrument, _) in measure_items.items():
        first.setdefault(instrument, target)
    return [f"{t}.." for t in first.values()]


def block_items(instrument: Instrument, informant: str, count: int) -> tuple[str, ...]:
    """The item columns ``count`` positional columns stand for: the informant's items in order (all of them,
    or the required ones first when the optional ones, such as the SDQ impact supplement, are left out).
    :class:`ValueError` when ``count`` fits neither."""
    items = instrument.items_for(informant)
    required = [i.column for i in items if not i.optional]
    every = [i.column for i in items]
    if count == len(every):
        return tuple(every)
    if len(required) <= count < len(every) and every[: len(required)] == required:
        return tuple(every[:count])
    wanted = f"{len(required)} to {len(every)}" if len(required) < len(every) else f"{len(every)}"
    raise ValueError(
        f"{count} columns, but {instrument.id} ({informant}) has {wanted} item columns ({', '.join(every)})"
    )


def _parse_instruments(r: Reader, raw: Any) -> dict[str, InstrumentBlock]:
    """The ``instruments:`` section: instrument id -> ``{columns | start, informant}``."""
    if raw is None:
        return {}
    r.mapping(raw, "instruments")
    out = {}
    for instrument_id, body in raw.items():
        path = join("instruments", str(instrument_id))
        try:
            instrument = load_instrument(str(instrument_id))
        except (SettingsError, DataFileError):
            r.fail(path, f"unknown instrument {instrument_id!r} (bundled: {', '.join(available_instruments())})")
        body = {} if body is None else body
        r.mapping(body, path, ("columns", "start", "informant"))
        informant = r.get(body, "informant", path, str, required=False, default="")
        try:
            who = (
                instrument.resolve_informant(informant or None) if informant or len(instrument.informants) == 1 else ""
            )
        except SettingsError as exc:
            r.fail(join(path, "informant"), str(exc))
        if "columns" in body and "start" in body:
            r.fail(path, "give columns or start, not both")
        columns: tuple[str, ...] = ()
        if body.get("columns") is not None or body.get("start") is not None:
            key = "columns" if body.get("columns") is not None else "start"
            if not who:
                r.fail(
                    join(path, "informant"),
                    f"{instrument.id} needs an informant to place its columns "
                    f"(one of {', '.join(instrument.informants)})",
                )
            try:
                columns = parse_columns(body[key], len(instrument.item_columns(who)) if key == "start" else None)
                block_items(instrument, who, len(columns))
            except ValueError as exc:
                r.fail(join(path, key), str(exc))
        out[instrument.id] = InstrumentBlock(instrument.id, columns, informant)
    return out


def load_import_mapping(path: str | Path, bank: QuestionBank) -> ImportMapping:
    """Read and validate an import mapping file."""
    return parse_import_mapping(read_yaml(Path(path)), path, bank)


__all__ = [
    "COMMENT",
    "IGNORE",
    "SUBGROUP",
    "SURVEY_INFORMANTS",
    "ImportMapping",
    "InstrumentBlock",
    "block_items",
    "column_index",
    "default_informant",
    "instrument_item_ids",
    "instrument_target",
    "load_import_mapping",
    "normalise_text",
    "parse_columns",
    "parse_import_mapping",
    "with_instrument",
]
