"""Survey question banks and the mapping of survey items to framework sections.

A school's staff, pupil and parent surveys belong to the school and the
academic year, not to one framework. The question bank (``surveys.yaml``)
holds the surveys: their Likert scale, subgroup question and items. Which
framework section each item informs is a *mapping* per framework, kept as data
(``mappings/<framework id>.yaml``, or a ``survey_mapping:`` block inside a
custom framework file), so one staff survey informs the WQM principles, the
VbE aspects and the Leadership and Management key question alike. A survey
that a framework's mapping leaves out is reported as "not mapped" rather than
silently showing nothing.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .frameworks import DATA_DIR, Framework, ScaleLevel
from .schema import Reader, join, read_yaml

QUESTION_BANK_FILE = DATA_DIR / "surveys.yaml"
MAPPING_DIR = DATA_DIR / "mappings"

#: Answers that mean "not answered" (compared case- and space-insensitively).
NOT_ANSWERED = ("", "don't know", "dont know", "do not know", "n/a", "na", "not applicable",
                "prefer not to say")


#: The environment variable naming another question bank file (e.g. a consultancy's own items).
BANK_ENV = "WQM_QUESTION_BANK"
_YEAR_VALUE = re.compile(r"Y(\d{1,2})")


def _fold(text: str) -> str:
    return " ".join(str(text).replace("\u2019", "'").split()).casefold()


@dataclass(frozen=True)
class SurveyItem:
    id: str
    text: str


@dataclass(frozen=True)
class Subgroup:
    """The question that splits respondents into groups (staff role, year group).

    ``question`` and ``aliases`` are the wordings that ask it in a real export;
    ``value_labels`` the answer labels that mean each value. A value such as
    ``Y5`` also accepts "Year 5", "Yr 5", "Year5" and "5" (:meth:`value_of`).
    """
    field: str
    label: str
    values: tuple[str, ...]
    question: str = ""
    aliases: tuple[str, ...] = ()
    value_labels: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def questions(self) -> tuple[str, ...]:
        """Every wording of the subgroup question: the question, its label and aliases."""
        return tuple(q for q in (self.question, self.label, *self.aliases) if q)

    def labels_of(self, value: str) -> tuple[str, ...]:
        """Answer labels that mean ``value`` (its own spelling first)."""
        own = dict(self.value_labels).get(value, ())
        year = _YEAR_VALUE.fullmatch(value)
        rule = (f"Year {year[1]}", f"Yr {year[1]}", f"Year{year[1]}", f"Yr{year[1]}", year[1]) if year else ()
        return (value, *own, *rule)

    def value_of(self, answer: str) -> str | None:
        """The subgroup value an answer label means, or None when it means none of them."""
        folded = _fold(answer)
        for value in self.values:
            if any(_fold(label) == folded for label in self.labels_of(value)):
                return value
        return None


@dataclass(frozen=True)
class Survey:
    id: str
    name: str
    respondents: str
    items: tuple[SurveyItem, ...]
    subgroup: Subgroup | None = None
    comments: tuple[SurveyItem, ...] = ()   # free-text questions (kept only on request, redacted)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


@dataclass(frozen=True)
class QuestionBank:
    """Every survey a school can run, with the Likert scale they share."""
    likert: tuple[ScaleLevel, ...]
    agree_min: int
    surveys: dict[str, Survey]
    path: str = ""
    aliases: dict[int, tuple[str, ...]] = field(default_factory=dict)   # other wordings of a scale point

    def item(self, item_id: str) -> SurveyItem:
        for survey in self.surveys.values():
            for item in survey.items:
                if item.id == item_id:
                    return item
        raise KeyError(f"no survey item {item_id!r}")

    def survey_of(self, item_id: str) -> Survey:
        for survey in self.surveys.values():
            if item_id in survey.item_ids:
                return survey
        raise KeyError(f"no survey item {item_id!r}")

    @property
    def likert_values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.likert)

    def answer_value(self, raw: object) -> int | None:
        """An answer as its Likert value; None when not answered.

        Accepted: a whole number on the scale, with spaces or a ``.0`` (``" 5 "``,
        ``"4.0"``); a scale label in any case and spacing (``"strongly agree"``);
        blank, "Don't know", "N/A" and "Prefer not to say" mean not answered.
        Anything else raises ValueError naming what is accepted.
        """
        if raw is None or (isinstance(raw, float) and raw != raw):
            return None
        text = _fold(raw)
        if text in NOT_ANSWERED:
            return None
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and number.is_integer() and int(number) in self.likert_values:
            return int(number)
        for level in self.likert:
            if _fold(level.label) == text or any(_fold(a) == text for a in self.aliases.get(level.value, ())):
                return level.value
        raise ValueError(f"{str(raw)!r} is not an answer on the scale (use {self.likert[0].value}-"
                         f"{self.likert[-1].value} or {', '.join(repr(lv.label) for lv in self.likert)}; "
                         f"blank or \"Don't know\" for no answer)")


@dataclass(frozen=True)
class SurveyMapping:
    """Which section of one framework each survey item informs.

    ``surveys`` maps a survey id to ``{item id: section id}``; a survey absent
    from it is not mapped to this framework at all.
    """
    framework: str
    surveys: dict[str, dict[str, str]] = field(default_factory=dict)
    path: str = ""

    def is_mapped(self, survey_id: str) -> bool:
        return bool(self.surveys.get(survey_id))

    def section_of(self, survey_id: str, item_id: str) -> str | None:
        return self.surveys.get(survey_id, {}).get(item_id)

    def item_sections(self) -> dict[tuple[str, str], str]:
        """``(survey id, item id) -> section id`` for every mapped item."""
        return {(s, i): sec for s, items in self.surveys.items() for i, sec in items.items()}

    def sections(self, survey_id: str, framework: Framework) -> list[str]:
        """Section ids a survey informs, in framework order."""
        used = set(self.surveys.get(survey_id, {}).values())
        return [p.id for p in framework.principles if p.id in used]


# --------------------------------------------------------------------------
# question bank


def parse_question_bank(doc: Any, file: str | Path) -> QuestionBank:
    """Validate a parsed question bank document."""
    r = Reader(file)
    r.mapping(doc, "", ("likert", "agree_min", "surveys"))
    likert = []
    aliases: dict[int, tuple[str, ...]] = {}
    for i, raw in enumerate(r.get(doc, "likert", "", list)):
        path = f"likert[{i}]"
        r.mapping(raw, path, ("value", "label", "aliases"))
        level = ScaleLevel(value=r.get(raw, "value", path, int), label=r.get(raw, "label", path, str),
                           descriptor="")
        likert.append(level)
        aliases[level.value] = _texts(r, raw, "aliases", path)
    values = [lv.value for lv in likert]
    if values != sorted(set(values)):
        r.fail("likert", "values must be unique and in increasing order")
    agree_min = r.get(doc, "agree_min", "", int)
    if agree_min not in values:
        r.fail("agree_min", f"must be one of the likert values {values}")

    surveys = {}
    item_ids: set[str] = set()
    raw_surveys = r.mapping(r.get(doc, "surveys", "", dict), "surveys")
    for sid, raw in raw_surveys.items():
        path = f"surveys.{sid}"
        r.mapping(raw, path, ("name", "respondents", "subgroup", "items", "comments"))
        subgroup = _subgroup(r, raw["subgroup"], join(path, "subgroup")) if raw.get("subgroup") is not None else None

        def read_items(key: str, required: bool) -> tuple[SurveyItem, ...]:
            items = []
            for i, raw_item in enumerate(r.get(raw, key, path, list, required=required, default=[])):
                ip = f"{path}.{key}[{i}]"
                r.mapping(raw_item, ip, ("id", "text"))
                item_id = r.get(raw_item, "id", ip, str)
                if item_id in item_ids:
                    r.fail(join(ip, "id"), f"duplicate item id {item_id!r}")
                item_ids.add(item_id)
                items.append(SurveyItem(id=item_id, text=r.get(raw_item, "text", ip, str)))
            return tuple(items)

        surveys[str(sid)] = Survey(id=str(sid), name=r.get(raw, "name", path, str),
                                   respondents=r.get(raw, "respondents", path, str, required=False,
                                                     default=str(sid)),
                                   items=read_items("items", True), subgroup=subgroup,
                                   comments=read_items("comments", False))
    if not surveys:
        r.fail("surveys", "no surveys defined")
    return QuestionBank(likert=tuple(likert), agree_min=agree_min, surveys=surveys, path=str(file),
                        aliases=aliases)


def _texts(r: Reader, raw: dict, key: str, path: str) -> tuple[str, ...]:
    """An optional list of non-empty texts."""
    values = r.get(raw, key, path, list, required=False, default=[])
    for i, value in enumerate(values):
        if not isinstance(value, (str, int)) or not str(value).strip():
            r.fail(f"{join(path, key)}[{i}]", "expected non-empty text")
    return tuple(str(v) for v in values)


def _subgroup(r: Reader, raw: Any, path: str) -> Subgroup:
    sg = r.mapping(raw, path, ("field", "label", "values", "question", "aliases", "value_labels"))
    values = tuple(str(v) for v in r.get(sg, "values", path, list))
    labels = r.mapping(r.get(sg, "value_labels", path, dict, required=False, default={}), join(path, "value_labels"))
    for value in labels:
        if str(value) not in values:
            r.fail(join(join(path, "value_labels"), str(value)), f"not one of the values {', '.join(values)}")
    subgroup = Subgroup(field=r.get(sg, "field", path, str), label=r.get(sg, "label", path, str), values=values,
                        question=r.get(sg, "question", path, str, required=False, default=""),
                        aliases=_texts(r, sg, "aliases", path),
                        value_labels=tuple((str(v), _texts(r, labels, v, join(path, "value_labels")))
                                           for v in labels))
    seen: dict[str, str] = {}
    for value in values:
        for label in subgroup.labels_of(value):
            if seen.setdefault(_fold(label), value) != value:
                r.fail(join(path, "value_labels"), f"{label!r} means both {seen[_fold(label)]} and {value}")
    return subgroup


@lru_cache(maxsize=None)
def _load_question_bank_cached(path: str) -> QuestionBank:
    return parse_question_bank(read_yaml(Path(path)), path)


def load_question_bank(path: str | Path | None = None) -> QuestionBank:
    """The question bank: ``path``, else the file named by ``$WQM_QUESTION_BANK``,
    else the bundled ``surveys.yaml``."""
    return _load_question_bank_cached(str(path or os.environ.get(BANK_ENV) or QUESTION_BANK_FILE))


# --------------------------------------------------------------------------
# mappings


def parse_mapping(doc: Any, file: str | Path, framework: Framework, bank: QuestionBank,
                  field_prefix: str = "") -> SurveyMapping:
    """Validate a mapping document: ``{framework: id, surveys: {survey: {item: section}}}``.

    ``field_prefix`` places the fields inside a larger document (an inline
    ``survey_mapping:`` block of a framework file).
    """
    r = Reader(file)
    r.mapping(doc, field_prefix, ("framework", "surveys"))
    fw_id = r.get(doc, "framework", field_prefix, str, required=False, default=framework.id)
    if fw_id != framework.id:
        r.fail(join(field_prefix, "framework"), f"maps framework {fw_id!r}, not {framework.id!r}")
    surveys: dict[str, dict[str, str]] = {}
    raw_surveys = r.mapping(r.get(doc, "surveys", field_prefix, dict), join(field_prefix, "surveys"))
    for sid, raw_items in raw_surveys.items():
        sp = join(join(field_prefix, "surveys"), str(sid))
        if str(sid) not in bank.surveys:
            r.fail(sp, f"unknown survey {sid!r} (question bank: {', '.join(bank.surveys)})")
        items = r.mapping(raw_items, sp)
        known_items = bank.surveys[str(sid)].item_ids
        mapped = {}
        for item_id, section in items.items():
            ip = join(sp, str(item_id))
            if str(item_id) not in known_items:
                r.fail(ip, f"unknown item {item_id!r} of the {sid} survey")
            if not isinstance(section, str) or section not in framework.principle_ids:
                r.fail(ip, f"unknown {framework.section_label.lower()} {section!r} for framework "
                           f"{framework.id!r} (known: {', '.join(framework.principle_ids)})")
            mapped[str(item_id)] = section
        surveys[str(sid)] = mapped
    return SurveyMapping(framework=framework.id, surveys=surveys, path=str(file))


@lru_cache(maxsize=None)
def _read_mapping_file(path: str) -> Any:
    return read_yaml(Path(path))


def load_mapping(framework: Framework, bank: QuestionBank | None = None) -> SurveyMapping:
    """The survey mapping of ``framework``: its inline ``survey_mapping`` block if
    it has one, else the bundled ``mappings/<id>.yaml``, else an empty mapping
    (no survey informs this framework)."""
    bank = bank or load_question_bank()
    if framework.survey_mapping is not None:
        return parse_mapping(framework.survey_mapping, framework.path or framework.id, framework, bank,
                             "survey_mapping")
    bundled = MAPPING_DIR / f"{framework.id}.yaml"
    if bundled.exists():
        return parse_mapping(_read_mapping_file(str(bundled)), str(bundled), framework, bank)
    return SurveyMapping(framework=framework.id)
