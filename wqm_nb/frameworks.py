"""Frameworks, rating scales and survey question banks.

All three are YAML data files validated on load. A malformed file raises
:class:`DataFileError` whose message names the file and the field, e.g.
``wqm.yaml: principles[2].elements[0].text: required field is missing``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
FRAMEWORK_DIR = DATA_DIR / "frameworks"
SCALES_FILE = DATA_DIR / "scales.yaml"
QUESTION_BANK_FILE = DATA_DIR / "surveys.yaml"

FRAMEWORK_KINDS = ("quality_mark", "checklist")
REFLECTION_AUTHORS = ("school", "adviser")


class DataFileError(ValueError):
    """A data file is malformed. ``file`` and ``field`` say where."""

    def __init__(self, file: str | Path, field: str, message: str):
        self.file = str(file)
        self.field = field
        self.message = message
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------
# data classes


@dataclass(frozen=True)
class ScaleLevel:
    value: int
    label: str
    descriptor: str


@dataclass(frozen=True)
class Scale:
    id: str
    name: str
    description: str
    levels: tuple[ScaleLevel, ...]

    @property
    def min(self) -> int:
        return self.levels[0].value

    @property
    def max(self) -> int:
        return self.levels[-1].value

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)

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
class Criteria:
    min_principle_mean: float | None = None
    min_element_rating: int | None = None
    evidence_required: bool = False
    min_stakeholder_agreement: float | None = None
    consecutive_cycles: int = 1


@dataclass(frozen=True)
class Level:
    id: str
    name: str
    summary: str
    criteria: Criteria
    requires: str | None = None


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


@dataclass(frozen=True)
class SurveyItem:
    id: str
    principle: str
    text: str


@dataclass(frozen=True)
class Subgroup:
    field: str
    label: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Survey:
    id: str
    name: str
    respondents: str
    items: tuple[SurveyItem, ...]
    subgroup: Subgroup | None = None

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


@dataclass(frozen=True)
class QuestionBank:
    framework: str
    likert: tuple[ScaleLevel, ...]
    agree_min: int
    surveys: dict[str, Survey]
    path: str = ""

    def item(self, item_id: str) -> SurveyItem:
        for survey in self.surveys.values():
            for item in survey.items:
                if item.id == item_id:
                    return item
        raise KeyError(f"no survey item {item_id!r}")

    @property
    def likert_values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.likert)


# --------------------------------------------------------------------------
# validation helpers


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            int: "a whole number", float: "a number"}.get(type(value), type(value).__name__)


_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number",
               bool: "true/false", list: "a list", dict: "a mapping"}


class _Reader:
    """Reads one parsed YAML document, failing with file and field path."""

    def __init__(self, file: str | Path):
        self.file = Path(file).name if file else "<data>"
        self.full = str(file)

    def fail(self, path: str, message: str):
        raise DataFileError(self.file, path, message)

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...] | None = None) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_kind(value)}")
        if allowed is not None:
            unknown = sorted(set(map(str, value)) - set(allowed))
            if unknown:
                self.fail(_join(path, unknown[0]),
                          f"unknown field (allowed: {', '.join(allowed)})")
        return value

    def get(self, mapping: dict, key: str, path: str, kind: type,
            required: bool = True, default: Any = None) -> Any:
        where = _join(path, key)
        value = mapping.get(key)
        if value is None:
            if required:
                self.fail(where, "required field is missing")
            return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        bad_bool = isinstance(value, bool) and kind in (int, float)
        if not isinstance(value, kind) or bad_bool:
            self.fail(where, f"expected {_TYPE_NAMES.get(kind, kind.__name__)}, got {_kind(value)}")
        if kind is str and not value.strip():
            self.fail(where, "must not be empty")
        if kind is list and required and not value:
            self.fail(where, "must not be empty")
        return value

    def unique(self, ids: list[str], path: str, what: str = "id"):
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                self.fail(f"{path}[{i}].{what}", f"duplicate {what} {ident!r}")
            seen.add(ident)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(Path(path).name, "", f"cannot read file: {exc.strerror}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise DataFileError(Path(path).name, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc


# --------------------------------------------------------------------------
# scales


def parse_scales(doc: Any, file: str | Path = "scales.yaml") -> dict[str, Scale]:
    r = _Reader(file)
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
            levels.append(ScaleLevel(
                value=r.get(raw, "value", lp, int),
                label=r.get(raw, "label", lp, str),
                descriptor=r.get(raw, "descriptor", lp, str, required=False, default="").strip(),
            ))
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


@lru_cache(maxsize=None)
def _load_scales_cached(path: str) -> dict[str, Scale]:
    return parse_scales(_read_yaml(Path(path)), path)


def load_scales(path: str | Path | None = None) -> dict[str, Scale]:
    return _load_scales_cached(str(path or SCALES_FILE))


# --------------------------------------------------------------------------
# frameworks

_CRITERIA_FIELDS = ("min_principle_mean", "min_element_rating", "evidence_required",
                    "min_stakeholder_agreement", "consecutive_cycles")


def _parse_criteria(r: _Reader, raw: Any, path: str, scale: Scale) -> Criteria:
    r.mapping(raw, path, _CRITERIA_FIELDS)
    mean = r.get(raw, "min_principle_mean", path, float, required=False)
    elem = r.get(raw, "min_element_rating", path, int, required=False)
    agree = r.get(raw, "min_stakeholder_agreement", path, float, required=False)
    cycles = r.get(raw, "consecutive_cycles", path, int, required=False, default=1)
    for key, value in (("min_principle_mean", mean), ("min_element_rating", elem)):
        if value is not None and not scale.min <= value <= scale.max:
            r.fail(_join(path, key), f"must be within the {scale.id} scale ({scale.min} to {scale.max})")
    if agree is not None and not 0 <= agree <= 1:
        r.fail(_join(path, "min_stakeholder_agreement"), "must be a proportion between 0 and 1")
    if cycles < 1:
        r.fail(_join(path, "consecutive_cycles"), "must be at least 1")
    return Criteria(
        min_principle_mean=mean,
        min_element_rating=elem,
        evidence_required=r.get(raw, "evidence_required", path, bool, required=False, default=False),
        min_stakeholder_agreement=agree,
        consecutive_cycles=cycles,
    )


def parse_framework(doc: Any, file: str | Path, scales: dict[str, Scale] | None = None) -> Framework:
    """Validate a parsed framework document and build a :class:`Framework`."""
    scales = scales if scales is not None else load_scales()
    r = _Reader(file)
    r.mapping(doc, "", ("id", "name", "kind", "section_label", "scale", "source",
                        "principles", "levels", "reflections", "report"))
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
        principles.append(Principle(
            id=r.get(raw, "id", path, str),
            name=r.get(raw, "name", path, str),
            elements=tuple(elements),
            key_question=(r.get(raw, "key_question", path, str, required=False) or "").strip() or None,
            activities=tuple(a.strip() for a in activities),
            guidance=(r.get(raw, "guidance", path, str, required=False) or "").strip() or None,
        ))
    r.unique([p.id for p in principles], "principles")
    all_elements = [(i, j, e.id) for i, p in enumerate(principles) for j, e in enumerate(p.elements)]
    seen: dict[str, str] = {}
    for i, j, eid in all_elements:
        if eid in seen:
            r.fail(f"principles[{i}].elements[{j}].id", f"duplicate element id {eid!r}")
        seen[eid] = eid

    levels = []
    for i, raw in enumerate(r.get(doc, "levels", "", list, required=False, default=[])):
        path = f"levels[{i}]"
        r.mapping(raw, path, ("id", "name", "summary", "requires", "criteria"))
        requires = r.get(raw, "requires", path, str, required=False)
        if requires is not None and requires not in [lv.id for lv in levels]:
            r.fail(_join(path, "requires"), f"must name an earlier level, got {requires!r}")
        levels.append(Level(
            id=r.get(raw, "id", path, str),
            name=r.get(raw, "name", path, str),
            summary=r.get(raw, "summary", path, str, required=False, default="").strip(),
            requires=requires,
            criteria=_parse_criteria(r, r.get(raw, "criteria", path, dict), _join(path, "criteria"), scale),
        ))
    r.unique([lv.id for lv in levels], "levels")
    if kind == "quality_mark" and not levels:
        r.fail("levels", "a quality mark needs at least one award level")

    reflections = []
    for i, raw in enumerate(r.get(doc, "reflections", "", list, required=False, default=[])):
        path = f"reflections[{i}]"
        r.mapping(raw, path, ("id", "title", "author"))
        author = r.get(raw, "author", path, str)
        if author not in REFLECTION_AUTHORS:
            r.fail(_join(path, "author"), f"must be one of {', '.join(REFLECTION_AUTHORS)}")
        reflections.append(Reflection(id=r.get(raw, "id", path, str), title=r.get(raw, "title", path, str),
                                      author=author))
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
    )


def available_frameworks() -> list[str]:
    """Ids of the bundled frameworks (their file stems)."""
    return sorted(p.stem for p in FRAMEWORK_DIR.glob("*.yaml"))


def framework_path(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    bundled = FRAMEWORK_DIR / f"{name_or_path}.yaml"
    if not bundled.exists():
        raise KeyError(f"unknown framework {str(name_or_path)!r} (bundled: {', '.join(available_frameworks())})")
    return bundled


@lru_cache(maxsize=None)
def _load_framework_cached(path: str) -> Framework:
    return parse_framework(_read_yaml(Path(path)), path)


def load_framework(name_or_path: str | Path = "wqm") -> Framework:
    """Load a bundled framework by id (``wqm``, ``vbe``, ...) or a YAML file by path."""
    return _load_framework_cached(str(framework_path(name_or_path)))


# --------------------------------------------------------------------------
# survey question banks


def parse_question_bank(doc: Any, file: str | Path, framework: Framework | None = None) -> QuestionBank:
    r = _Reader(file)
    r.mapping(doc, "", ("framework", "likert", "agree_min", "surveys"))
    fw_id = r.get(doc, "framework", "", str)
    if framework is None:
        try:
            framework = load_framework(fw_id)
        except KeyError:
            r.fail("framework", f"unknown framework {fw_id!r}")
    likert = []
    for i, raw in enumerate(r.get(doc, "likert", "", list)):
        path = f"likert[{i}]"
        r.mapping(raw, path, ("value", "label"))
        likert.append(ScaleLevel(value=r.get(raw, "value", path, int), label=r.get(raw, "label", path, str),
                                 descriptor=""))
    values = [lv.value for lv in likert]
    if values != sorted(set(values)):
        r.fail("likert", "values must be unique and in increasing order")
    agree_min = r.get(doc, "agree_min", "", int)
    if agree_min not in values:
        r.fail("agree_min", f"must be one of the likert values {values}")

    surveys = {}
    item_ids: list[str] = []
    raw_surveys = r.mapping(r.get(doc, "surveys", "", dict), "surveys")
    for sid, raw in raw_surveys.items():
        path = f"surveys.{sid}"
        r.mapping(raw, path, ("name", "respondents", "subgroup", "items"))
        subgroup = None
        if raw.get("subgroup") is not None:
            sp = _join(path, "subgroup")
            sg = r.mapping(raw["subgroup"], sp, ("field", "label", "values"))
            sg_values = r.get(sg, "values", sp, list)
            subgroup = Subgroup(field=r.get(sg, "field", sp, str), label=r.get(sg, "label", sp, str),
                                values=tuple(str(v) for v in sg_values))
        items = []
        for i, raw_item in enumerate(r.get(raw, "items", path, list)):
            ip = f"{path}.items[{i}]"
            r.mapping(raw_item, ip, ("id", "principle", "text"))
            principle = r.get(raw_item, "principle", ip, str)
            if principle not in framework.principle_ids:
                r.fail(_join(ip, "principle"),
                       f"unknown principle {principle!r} for framework {framework.id!r}")
            item_id = r.get(raw_item, "id", ip, str)
            if item_id in item_ids:
                r.fail(_join(ip, "id"), f"duplicate item id {item_id!r}")
            item_ids.append(item_id)
            items.append(SurveyItem(id=item_id, principle=principle, text=r.get(raw_item, "text", ip, str)))
        surveys[str(sid)] = Survey(id=str(sid), name=r.get(raw, "name", path, str),
                                   respondents=r.get(raw, "respondents", path, str, required=False,
                                                     default=str(sid)),
                                   items=tuple(items), subgroup=subgroup)
    if not surveys:
        r.fail("surveys", "no surveys defined")
    return QuestionBank(framework=fw_id, likert=tuple(likert), agree_min=agree_min, surveys=surveys,
                        path=str(file))


@lru_cache(maxsize=None)
def _load_question_bank_cached(path: str) -> QuestionBank:
    return parse_question_bank(_read_yaml(Path(path)), path)


def load_question_bank(path: str | Path | None = None) -> QuestionBank:
    return _load_question_bank_cached(str(path or QUESTION_BANK_FILE))


def validate_file(path: str | Path) -> str:
    """Validate any of the three kinds of data file; return a one-line summary."""
    doc = _read_yaml(Path(path))
    if isinstance(doc, dict) and "surveys" in doc:
        bank = parse_question_bank(doc, path)
        n = sum(len(s.items) for s in bank.surveys.values())
        return f"{Path(path).name}: question bank, {len(bank.surveys)} surveys, {n} items"
    if isinstance(doc, dict) and "principles" in doc:
        fw = parse_framework(doc, path)
        return (f"{Path(path).name}: {fw.name}, {len(fw.principles)} {fw.section_label.lower()}s, "
                f"{len(fw.element_ids)} elements, {len(fw.levels)} levels")
    scales = parse_scales(doc, path)
    return f"{Path(path).name}: {len(scales)} scales"
