"""One school year seen through one framework: the :class:`YearResult`, and :func:`year_result`, which reads
it from a store (its survey figures a view of the school year's published release)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ..data import Framework, QuestionBank, SurveyMapping
from ..disclosure.ledger import Ledger, published_release
from ..store import Store
from .figures import PublishedFigures, publish_figures, survey_totals
from .sef import sef_elements, sef_principles


@dataclass(frozen=True)
class YearResult:
    """Everything computed for one school in one academic year against one framework.

    ``cycle_id`` is None when the school has recorded no self-evaluation
    against this framework that year (it may still have run surveys).
    """

    year: str
    school_year_id: int
    cycle_id: int | None
    elements: pd.DataFrame  # model.sef.sef_elements
    principles: pd.DataFrame  # model.sef.sef_principles
    figures: PublishedFigures
    notes: pd.DataFrame = field(default_factory=pd.DataFrame)
    reflections: dict[str, dict] = field(default_factory=dict)
    #: the cycle's targets, current state (``store.targets``): target_id, principle_id, text, owner,
    #: review_date, status, carried_from, recorded_by, recorded_at
    targets: tuple[dict, ...] = ()

    @cached_property
    def elements_by_section(self) -> dict[str, pd.DataFrame]:
        """The elements of each section (computed once: the award rules ask for them many times)."""
        return {sec: rows for sec, rows in self.elements.groupby("principle_id", sort=False)}

    @property
    def has_self_evaluation(self) -> bool:
        """Whether any element is rated this year."""
        return bool(self.elements["rating"].notna().any())


def year_result(
    store: Store,
    school_year: dict,
    framework: Framework,
    bank: QuestionBank,
    mapping: SurveyMapping,
    min_group_size: int,
) -> YearResult:
    """Compute one school year against one framework."""
    cycle = store.cycle(school_year["school_id"], school_year["academic_year"], framework.id)
    cycle_id = cycle["cycle_id"] if cycle else None
    ratings = (
        store.current_ratings(cycle_id)
        if cycle_id
        else pd.DataFrame(columns=["element_id", "rating", "evidence", "sorting"])
    )
    elements = sef_elements(framework, ratings)
    survey_data = store.survey_data(school_year["school_year_id"], bank)
    release, _ = published_release(
        Ledger.of(store),
        school_year["school_id"],
        school_year["academic_year"],
        survey_data,
        bank,
        min_group_size,
        survey_totals(survey_data, bank),
        framework,
        mapping,
    )
    return YearResult(
        year=school_year["academic_year"],
        school_year_id=school_year["school_year_id"],
        cycle_id=cycle_id,
        elements=elements,
        principles=sef_principles(framework, elements),
        figures=publish_figures(survey_data, bank, mapping, framework, min_group_size, release),
        notes=store.notes(cycle_id)
        if cycle_id
        else pd.DataFrame(columns=["principle_id", "author", "note", "created_at"]),
        reflections=store.reflections(cycle_id) if cycle_id else {},
        targets=tuple(store.targets(cycle_id)) if cycle_id else (),
    )
