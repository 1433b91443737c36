"""Triangulation: the leaders' self-evaluation beside what staff, pupils and parents report.

:func:`triangulate` (:func:`triangulate_school` for a
:class:`~wqm_nb.model.assessment.SchoolAssessment`'s current year) puts every
framework section's *views* (:func:`views_of`: the leaders' self-evaluation
and the surveys the framework maps) on one scale, a position from 0 to 1
(:func:`rating_position` for a mean rating; the report shows it as points out
of 100, :func:`points`), and flags a blind spot or a hidden strength with the
thresholds of ``decisions.triangulation``
(:class:`~wqm_nb.data.decision_rules.TriangulationRules`). It returns a
:class:`Triangulation`: ``table``, a row per section x view
(:data:`VIEW_COLUMNS`), and ``principles``, a row per section with its flag
(:data:`PRINCIPLE_COLUMNS`).

Only published whole-group figures are read:
:meth:`~wqm_nb.model.figures.PublishedFigures.for_section` (stakeholder
agreement) and :meth:`~wqm_nb.model.figures.PublishedFigures.ratings` (the
staff audit). A view that is hidden, not asked (:data:`NOT_ASKED`) or not
rated (:data:`NOT_RATED`) has no position (NaN) and counts toward no flag.

Method: docs/methodology.md, "Triangulation".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Framework, QuestionBank
from ..data.decision_rules import TriangulationRules
from ..data.surveys import MEASURE_AGREEMENT, MEASURE_RATING
from .assessment import SchoolAssessment
from .year import YearResult

LEADERSHIP = "leadership"
SELF, RATING, AGREEMENT = "self", MEASURE_RATING, MEASURE_AGREEMENT
BLIND_SPOT, HIDDEN_STRENGTH = "blind_spot", "hidden_strength"
FLAG_LABELS = {BLIND_SPOT: "Blind spot", HIDDEN_STRENGTH: "Hidden strength", "": ""}
NOT_RATED, NOT_ASKED = "not rated", "not asked"

VIEW_COLUMNS = ["principle_id", "principle", "view", "view_name", "kind", "position", "value", "n", "text", "reason"]
PRINCIPLE_COLUMNS = ["principle_id", "principle", "leadership", "others", "views", "gap", "flag", "statement"]


def rating_position(value: float, low: float, high: float) -> float:
    """A rating's place on its scale, 0 at ``low`` and 1 at ``high`` (NaN stays NaN; clipped to 0..1)."""
    if value is None or pd.isna(value):
        return np.nan
    if high <= low:
        return np.nan
    return float(min(1.0, max(0.0, (float(value) - low) / (high - low))))


def points(position: float) -> str:
    """A position as points out of 100 ('' when missing)."""
    return "" if position is None or pd.isna(position) else f"{position * 100:.0f}"


@dataclass(frozen=True)
class View:
    """One way of seeing a section: the leaders' self-evaluation or one survey."""

    id: str  # ``leadership`` or a survey id
    name: str  # "Leadership self-evaluation", "Staff audit", "Staff survey"
    short: str  # chart and sentence label: "Leaders", "Staff audit", "Staff", "Pupils", "Parents and carers"
    kind: str  # ``self``, ``rating`` or ``agreement``

    def counts(self, rules: TriangulationRules) -> bool:
        """Whether this view is compared with the leaders' (every survey; the staff audit when the rules say)."""
        return self.kind == AGREEMENT or (self.kind == RATING and rules.staff_audit_counts)


@dataclass(frozen=True)
class Triangulation:
    """The views of every section on the common 0..1 scale, and the flags they raise.

    ``table``: one row per section x view (:data:`VIEW_COLUMNS`): ``position``
    (NaN when not shown), ``value`` in the view's own units (mean rating or
    share), ``n`` (respondents; missing for the leaders and for hidden groups),
    ``text`` (what a reader sees: "3.2 of 4", "62% agree (n=40)", or the
    reason) and ``reason`` ('' when shown).

    ``principles``: one row per section (:data:`PRINCIPLE_COLUMNS`): the
    leaders' position, the mean of the views that count (``others``), how
    many there are (``views``), ``gap`` (leaders minus others), ``flag``
    (``blind_spot``, ``hidden_strength`` or '') and a ``statement`` in words.
    """

    framework: Framework
    views: tuple[View, ...]
    table: pd.DataFrame
    principles: pd.DataFrame
    rules: TriangulationRules
    #: names of surveys the school ran that this framework does not map (shown as a note)
    unmapped: tuple[str, ...] = ()

    def flagged(self, flag: str) -> pd.DataFrame:
        """The sections with one flag (``blind_spot`` or ``hidden_strength``), largest gap first."""
        rows = self.principles[self.principles["flag"] == flag]
        return rows.reindex(rows["gap"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    @property
    def blind_spots(self) -> pd.DataFrame:
        return self.flagged(BLIND_SPOT)

    @property
    def hidden_strengths(self) -> pd.DataFrame:
        return self.flagged(HIDDEN_STRENGTH)

    def position(self, principle_id: str, view: str) -> float:
        """One view's position of one section (NaN when not shown)."""
        t = self.table
        row = t[(t["principle_id"] == principle_id) & (t["view"] == view)]
        return float(row.iloc[0]["position"]) if len(row) else np.nan

    def cell(self, principle_id: str, view: str) -> str:
        """What a reader sees for one view of one section."""
        t = self.table
        row = t[(t["principle_id"] == principle_id) & (t["view"] == view)]
        return str(row.iloc[0]["text"]) if len(row) else NOT_ASKED


def views_of(bank: QuestionBank, year: YearResult) -> tuple[View, ...]:
    """The views a framework's figures allow: the leaders', then every survey the mapping maps (rating
    surveys first, then stakeholder agreement), in question-bank order."""
    figures = year.figures
    mapped = set(figures.item_figures["survey"])
    views = [View(LEADERSHIP, "Leadership self-evaluation", "Leaders", SELF)]
    for kind in (RATING, AGREEMENT):
        for survey in bank.surveys.values():
            if survey.measure == kind and survey.id in mapped:
                short = survey.name if kind == RATING else survey.respondents.capitalize()
                views.append(View(survey.id, survey.name, short, kind))
    return tuple(views)


def _survey_cell(view: View, row, bank: QuestionBank) -> dict:
    """Position, value, n, text and reason of one published-figures row (or of no row: not asked)."""
    if row is None:
        return dict(position=np.nan, value=np.nan, n=pd.NA, text=NOT_ASKED, reason=NOT_ASKED)
    if row.suppressed:
        return dict(position=np.nan, value=np.nan, n=pd.NA, text=row.reason, reason=row.reason)
    if view.kind == RATING:
        scale = bank.scale_of(view.id)
        return dict(
            position=rating_position(row.mean, scale.min, scale.max),
            value=float(row.mean),
            n=int(row.n),
            text=f"{row.mean:.1f} of {scale.max} (n={row.n})",
            reason="",
        )
    return dict(
        position=float(row.agree_share),
        value=float(row.agree_share),
        n=int(row.n),
        text=f"{row.agree_share:.0%} agree (n={row.n})",
        reason="",
    )


def triangulate(
    framework: Framework, bank: QuestionBank, year: YearResult, rules: TriangulationRules | None = None
) -> Triangulation:
    """Every section's views on the common scale and its flag, for one year (rules: the framework's
    ``decisions.triangulation`` unless given)."""
    rules = rules or framework.decisions.triangulation
    figures = year.figures
    views = views_of(bank, year)
    scale = framework.scale
    by_id = year.principles.set_index("principle_id")
    hidden = {(r.survey, r.section_id): r for r in figures.whole.itertuples() if r.suppressed}
    ratings = {(r.survey, r.section_id): r for r in figures.ratings().itertuples()}
    rows, summary = [], []
    for p in framework.principles:
        # numbers only from published rows (for_section); a hidden group gives its reason alone
        shown = {r.survey: r for r in figures.for_section(p.id).itertuples()}
        cells = []
        for view in views:
            if view.kind == SELF:
                mean = by_id.loc[p.id, "mean_rating"] if p.id in by_id.index else np.nan
                rated = not pd.isna(mean)
                cell = dict(
                    position=rating_position(mean, scale.min, scale.max),
                    value=float(mean) if rated else np.nan,
                    n=pd.NA,
                    text=f"{mean:.1f} of {scale.max}" if rated else NOT_RATED,
                    reason="" if rated else NOT_RATED,
                )
            elif view.kind == RATING:
                cell = _survey_cell(view, ratings.get((view.id, p.id)), bank)
            else:
                cell = _survey_cell(view, shown.get(view.id, hidden.get((view.id, p.id))), bank)
            cells.append((view, cell))
            rows.append(
                dict(principle_id=p.id, principle=p.name, view=view.id, view_name=view.name, kind=view.kind, **cell)
            )
        summary.append(_flag(p.id, p.name, cells, rules))
    table = pd.DataFrame(rows, columns=VIEW_COLUMNS)
    table["n"] = table["n"].astype("Int64")
    unmapped = tuple(r.survey_name for r in figures.totals.itertuples() if not r.mapped and figures.responded(r.survey))
    return Triangulation(
        framework=framework,
        views=views,
        table=table,
        principles=pd.DataFrame(summary, columns=PRINCIPLE_COLUMNS),
        rules=rules,
        unmapped=unmapped,
    )


def _flag(principle_id: str, name: str, cells: list[tuple[View, dict]], rules: TriangulationRules) -> dict:
    """One section's comparison: leaders' position, the others' mean, the gap, the flag and its words."""
    leaders = cells[0][1]["position"]
    others = [(view, cell) for view, cell in cells[1:] if view.counts(rules) and not pd.isna(cell["position"])]
    mean = float(np.mean([cell["position"] for _, cell in others])) if others else np.nan
    gap = leaders - mean if others and not pd.isna(leaders) else np.nan
    flag = ""
    if not pd.isna(gap) and len(others) >= rules.min_views:
        # a small tolerance: a gap exactly at the threshold is flagged despite floating point
        if gap >= rules.blind_spot_gap - 1e-9:
            flag = BLIND_SPOT
        elif -gap >= rules.hidden_strength_gap - 1e-9:
            flag = HIDDEN_STRENGTH
    listing = ", ".join(f"{view.short.lower()} {cell['text']}" for view, cell in others)
    if pd.isna(leaders):
        statement = "not rated by the school yet, so there is nothing to compare"
    elif not others:
        statement = "no published stakeholder view to compare with the self-evaluation"
    elif len(others) < rules.min_views:
        statement = (
            f"only {len(others)} published stakeholder view{'s' if len(others) != 1 else ''} "
            f"({listing}); {rules.min_views} are needed to compare"
        )
    elif flag == BLIND_SPOT:
        statement = (
            f"leaders place this at {points(leaders)} of 100 ({cells[0][1]['text']}), stakeholders at "
            f"{points(mean)} on average ({listing}): {points(gap)} points higher than stakeholders "
            f"report. A possible blind spot: governors should hear from stakeholders directly"
        )
    elif flag == HIDDEN_STRENGTH:
        statement = (
            f"stakeholders place this at {points(mean)} of 100 on average ({listing}), leaders at "
            f"{points(leaders)} ({cells[0][1]['text']}): {points(-gap)} points higher than the "
            f"self-evaluation claims. A possible hidden strength: look for the evidence behind it"
        )
    else:
        statement = (
            f"leaders {points(leaders)} of 100 ({cells[0][1]['text']}), stakeholders {points(mean)} "
            f"on average ({listing}): no large gap"
        )
    return dict(
        principle_id=principle_id,
        principle=name,
        leadership=leaders,
        others=mean,
        views=len(others),
        gap=gap,
        flag=flag,
        statement=statement,
    )


def triangulate_school(assessment: SchoolAssessment) -> Triangulation:
    """:func:`triangulate` for a :class:`~wqm_nb.model.assessment.SchoolAssessment`'s current year."""
    return triangulate(assessment.framework, assessment.bank, assessment.current)


__all__ = [
    "BLIND_SPOT",
    "FLAG_LABELS",
    "HIDDEN_STRENGTH",
    "LEADERSHIP",
    "NOT_ASKED",
    "NOT_RATED",
    "Triangulation",
    "View",
    "points",
    "rating_position",
    "triangulate",
    "triangulate_school",
    "views_of",
]
