"""Survey question banks and the mapping of survey items to framework sections.

A school's staff, pupil and parent surveys belong to the school and the
academic year, not to one framework. The question bank (``surveys.yaml``)
holds the surveys: their answer scale, subgroup question and items. Which
framework section each item informs is a *mapping* per framework, kept as data
(``mappings/<framework id>.yaml``, or a ``survey_mapping:`` block inside a
custom framework file), so one staff survey informs the WQM principles, the
VbE aspects and the Leadership and Management key question alike. A survey
that a framework's mapping leaves out is reported as "not mapped" rather than
silently showing nothing.

Every survey is answered on the bank's Likert scale and measures
*agreement* (the share at or above ``agree_min``), unless it names another
scale of ``scales.yaml`` with ``scale:`` and its threshold with
``high_min:``: it then measures a *rating* (the staff audit: staff rate each
framing principle on the maturity scale). :meth:`QuestionBank.scale_of` gives
a survey's :class:`AnswerScale`, and :meth:`QuestionBank.answer_value` reads
an answer on it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from .frameworks import DATA_DIR, Framework, LevelRange, ScaleLevel, load_scales
from .yaml_reader import Reader, join, read_yaml

QUESTION_BANK_FILE = DATA_DIR / "surveys.yaml"
MAPPING_DIR = DATA_DIR / "mappings"

#: Answers that mean "not answered" (compared case- and space-insensitively).
NOT_ANSWERED = ("", "don't know", "dont know", "do not know", "n/a", "na", "not applicable", "prefer not to say")


#: What a survey's published figures measure: agreement on the bank's Likert scale, or a rating on
#: a scale of ``scales.yaml`` (see :class:`AnswerScale`).
MEASURE_AGREEMENT = "agreement"
MEASURE_RATING = "rating"
#: The id of the bank's own Likert scale (a survey with no ``scale:``).
LIKERT = "likert"
#: Answers are stored one digit each (:mod:`wqm_nb.store.surveys`), so a scale's values lie in 0-9.
STORABLE_VALUES = range(10)

#: The environment variable naming another question bank file (e.g. a consultancy's own items).
BANK_ENV = "WQM_QUESTION_BANK"
_YEAR_VALUE = re.compile(r"Y(\d{1,2})")


def _fold(text: object) -> str:
    return " ".join(str(text).replace("\u2019", "'").split()).casefold()


@dataclass(frozen=True)
class SurveyItem:
    id: str
    text: str
    aliases: tuple[str, ...] = ()  # other headers an export may give the item's column

    @property
    def texts(self) -> tuple[str, ...]:
        """The item's text and its aliases."""
        return (self.text, *self.aliases)


_UNREAD = object()
_MEMO_SIZE = 4096


@dataclass(frozen=True)
class AnswerScale(LevelRange):
    """The scale a survey is answered on, and what its published share counts.

    The bank's Likert scale (``id`` ``likert``, ``measure`` ``agreement``,
    ``high_min`` the bank's ``agree_min``) or a scale of ``scales.yaml`` that a
    survey names (``measure`` ``rating``, ``high_min`` the survey's own).
    ``aliases`` are other wordings of a level, by value.
    """

    id: str
    name: str
    levels: tuple[ScaleLevel, ...]
    high_min: int
    measure: str = MEASURE_AGREEMENT
    aliases: tuple[tuple[int, tuple[str, ...]], ...] = ()
    #: answers already read (the same few labels recur in every row of an export), up to :data:`_MEMO_SIZE`
    _memo: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def described(self) -> str:
        """The accepted answers, for error messages: ``'Deciding to act', ... (or 1-4)``."""
        return f"{', '.join(repr(lv.label) for lv in self.levels)} (or {self.min}-{self.max})"

    def value_of(self, raw: object) -> int | None:
        """An answer as its value on this scale; None when not answered.

        Accepted: a whole number on the scale, with spaces or a ``.0`` (``" 4 "``,
        ``"4.0"``); a level's label or alias in any case and spacing (``"strongly agree"``);
        blank, "Don't know", "N/A" and "Prefer not to say" mean not answered.
        Anything else raises ValueError naming what is accepted.
        """
        if raw is None or (isinstance(raw, float) and raw != raw):
            return None
        if isinstance(raw, str):
            known = self._memo.get(raw, _UNREAD)
            if known is not _UNREAD:
                return known
            value = self._read(raw)
            if len(self._memo) < _MEMO_SIZE:
                self._memo[raw] = value
            return value
        return self._read(raw)

    def _read(self, raw: object) -> int | None:
        text = _fold(raw)
        if text in NOT_ANSWERED:
            return None
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and number.is_integer() and int(number) in self.values:
            return int(number)
        aliases = dict(self.aliases)
        for level in self.levels:
            if _fold(level.label) == text or any(_fold(a) == text for a in aliases.get(level.value, ())):
                return level.value
        raise ValueError(
            f"{str(raw)!r} is not an answer on the {self.name} (use {self.min}-{self.max} "
            f"or {', '.join(repr(lv.label) for lv in self.levels)}; "
            f'blank or "Don\'t know" for no answer)'
        )


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
    comments: tuple[SurveyItem, ...] = ()  # free-text questions (kept only on request, redacted)
    scale: AnswerScale | None = None  # None: the bank's Likert scale (QuestionBank.scale_of)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    @property
    def measure(self) -> str:
        """``agreement`` for a survey on the bank's Likert scale, ``rating`` for one on its own scale."""
        return self.scale.measure if self.scale is not None else MEASURE_AGREEMENT


@dataclass(frozen=True)
class QuestionBank:
    """Every survey a school can run, with the Likert scale they share unless a survey names its own."""

    likert: tuple[ScaleLevel, ...]
    agree_min: int
    surveys: dict[str, Survey]
    path: str = ""
    aliases: dict[int, tuple[str, ...]] = field(default_factory=dict)  # other wordings of a scale point

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
        """Values of the bank's Likert scale (a survey with its own scale: :meth:`values_of`)."""
        return tuple(level.value for level in self.likert)

    @cached_property
    def likert_scale(self) -> AnswerScale:
        """The bank's Likert scale as an :class:`AnswerScale` (measure ``agreement``, threshold ``agree_min``)."""
        return AnswerScale(
            id=LIKERT,
            name="Likert agreement scale",
            levels=self.likert,
            high_min=self.agree_min,
            measure=MEASURE_AGREEMENT,
            aliases=tuple(sorted(self.aliases.items())),
        )

    def scale_of(self, survey_id: str | None = None) -> AnswerScale:
        """The scale ``survey_id`` is answered on (the bank's Likert scale when it names none, or for None)."""
        if survey_id is None:
            return self.likert_scale
        if survey_id not in self.surveys:
            raise KeyError(f"no survey {survey_id!r}")
        return self.surveys[survey_id].scale or self.likert_scale

    def values_of(self, survey_id: str | None = None) -> tuple[int, ...]:
        """The values of a survey's scale."""
        return self.scale_of(survey_id).values

    @property
    def scales(self) -> tuple[AnswerScale, ...]:
        """Every distinct scale the bank's surveys are answered on, the Likert scale first."""
        found = {self.likert_scale.id: self.likert_scale}
        for survey in self.surveys.values():
            if survey.scale is not None:
                found.setdefault(survey.scale.id, survey.scale)
        return tuple(found.values())

    def answer_value(self, raw: object, survey_id: str | None = None) -> int | None:
        """An answer as its value on the scale of ``survey_id`` (the bank's Likert scale when None);
        None when not answered. See :meth:`AnswerScale.value_of`: a label or alias in any case and
        spacing, a whole number on the scale (``" 5 "``, ``"4.0"``); blank, "Don't know", "N/A" and
        "Prefer not to say" mean not answered; anything else raises ValueError naming what is accepted."""
        return self.scale_of(survey_id).value_of(raw)


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
        level = ScaleLevel(value=r.get(raw, "value", path, int), label=r.get(raw, "label", path, str), descriptor="")
        likert.append(level)
        aliases[level.value] = _texts(r, raw, "aliases", path)
    values = [lv.value for lv in likert]
    if values != sorted(set(values)):
        r.fail("likert", "values must be unique and in increasing order")
    if any(v not in STORABLE_VALUES for v in values):
        r.fail("likert", "values must lie in 0-9 (answers are stored one digit each)")
    agree_min = r.get(doc, "agree_min", "", int)
    if agree_min not in values:
        r.fail("agree_min", f"must be one of the likert values {values}")

    surveys = {}
    item_ids: set[str] = set()
    raw_surveys = r.mapping(r.get(doc, "surveys", "", dict), "surveys")
    for sid, raw in raw_surveys.items():
        path = f"surveys.{sid}"
        r.mapping(raw, path, ("name", "respondents", "scale", "high_min", "subgroup", "items", "comments"))
        subgroup = _subgroup(r, raw["subgroup"], join(path, "subgroup")) if raw.get("subgroup") is not None else None
        scale = _survey_scale(r, raw, path)

        def read_items(key: str, required: bool, raw: dict = raw, path: str = path) -> tuple[SurveyItem, ...]:
            items = []
            for i, raw_item in enumerate(r.get(raw, key, path, list, required=required, default=[])):
                ip = f"{path}.{key}[{i}]"
                r.mapping(raw_item, ip, ("id", "text", "aliases"))
                item_id = r.get(raw_item, "id", ip, str)
                if item_id in item_ids:
                    r.fail(join(ip, "id"), f"duplicate item id {item_id!r}")
                item_ids.add(item_id)
                items.append(
                    SurveyItem(
                        id=item_id, text=r.get(raw_item, "text", ip, str), aliases=_texts(r, raw_item, "aliases", ip)
                    )
                )
            return tuple(items)

        surveys[str(sid)] = Survey(
            id=str(sid),
            name=r.get(raw, "name", path, str),
            respondents=r.get(raw, "respondents", path, str, required=False, default=str(sid)),
            items=read_items("items", True),
            subgroup=subgroup,
            comments=read_items("comments", False),
            scale=scale,
        )
    if not surveys:
        r.fail("surveys", "no surveys defined")
    return QuestionBank(likert=tuple(likert), agree_min=agree_min, surveys=surveys, path=str(file), aliases=aliases)


def _survey_scale(r: Reader, raw: dict, path: str) -> AnswerScale | None:
    """A survey's own scale (``scale:`` naming a scale of scales.yaml, with ``high_min:``), or None."""
    scale_id = r.get(raw, "scale", path, str, required=False)
    if scale_id is None:
        if raw.get("high_min") is not None:
            r.fail(
                join(path, "high_min"),
                "only for a survey with its own scale: (a Likert survey's share counts from the bank's agree_min)",
            )
        return None
    scales = load_scales()
    if scale_id not in scales:
        r.fail(join(path, "scale"), f"unknown scale {scale_id!r} (scales.yaml: {', '.join(scales)})")
    scale = scales[scale_id]
    if any(v not in STORABLE_VALUES for v in scale.values):
        r.fail(join(path, "scale"), f"the {scale_id} scale has values outside 0-9 (answers are stored one digit each)")
    high_min = r.get(raw, "high_min", path, int, required=False)
    if high_min is None:
        r.fail(
            join(path, "high_min"),
            "required with scale: (the rating at or above which an answer counts toward the share reported)",
        )
    if high_min not in scale.values:
        r.fail(join(path, "high_min"), f"must be one of the {scale_id} values {list(scale.values)}")
    return AnswerScale(id=scale.id, name=scale.name, levels=scale.levels, high_min=high_min, measure=MEASURE_RATING)


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
    subgroup = Subgroup(
        field=r.get(sg, "field", path, str),
        label=r.get(sg, "label", path, str),
        values=values,
        question=r.get(sg, "question", path, str, required=False, default=""),
        aliases=_texts(r, sg, "aliases", path),
        value_labels=tuple((str(v), _texts(r, labels, v, join(path, "value_labels"))) for v in labels),
    )
    seen: dict[str, str] = {}
    for value in values:
        for label in subgroup.labels_of(value):
            if seen.setdefault(_fold(label), value) != value:
                r.fail(join(path, "value_labels"), f"{label!r} means both {seen[_fold(label)]} and {value}")
    return subgroup


@cache
def _load_question_bank_cached(path: str) -> QuestionBank:
    return parse_question_bank(read_yaml(Path(path)), path)


def load_question_bank(path: str | Path | None = None) -> QuestionBank:
    """The question bank: ``path``, else the file named by ``$WQM_QUESTION_BANK``,
    else the bundled ``surveys.yaml``."""
    return _load_question_bank_cached(str(path or os.environ.get(BANK_ENV) or QUESTION_BANK_FILE))


# --------------------------------------------------------------------------
# mappings


def parse_mapping(
    doc: Any, file: str | Path, framework: Framework, bank: QuestionBank, field_prefix: str = ""
) -> SurveyMapping:
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
                r.fail(
                    ip,
                    f"unknown {framework.section_label.lower()} {section!r} for framework "
                    f"{framework.id!r} (known: {', '.join(framework.principle_ids)})",
                )
            mapped[str(item_id)] = section
        surveys[str(sid)] = mapped
    return SurveyMapping(framework=framework.id, surveys=surveys, path=str(file))


@cache
def _read_mapping_file(path: str) -> Any:
    return read_yaml(Path(path))


def load_mapping(framework: Framework, bank: QuestionBank | None = None) -> SurveyMapping:
    """The survey mapping of ``framework``: its inline ``survey_mapping`` block if
    it has one, else the bundled ``mappings/<id>.yaml``, else an empty mapping
    (no survey informs this framework)."""
    bank = bank or load_question_bank()
    if framework.survey_mapping is not None:
        return parse_mapping(
            framework.survey_mapping, framework.path or framework.id, framework, bank, "survey_mapping"
        )
    bundled = MAPPING_DIR / f"{framework.id}.yaml"
    if bundled.exists():
        return parse_mapping(_read_mapping_file(str(bundled)), str(bundled), framework, bank)
    return SurveyMapping(framework=framework.id)
