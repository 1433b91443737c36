"""The benchmarks section of a school report: each figure beside the portfolio and a benchmark file.

:func:`benchmark_section` shows, per survey (and the self-evaluation), each
section's figure for the school, the portfolio median and quartiles with the
number of other schools behind them (or "too few schools"), and, when a
benchmark file is given, its figure with "Source: ..., year" printed under
the table. Only published figures appear: a group the school's figures hide
says why, and the portfolio never includes a hidden group of any school
(:mod:`wqm_nb.model.benchmarks`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data.benchmark_file import BenchmarkFile, load_benchmark_file
from ..data.surveys import MEASURE_AGREEMENT, MEASURE_RATING
from ..model import SchoolAssessment
from ..model.benchmarks import IN_MEMORY, MEASURE_MEAN_RATING, SELF_EVALUATION
from .html import Fragment, Table, is_missing, render


def _value(value: Any, measure: str) -> str:
    """A figure as printed: shares as whole percentages, ratings with one decimal."""
    if is_missing(value):
        return ""
    return f"{float(value):.0%}" if measure == MEASURE_AGREEMENT else f"{float(value):.1f}"


def _schools(k: int) -> str:
    return f"{k} school{'s' if k != 1 else ''}"


def _own_figures(assessment: SchoolAssessment) -> dict[tuple[str, str, str], str]:
    """The school's own figure per (survey, section, measure) as printed: published figures with their
    respondents, or why a group is not shown."""
    current = assessment.current
    out: dict[tuple[str, str, str], str] = {}
    for r in current.figures.whole.itertuples():
        out[(r.survey, r.section_id, MEASURE_AGREEMENT)] = (
            f"not shown: {r.reason}" if r.suppressed else f"{_value(r.agree_share, MEASURE_AGREEMENT)} (n={int(r.n)})"
        )
    for r in current.figures.ratings().itertuples():
        out[(r.survey, r.section_id, MEASURE_RATING)] = (
            f"not shown: {r.reason}" if r.suppressed else f"{_value(r.mean, MEASURE_RATING)} (n={int(r.n)})"
        )
    for r in current.principles.itertuples():
        out[(SELF_EVALUATION, r.principle_id, MEASURE_MEAN_RATING)] = (
            "not rated" if is_missing(r.mean_rating) else _value(r.mean_rating, MEASURE_MEAN_RATING)
        )
    return out


def _file(benchmark_file: BenchmarkFile | str | Path | None) -> BenchmarkFile | None:
    if benchmark_file is None or isinstance(benchmark_file, BenchmarkFile):
        return benchmark_file
    if not str(benchmark_file).strip():
        return None
    return load_benchmark_file(Path(benchmark_file))


def benchmark_section(
    assessment: SchoolAssessment, benchmark_file: BenchmarkFile | str | Path | None = None
) -> Fragment:
    """Each of the school's figures beside the portfolio benchmarks (the other schools of its phase in
    the store) and, when given, a benchmark file's figures (a loaded file or its path; '' or None for
    none)."""
    fw = assessment.framework
    rules = fw.decisions.benchmarks
    bf = _file(benchmark_file)
    phase = assessment.school.get("phase", "")
    why_not = bf.applies_to(fw.id, phase) if bf is not None else ""
    use_file = bf is not None and not why_not
    bench = assessment.benchmarks
    own = _own_figures(assessment)
    by_key = {(r.survey, r.section_id, r.measure): r for r in bench.itertuples()} if len(bench) else {}
    names = {
        SELF_EVALUATION: "Self-evaluation: mean rating",
        **{
            sid: f"{s.name}: {'% agreeing' if s.measure == MEASURE_AGREEMENT else 'mean rating'}"
            for sid, s in assessment.bank.surveys.items()
        },
    }
    measures = {SELF_EVALUATION: MEASURE_MEAN_RATING, **{sid: s.measure for sid, s in assessment.bank.surveys.items()}}
    tables = []
    for survey in [SELF_EVALUATION, *assessment.bank.surveys]:
        measure = measures[survey]
        keys = [(survey, sec, measure) for sec in fw.principle_ids]
        if not any(k in own or k in by_key for k in keys):
            continue
        columns = [fw.section_label, "This school", "Portfolio median", "Portfolio quartiles (25%-75%)"]
        file_used = False
        rows = []
        for key in keys:
            if key not in own and key not in by_key:
                continue
            b = by_key.get(key)
            if b is None:
                median_text = quartiles = "not computed"
            else:
                k = int(b.contributors)
                median_text = (
                    f"{_value(b.median, measure)} ({_schools(k)})"
                    if not is_missing(b.median)
                    else f"too few schools ({k})"
                )
                quartiles = (
                    f"{_value(b.q1, measure)}-{_value(b.q3, measure)} ({_schools(k)})"
                    if not is_missing(b.q1)
                    else f"too few schools ({k})"
                )
            row = [f"{key[1]} {fw.principle(key[1]).name}", own.get(key, "not asked"), median_text, quartiles]
            if use_file and bf is not None:  # (use_file: there is a file)
                f = bf.figure(*key)
                text = ""
                if f is not None:
                    file_used = True
                    text = _value(f.value, measure) + (
                        f" ({_value(f.q1, measure)}-{_value(f.q3, measure)})" if f.q1 is not None else ""
                    )
                row.append(text)
            rows.append(row)
        if use_file:
            columns.append("Benchmark file")
            if not file_used:
                columns.pop()
                rows = [row[:-1] for row in rows]
        tables.append(
            dict(
                title=names[survey],
                table=Table(columns, rows),
                source=bf.citation if file_used and bf is not None else "",
            )
        )
    computed = ""
    if len(bench):
        stamp = str(bench["computed_at"].iloc[0])
        computed = (
            "Computed for this report from the data folder."
            if stamp == IN_MEMORY
            else f"Portfolio figures computed {stamp[:10]}; `wqm benchmarks refresh` recomputes them "
            f"after new survey or self-evaluation data."
        )
    intro = (
        f"The portfolio: the other {phase or 'same-phase'} schools in the store with figures in "
        f"{assessment.year}, never this school itself. Only published figures count (a group hidden in its "
        f"own school's report never does). A median needs at least {rules.min_schools_median} other "
        f"schools, quartiles at least {rules.min_schools_quartiles}."
    )
    notes = [computed] if computed else []
    if not len(bench):
        notes.append(
            "Portfolio benchmarks have not been computed for this store and year: run "
            "`wqm benchmarks refresh --data STORE` (wqm import and wqm batch do it)."
        )
    if bf is not None and why_not:
        notes.append(f"Not compared with {why_not}.")
    return render(
        "benchmarks.html.j2",
        "benchmarks",
        title="Benchmarks",
        intro=intro,
        tables=tables,
        notes=notes,
        empty="No figure to compare this year.",
    )


__all__ = ["benchmark_section"]
