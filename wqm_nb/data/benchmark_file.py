"""A benchmark file: published national or regional figures a consultant loads beside a report.

A report prints the file's figures beside the school's own and its portfolio
benchmarks, with "Source: <source>, <year>" under every use. The file is
YAML (``.yaml``/``.yml``) or CSV (``.csv``) and is validated when loaded;
a mistake is a :class:`~wqm_nb.errors.DataFileError` naming the file and the
field (``national.yaml: figures[3].value: must be between 0 and 100``) or,
for CSV, the row and column. ``docs/benchmarks-example.yaml`` is an example
with made-up figures.

YAML::

    source: National Wellbeing Survey 2024 (Example Institute)   # required: who published the figures
    year: 2024-25              # required: an academic year (2024-25) or a calendar year (2024)
    framework: wqm             # required: the framework whose section ids the figures use
    phase: primary             # optional: the phase the figures describe (primary, secondary,
                               #   all-through, special); a report on another phase does not use them
    illustrative: false        # optional: true prints "illustrative figures, not real data" with the source
    figures:
      - survey: pupil          # a survey of the question bank (staff, pupil, parent, staff_audit)
                               #   or self_evaluation
        section: P1            # a section of the framework (WQM principle P1-P7, VbE aspect A1-A6, LM)
        measure: agreement     # optional: agreement (stakeholder surveys, the default for them),
                               #   rating (a rating survey: the staff audit), mean_rating (self_evaluation)
        value: 78              # agreement: percent agreeing, 0-100; a rating or mean rating: on its scale
        q1: 70                 # optional lower and upper quartiles (both or neither), same units
        q3: 85

CSV: one figure per row, with the columns ``source``, ``year``,
``framework``, ``survey``, ``section``, ``value`` and optionally ``phase``,
``illustrative``, ``measure``, ``q1``, ``q3``; ``source``, ``year``,
``framework``, ``phase`` and ``illustrative`` must be the same on every row.

Shares are held as 0..1 inside (:attr:`BenchmarkFigure.value` of an
``agreement`` figure is 0.78 for "78"), like the published figures.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataFileError
from ..settings import PHASES  # the phases a benchmark file may name (as ``schools.phase``)
from ..spreadsheet import NotText, decode_text, restore
from .frameworks import available_frameworks, load_framework
from .surveys import MEASURE_AGREEMENT, MEASURE_RATING, QuestionBank, load_question_bank
from .yaml_reader import Reader, join, read_yaml

#: the survey id of self-evaluation figures, and their measure
SELF_EVALUATION = "self_evaluation"
MEASURE_MEAN_RATING = "mean_rating"
_YEAR = re.compile(r"^\d{4}(-\d{2})?$")
_TOP_FIELDS = ("source", "year", "framework", "phase", "illustrative", "figures")
_FIGURE_FIELDS = ("survey", "section", "measure", "value", "q1", "q3")
_CSV_REQUIRED = ("source", "year", "framework", "survey", "section", "value")
_CSV_SAME = ("source", "year", "framework", "phase", "illustrative")


@dataclass(frozen=True)
class BenchmarkFigure:
    """One published figure: a survey x section x measure, its value and optional quartiles
    (shares 0..1 for ``agreement``; ratings on their scale)."""

    survey: str
    section_id: str
    measure: str
    value: float
    q1: float | None = None
    q3: float | None = None


@dataclass(frozen=True)
class BenchmarkFile:
    """A loaded benchmark file."""

    source: str
    year: str
    framework: str
    figures: tuple[BenchmarkFigure, ...]
    phase: str = ""
    illustrative: bool = False
    path: str = ""

    @property
    def name(self) -> str:
        return Path(self.path).name if self.path else "<benchmarks>"

    @property
    def citation(self) -> str:
        """What is printed under every use: ``Source: <source>, <year>`` (and a warning for an
        illustrative file)."""
        text = f"Source: {self.source}, {self.year}"
        if self.phase:
            text += f" ({self.phase} schools)"
        if self.illustrative:
            text += ". Illustrative figures, not real data"
        return text + "."

    def figure(self, survey: str, section_id: str, measure: str) -> BenchmarkFigure | None:
        """The figure for one survey x section x measure (None when the file has none)."""
        for f in self.figures:
            if (f.survey, f.section_id, f.measure) == (survey, section_id, measure):
                return f
        return None

    def applies_to(self, framework_id: str, phase: str) -> str:
        """'' when the file's figures apply to a report on ``framework_id`` and a school of ``phase``,
        else why not, in words."""
        if self.framework != framework_id:
            return f"the benchmark file {self.name} has figures for the {self.framework} framework"
        if self.phase and phase and self.phase != phase:
            return f"the benchmark file {self.name} has figures for {self.phase} schools"
        return ""


def _number(r: Reader, raw: dict, key: str, path: str, required: bool) -> float | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            r.fail(join(path, key), "required field is missing")
        return None
    if isinstance(value, bool):
        r.fail(join(path, key), "expected a number, got true/false")
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%").strip())
        except ValueError:
            r.fail(join(path, key), f"expected a number, got {value!r}")
    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        r.fail(join(path, key), f"expected a number, got {value!r}")
    return float(value)


def _figure(r: Reader, raw: Any, path: str, framework: str, bank: QuestionBank) -> BenchmarkFigure:
    r.mapping(raw, path, _FIGURE_FIELDS)
    survey = r.get(raw, "survey", path, str).strip()
    if survey != SELF_EVALUATION and survey not in bank.surveys:
        r.fail(
            join(path, "survey"), f"unknown survey {survey!r} (known: {', '.join([*bank.surveys, SELF_EVALUATION])})"
        )
    default = MEASURE_MEAN_RATING if survey == SELF_EVALUATION else bank.surveys[survey].measure
    measure = (r.get(raw, "measure", path, str, required=False) or default).strip()
    if measure != default:
        r.fail(join(path, "measure"), f"the {survey} figures are {default}, got {measure!r}")
    section = r.get(raw, "section", path, str).strip()
    low, high, unit = 0.0, 100.0, "percent agreeing"
    if framework in available_frameworks():
        fw = load_framework(framework)
        if section not in fw.principle_ids:
            r.fail(
                join(path, "section"),
                f"{framework} has no section {section!r} (sections: {', '.join(fw.principle_ids)})",
            )
        if measure == MEASURE_MEAN_RATING:
            low, high, unit = fw.scale.min, fw.scale.max, f"{fw.scale.name.lower()} rating"
    if measure == MEASURE_RATING:
        answer_scale = bank.scale_of(survey)
        low, high, unit = answer_scale.min, answer_scale.max, f"{answer_scale.name.lower()} rating"
    elif measure == MEASURE_MEAN_RATING and framework not in available_frameworks():
        low, high, unit = 0.0, math.inf, "rating"
    values = {}
    for key in ("value", "q1", "q3"):
        number = _number(r, raw, key, path, key == "value")
        if number is not None and not low <= number <= high:
            r.fail(
                join(path, key),
                f"must be between {low:g} and {high:g} ({unit})" if high != math.inf else "must not be negative",
            )
        values[key] = number
    value, q1, q3 = values["value"], values["q1"], values["q3"]
    assert value is not None  # _number fails when the required value is missing
    if (q1 is None) != (q3 is None):
        r.fail(join(path, "q1" if q1 is None else "q3"), "give both quartiles (q1 and q3) or neither")
    if q1 is not None and q3 is not None and not q1 <= value <= q3:
        r.fail(join(path, "value"), "must lie between q1 and q3")
    scale = 100.0 if measure == MEASURE_AGREEMENT else 1.0
    return BenchmarkFigure(
        survey=survey,
        section_id=section,
        measure=measure,
        value=value / scale,
        q1=None if q1 is None else q1 / scale,
        q3=None if q3 is None else q3 / scale,
    )


def _illustrative(r: Reader, value: Any, path: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    r.fail(path, f"expected true or false, got {value!r}")


def parse_benchmark_file(doc: Any, file: str | Path, bank: QuestionBank | None = None) -> BenchmarkFile:
    """Validate a parsed benchmark document (the YAML layout above) and build a :class:`BenchmarkFile`."""
    bank = bank or load_question_bank()
    r = Reader(file)
    r.mapping(doc, "", _TOP_FIELDS)
    source = " ".join(r.get(doc, "source", "", str).split())
    year = r.get(doc, "year", "", str).strip()
    if not _YEAR.fullmatch(year) or (len(year) == 7 and (int(year[:4]) + 1) % 100 != int(year[5:])):
        r.fail("year", f"must be an academic year such as 2024-25 or a calendar year such as 2024, got {year!r}")
    framework = r.get(doc, "framework", "", str).strip()
    phase = (r.get(doc, "phase", "", str, required=False) or "").strip()
    if phase and phase not in PHASES:
        r.fail("phase", f"must be one of {', '.join(PHASES)}, got {phase!r}")
    illustrative = _illustrative(r, doc.get("illustrative"), "illustrative")
    raw_figures = r.get(doc, "figures", "", list)
    figures = [_figure(r, raw, f"figures[{i}]", framework, bank) for i, raw in enumerate(raw_figures)]
    shares = [(i, f.value) for i, f in enumerate(figures) if f.measure == MEASURE_AGREEMENT]
    if shares and all(v <= 0.01 for _, v in shares) and any(v > 0 for _, v in shares):
        i, v = next((i, v) for i, v in shares if v > 0)
        r.fail(
            f"figures[{i}].value",
            f"agreement is a percentage from 0 to 100: {v * 100:g} looks like a share "
            f"(write {v * 100:g} as {v * 10000:g})",
        )
    seen: dict[tuple, int] = {}
    for i, f in enumerate(figures):
        key = (f.survey, f.section_id, f.measure)
        if key in seen:
            r.fail(
                f"figures[{i}]", f"duplicate figure: {f.survey} {f.section_id} {f.measure} (also figures[{seen[key]}])"
            )
        seen[key] = i
    return BenchmarkFile(
        source=source,
        year=year,
        framework=framework,
        figures=tuple(figures),
        phase=phase,
        illustrative=illustrative,
        path=str(file),
    )


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path.name, "", f"cannot read file: {exc.strerror}") from None
    try:
        text, _ = decode_text(data)
    except NotText as exc:
        raise DataFileError(path.name, "", f"{exc}: save the benchmarks as CSV text") from None
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise DataFileError(path.name, "", "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in _CSV_REQUIRED if c not in header]
    if missing:
        raise DataFileError(
            path.name, "", f"missing column(s): {', '.join(missing)} (a benchmark CSV has {', '.join(_CSV_REQUIRED)})"
        )
    unknown = [h for h in header if h and h not in (*_CSV_SAME, *_FIGURE_FIELDS)]
    if unknown:
        raise DataFileError(
            path.name, "", f"unknown column {unknown[0]!r} (allowed: {', '.join((*_CSV_SAME, *_FIGURE_FIELDS))})"
        )
    records = []
    for number, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        records.append((number, {h: restore(c.strip()) for h, c in zip(header, row, strict=False) if h}))
    if not records:
        raise DataFileError(path.name, "", "no figures: add one row per figure under the header")
    first = records[0][1]
    for number, rec in records[1:]:
        for column in _CSV_SAME:
            if rec.get(column, "") != first.get(column, ""):
                raise DataFileError(
                    path.name,
                    "",
                    f"{column} must be the same on every row (row 2 has {first.get(column, '')!r})",
                    row=number,
                    column=column,
                )
    return records


def load_benchmark_file(path: str | Path, bank: QuestionBank | None = None) -> BenchmarkFile:
    """Load and validate a benchmark file (``.yaml``, ``.yml`` or ``.csv``; see the module notes)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise DataFileError(path.name, "", "a benchmark file is YAML (.yaml, .yml) or CSV (.csv)")
    if not path.is_file():
        raise DataFileError(path.name, "", f"no benchmark file at {path}")
    if suffix != ".csv":
        return parse_benchmark_file(read_yaml(path), path, bank)
    records = _read_csv(path)
    first = records[0][1]
    doc: dict[str, Any] = {key: first.get(key) or None for key in _CSV_SAME}
    doc["figures"] = [{k: rec.get(k) or None for k in _FIGURE_FIELDS} for _, rec in records]
    try:
        return parse_benchmark_file(doc, path, bank)
    except DataFileError as exc:
        found = re.match(r"figures\[(\d+)\]\.?(\w*)", exc.field)
        if not found:
            raise DataFileError(path.name, "", exc.message, row=2, column=exc.field or None) from None
        row, _ = records[int(found.group(1))]
        raise DataFileError(path.name, "", exc.message, row=row, column=found.group(2) or None) from None


__all__ = [
    "BenchmarkFigure",
    "BenchmarkFile",
    "MEASURE_MEAN_RATING",
    "PHASES",
    "SELF_EVALUATION",
    "load_benchmark_file",
    "parse_benchmark_file",
]
