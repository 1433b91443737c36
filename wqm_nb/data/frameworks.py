"""Frameworks and rating scales: YAML data validated on load.

A framework (``frameworks/*.yaml``) lists its sections (WQM framing principles,
VbE aspects, the Leadership and Management key question) with their
elements, the rating scale it uses (``scales.yaml``), its award levels and
their criteria, the reflections an adviser writes, and the report's
thresholds. A malformed file raises :class:`~wqm_nb.errors.DataFileError`
naming the file and the field, e.g.
``wqm.yaml: principles[2].elements[0].text: required field is missing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from ..errors import DataFileError, SettingsError
from ..settings import DEFAULT_FRAMEWORK
from .decision_rules import DecisionRules, parse_decision_rules
from .yaml_reader import Reader, join, read_yaml

DATA_DIR = Path(__file__).parent
FRAMEWORK_DIR = DATA_DIR / "frameworks"
SCALES_FILE = DATA_DIR / "scales.yaml"

FRAMEWORK_KINDS = ("quality_mark", "checklist")
#: The NCB framing principles tool's sorting of each element (seed 003: "sort it into categories e.g.
#: we do this now; we want to do this; we don't want/understand this"): stored code -> label.
SORTINGS: dict[str, str] = {
    "doing_now": "We do this now",
    "want_to_do": "We want to do this",
    "not_for_us": "We don't want to / don't understand this",
}
REFLECTION_AUTHORS = ("school", "adviser")


# --------------------------------------------------------------------------
# data classes


@dataclass(frozen=True)
class ScaleLevel:
    value: int
    label: str
    descriptor: str


class LevelRange:
    """The values of a scale's ``levels`` (lowest first): shared by rating and answer scales."""

    levels: tuple[ScaleLevel, ...]

    @property
    def min(self) -> int:
        return self.levels[0].value

    @property
    def max(self) -> int:
        return self.levels[-1].value

    @cached_property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)


@dataclass(frozen=True)
class Scale(LevelRange):
    id: str
    name: str
    description: str
    levels: tuple[ScaleLevel, ...]

    def label(self, value: float | int | None) -> str:
        """Label of the nearest level at or below ``value`` ('' for no value)."""
        if value is None or value != value:  # None or NaN
            return ""
        chosen = self.levels[0]
        for level in self.levels:
            if value >= level.value:
                chosen = level
        return chosen.label


@dataclass(frozen=True)
class Element:
    id: str
    text: str


@dataclass(frozen=True)
class Principle:
    id: str
    name: str
    elements: tuple[Element, ...]
    key_question: str | None = None
    activities: tuple[str, ...] = ()
    guidance: str | None = None


@dataclass(frozen=True)
class HeldRequirement:
    """A level the school must already hold, by the award decisions recorded in the store
    (``requires_held: {level: champion, years: 3}``).

    The school holds ``level`` for ``years`` years before the assessed academic year when a
    current (not superseded) ``awarded`` decision for that level, not ended since by a later
    ``withdrawn`` or ``not_awarded`` decision for it, was made in an academic year whose
    first calendar year is at least ``years`` before the assessed year's: awarded in 2022-23
    and assessed in 2025-26 is 3 years held (2025 - 2022); awarded in the assessed year itself
    is 0 years (:func:`wqm_nb.model.awards.held_level` does the counting).
    """

    level: str
    years: int = 0


@dataclass(frozen=True)
class Criteria:
    min_principle_mean: float | None = None
    min_element_rating: int | None = None
    evidence_required: bool = False
    min_stakeholder_agreement: float | None = None
    consecutive_cycles: int = 1
    #: a level the school must already hold, read from the recorded award decisions
    requires_held: HeldRequirement | None = None


@dataclass(frozen=True)
class Level:
    id: str
    name: str
    summary: str
    criteria: Criteria
    requires: str | None = None
    #: what the assessor confirms on the assessment day and no figure can show (e.g. Beacon:
    #: "serving as role models and supporting other schools")
    assessor_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssessmentDay:
    """Who the assessor meets on the assessment day whatever the figures say (seed 000: "hear from
    staff, governors, SLT ... on the day"); the award decision plan adds the groups the figures point to."""

    meet: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reflection:
    id: str
    title: str
    author: str


@dataclass(frozen=True)
class ReportThresholds:
    strength_min_mean: float = 3.5
    strength_min_agreement: float = 0.8
    development_max_rating: int = 2
    development_max_agreement: float = 0.6


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    kind: str
    section_label: str
    scale: Scale
    principles: tuple[Principle, ...]
    levels: tuple[Level, ...] = ()
    reflections: tuple[Reflection, ...] = ()
    report: ReportThresholds = field(default_factory=ReportThresholds)
    source: str = ""
    path: str = ""
    #: the thresholds that turn figures into decisions (``decisions:``; every default when absent)
    decisions: DecisionRules = field(default_factory=DecisionRules)
    #: who is met on an award's assessment day whatever the figures say (``assessment_day:``)
    assessment_day: AssessmentDay = field(default_factory=AssessmentDay)
    #: an inline survey mapping (``survey_mapping:`` in the file), parsed by :mod:`wqm_nb.data.surveys`
    survey_mapping: dict | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def has_levels(self) -> bool:
        """Whether the framework awards levels (a checklist does not)."""
        return bool(self.levels)

    @property
    def rules_file(self) -> str:
        """The rule file as a report prints it: ``wqm_nb/data/frameworks/wqm.yaml`` for a bundled
        framework (the same on every machine), else the path it was loaded from."""
        path = Path(self.path)
        try:
            return (Path("wqm_nb") / path.resolve().relative_to(DATA_DIR.parent.resolve())).as_posix()
        except (ValueError, OSError):
            return self.path or self.id

    def principle(self, principle_id: str) -> Principle:
        for p in self.principles:
            if p.id == principle_id:
                return p
        raise KeyError(f"{self.id}: no principle {principle_id!r}")

    def level(self, level_id: str) -> Level:
        for lv in self.levels:
            if lv.id == level_id:
                return lv
        raise KeyError(f"{self.id}: no level {level_id!r}")

    @property
    def principle_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.principles)

    @property
    def elements(self) -> list[tuple[Principle, Element]]:
        return [(p, e) for p in self.principles for e in p.elements]

    @property
    def element_ids(self) -> tuple[str, ...]:
        return tuple(e.id for _, e in self.elements)

    def principle_of(self, element_id: str) -> Principle:
        for p, e in self.elements:
            if e.id == element_id:
                return p
        raise KeyError(f"{self.id}: no element {element_id!r}")


# --------------------------------------------------------------------------
# scales


def parse_scales(doc: Any, file: str | Path = "scales.yaml") -> dict[str, Scale]:
    """Validate a parsed scales document."""
    r = Reader(file)
    r.mapping(doc, "")
    if not doc:
        r.fail("", "no scales defined")
    scales = {}
    for sid, body in doc.items():
        path = str(sid)
        r.mapping(body, path, ("name", "description", "levels"))
        levels = []
        raw_levels = r.get(body, "levels", path, list)
        for i, raw in enumerate(raw_levels):
            lp = f"{path}.levels[{i}]"
            r.mapping(raw, lp, ("value", "label", "descriptor"))
            levels.append(
                ScaleLevel(
                    value=r.get(raw, "value", lp, int),
                    label=r.get(raw, "label", lp, str),
                    descriptor=r.get(raw, "descriptor", lp, str, required=False, default="").strip(),
                )
            )
        values = [lv.value for lv in levels]
        if values != sorted(set(values)):
            r.fail(f"{path}.levels", "values must be unique and in increasing order")
        scales[str(sid)] = Scale(
            id=str(sid),
            name=r.get(body, "name", path, str),
            description=r.get(body, "description", path, str, required=False, default="").strip(),
            levels=tuple(levels),
        )
    return scales


@cache
def _load_scales_cached(path: str) -> dict[str, Scale]:
    return parse_scales(read_yaml(Path(path)), path)


def load_scales(path: str | Path | None = None) -> dict[str, Scale]:
    """The rating scales (bundled ``scales.yaml`` unless ``path`` is given)."""
    return _load_scales_cached(str(path or SCALES_FILE))


# --------------------------------------------------------------------------
# frameworks

_CRITERIA_FIELDS = (
    "min_principle_mean",
    "min_element_rating",
    "evidence_required",
    "min_stakeholder_agreement",
    "consecutive_cycles",
    "requires_held",
)


def _parse_held(r: Reader, raw: Any, path: str, earlier: list[str]) -> HeldRequirement | None:
    """``requires_held: {level: <an earlier level id>, years: <0 or more>}`` (None when absent)."""
    if raw is None:
        return None
    r.mapping(raw, path, ("level", "years"))
    level = r.get(raw, "level", path, str)
    if level not in earlier:
        r.fail(
            join(path, "level"), f"must name an earlier level ({', '.join(earlier) or 'there is none'}), got {level!r}"
        )
    years = r.get(raw, "years", path, int, required=False, default=0)
    if years < 0:
        r.fail(join(path, "years"), "must not be negative")
    return HeldRequirement(level=level, years=years)


def _parse_criteria(r: Reader, raw: Any, path: str, scale: Scale, earlier: list[str] | None = None) -> Criteria:
    r.mapping(raw, path, _CRITERIA_FIELDS)
    mean = r.get(raw, "min_principle_mean", path, float, required=False)
    elem = r.get(raw, "min_element_rating", path, int, required=False)
    agree = r.get(raw, "min_stakeholder_agreement", path, float, required=False)
    cycles = r.get(raw, "consecutive_cycles", path, int, required=False, default=1)
    for key, value in (("min_principle_mean", mean), ("min_element_rating", elem)):
        if value is not None and not scale.min <= value <= scale.max:
            r.fail(join(path, key), f"must be within the {scale.id} scale ({scale.min} to {scale.max})")
    if agree is not None and not 0 <= agree <= 1:
        r.fail(join(path, "min_stakeholder_agreement"), "must be a proportion between 0 and 1")
    if cycles < 1:
        r.fail(join(path, "consecutive_cycles"), "must be at least 1")
    return Criteria(
        min_principle_mean=mean,
        min_element_rating=elem,
        evidence_required=r.get(raw, "evidence_required", path, bool, required=False, default=False),
        min_stakeholder_agreement=agree,
        consecutive_cycles=cycles,
        requires_held=_parse_held(r, raw.get("requires_held"), join(path, "requires_held"), earlier or []),
    )


def _parse_assessment_day(r: Reader, raw: Any) -> AssessmentDay:
    """``assessment_day: {meet: [group, ...]}`` (every default when absent)."""
    if raw is None:
        return AssessmentDay()
    r.mapping(raw, "assessment_day", ("meet",))
    meet = r.get(raw, "meet", "assessment_day", list, required=False, default=[])
    for j, group in enumerate(meet):
        if not isinstance(group, str) or not group.strip():
            r.fail(f"assessment_day.meet[{j}]", "expected text")
    return AssessmentDay(meet=tuple(g.strip() for g in meet))


def parse_framework(doc: Any, file: str | Path, scales: dict[str, Scale] | None = None) -> Framework:
    """Validate a parsed framework document and build a :class:`Framework`."""
    scales = scales if scales is not None else load_scales()
    r = Reader(file)
    r.mapping(
        doc,
        "",
        (
            "id",
            "name",
            "kind",
            "section_label",
            "scale",
            "source",
            "principles",
            "levels",
            "reflections",
            "report",
            "survey_mapping",
            "decisions",
            "assessment_day",
        ),
    )
    fid = r.get(doc, "id", "", str)
    kind = r.get(doc, "kind", "", str)
    if kind not in FRAMEWORK_KINDS:
        r.fail("kind", f"must be one of {', '.join(FRAMEWORK_KINDS)}, got {kind!r}")
    scale_id = r.get(doc, "scale", "", str)
    if scale_id not in scales:
        r.fail("scale", f"unknown scale {scale_id!r} (known: {', '.join(sorted(scales))})")
    scale = scales[scale_id]

    principles = []
    for i, raw in enumerate(r.get(doc, "principles", "", list)):
        path = f"principles[{i}]"
        r.mapping(raw, path, ("id", "name", "elements", "key_question", "activities", "guidance"))
        elements = []
        for j, raw_el in enumerate(r.get(raw, "elements", path, list)):
            ep = f"{path}.elements[{j}]"
            r.mapping(raw_el, ep, ("id", "text"))
            elements.append(Element(id=r.get(raw_el, "id", ep, str), text=r.get(raw_el, "text", ep, str)))
        activities = r.get(raw, "activities", path, list, required=False, default=[])
        for j, act in enumerate(activities):
            if not isinstance(act, str) or not act.strip():
                r.fail(f"{path}.activities[{j}]", "expected text")
        principles.append(
            Principle(
                id=r.get(raw, "id", path, str),
                name=r.get(raw, "name", path, str),
                elements=tuple(elements),
                key_question=(r.get(raw, "key_question", path, str, required=False) or "").strip() or None,
                activities=tuple(a.strip() for a in activities),
                guidance=(r.get(raw, "guidance", path, str, required=False) or "").strip() or None,
            )
        )
    r.unique([p.id for p in principles], "principles")
    all_elements = [(i, j, e.id) for i, p in enumerate(principles) for j, e in enumerate(p.elements)]
    seen: dict[str, str] = {}
    for i, j, eid in all_elements:
        if eid in seen:
            r.fail(f"principles[{i}].elements[{j}].id", f"duplicate element id {eid!r}")
        seen[eid] = eid

    levels: list[Level] = []
    for i, raw in enumerate(r.get(doc, "levels", "", list, required=False, default=[])):
        path = f"levels[{i}]"
        r.mapping(raw, path, ("id", "name", "summary", "requires", "criteria", "assessor_checks"))
        requires = r.get(raw, "requires", path, str, required=False)
        if requires is not None and requires not in [lv.id for lv in levels]:
            r.fail(join(path, "requires"), f"must name an earlier level, got {requires!r}")
        checks = r.get(raw, "assessor_checks", path, list, required=False, default=[])
        for j, check in enumerate(checks):
            if not isinstance(check, str) or not check.strip():
                r.fail(f"{join(path, 'assessor_checks')}[{j}]", "expected text")
        levels.append(
            Level(
                id=r.get(raw, "id", path, str),
                name=r.get(raw, "name", path, str),
                summary=r.get(raw, "summary", path, str, required=False, default="").strip(),
                requires=requires,
                criteria=_parse_criteria(
                    r, r.get(raw, "criteria", path, dict), join(path, "criteria"), scale, [lv.id for lv in levels]
                ),
                assessor_checks=tuple(" ".join(c.split()) for c in checks),
            )
        )
    r.unique([lv.id for lv in levels], "levels")
    if kind == "quality_mark" and not levels:
        r.fail("levels", "a quality mark needs at least one award level")

    reflections = []
    for i, raw in enumerate(r.get(doc, "reflections", "", list, required=False, default=[])):
        path = f"reflections[{i}]"
        r.mapping(raw, path, ("id", "title", "author"))
        author = r.get(raw, "author", path, str)
        if author not in REFLECTION_AUTHORS:
            r.fail(join(path, "author"), f"must be one of {', '.join(REFLECTION_AUTHORS)}")
        reflections.append(
            Reflection(id=r.get(raw, "id", path, str), title=r.get(raw, "title", path, str), author=author)
        )
    r.unique([x.id for x in reflections], "reflections")

    report = ReportThresholds()
    raw_report = doc.get("report")
    if raw_report is not None:
        r.mapping(raw_report, "report", tuple(ReportThresholds.__dataclass_fields__))
        values = {}
        for key, default in ReportThresholds().__dict__.items():
            values[key] = r.get(raw_report, key, "report", type(default), required=False, default=default)
        report = ReportThresholds(**values)

    return Framework(
        id=fid,
        name=r.get(doc, "name", "", str),
        kind=kind,
        section_label=r.get(doc, "section_label", "", str, required=False, default="Principle"),
        scale=scale,
        principles=tuple(principles),
        levels=tuple(levels),
        reflections=tuple(reflections),
        report=report,
        source=(r.get(doc, "source", "", str, required=False) or "").strip(),
        path=str(file),
        decisions=parse_decision_rules(r, doc.get("decisions")),
        assessment_day=_parse_assessment_day(r, doc.get("assessment_day")),
        survey_mapping=r.mapping(doc["survey_mapping"], "survey_mapping")
        if doc.get("survey_mapping") is not None
        else None,
    )


def available_frameworks() -> list[str]:
    """Ids of the bundled frameworks (their file stems)."""
    return sorted(p.stem for p in FRAMEWORK_DIR.glob("*.yaml"))


def framework_path(name_or_path: str | Path) -> Path:
    """The YAML file of a bundled framework id, or ``name_or_path`` itself if it is a file."""
    candidate = Path(name_or_path)
    if candidate.suffix.lower() in (".yaml", ".yml"):
        if not candidate.is_file():
            raise DataFileError(candidate, "", "no such framework file")
        return candidate
    bundled = FRAMEWORK_DIR / f"{name_or_path}.yaml"
    if str(name_or_path) not in available_frameworks():
        raise SettingsError(
            f"unknown framework {str(name_or_path)!r} (bundled: "
            f"{', '.join(available_frameworks())}; or give a framework YAML file)"
        )
    return bundled


@cache
def _load_framework_cached(path: str) -> Framework:
    return parse_framework(read_yaml(Path(path)), path)


def load_framework(name_or_path: str | Path = DEFAULT_FRAMEWORK) -> Framework:
    """Load a bundled framework by id (``wqm``, ``vbe``, ...) or a YAML file by path."""
    return _load_framework_cached(str(framework_path(name_or_path)))
