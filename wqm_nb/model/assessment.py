"""One school's assessment against one framework: :class:`SchoolAssessment`.

:func:`assess_school` is the one place where a report's data is read: it
opens the store named by the settings, reads the school's years up to the one
asked for, and computes every year's :class:`~wqm_nb.model.year.YearResult`
(self-evaluation summaries and published survey figures), the award
readiness and the strengths and areas. Everything above this layer reads the
resulting object and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import pandas as pd

from ..data import Framework, QuestionBank, SurveyMapping, load_framework, load_mapping, load_question_bank
from ..disclosure.threshold import resolve_threshold
from ..settings import ReportSettings
from ..store import Scope, Store
from .awards import Readiness, readiness
from .benchmarks import school_benchmarks
from .evidence import year_evidence
from .judgements import strengths_and_areas
from .year import YearResult, year_result  # noqa: F401 (year_result: still importable from here)


@dataclass(frozen=True)
class SchoolAssessment:
    """A school's assessment in one academic year, with its history."""

    settings: ReportSettings
    school: dict
    framework: Framework
    bank: QuestionBank
    mapping: SurveyMapping
    current: YearResult
    history: tuple[YearResult, ...]  # oldest first, ending with ``current``
    readiness: Readiness | None  # None for a framework without award levels
    strengths: pd.DataFrame
    areas: pd.DataFrame
    #: the school's current award decisions for this framework, oldest first (``store.award_decisions``)
    award_decisions: tuple[dict, ...] = ()
    #: the school's cached portfolio benchmarks for this year and framework (``store.benchmarks``)
    benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: every framework cycle's current elements with evidence in this school year, this framework's
    #: included (``wqm_nb.model.evidence.year_evidence``): the crosswalk shows the others' evidence here
    year_evidence: tuple[dict, ...] = ()

    @property
    def name(self) -> str:
        return self.school["name"]

    @property
    def year(self) -> str:
        return self.current.year

    @property
    def min_group_size(self) -> int:
        return self.settings.min_group_size


def assess_store(store: Store, settings: ReportSettings, framework: Framework | None = None) -> SchoolAssessment:
    """Assess the school named by ``settings`` from an open store."""
    settings = settings.replace(
        min_group_size=resolve_threshold(store.threshold, settings.min_group_size, str(settings.data))
    )
    fw = framework or load_framework(settings.framework)
    bank = load_question_bank()
    mapping = load_mapping(fw, bank)
    school = store.school(settings.school_id)
    target = store.school_year(settings.school_id, settings.year or None)
    years = [y for y in store.school_years(settings.school_id) if y["academic_year"] <= target["academic_year"]]
    history = tuple(year_result(store, y, fw, bank, mapping, settings.min_group_size) for y in years)
    current = history[-1]
    strengths, areas = strengths_and_areas(fw, current.elements, current.principles, current.figures)
    return SchoolAssessment(
        settings=settings.replace(year=current.year),
        school=school,
        framework=fw,
        bank=bank,
        mapping=mapping,
        current=current,
        history=history,
        readiness=readiness(fw, list(history), store.award_decisions(settings.school_id, fw.id))
        if fw.has_levels
        else None,
        strengths=strengths,
        areas=areas,
        award_decisions=tuple(store.award_decisions(settings.school_id, fw.id)),
        benchmarks=school_benchmarks(store, settings.school_id, current.year, fw, settings.min_group_size),
        year_evidence=year_evidence(store, settings.school_id, current.year),
    )


def assess_school(settings: ReportSettings, scope: Scope | None = None) -> SchoolAssessment:
    """Open the settings' data and assess its school (the latest year when ``year`` is empty); with a
    ``scope`` (a served page's), every read goes through the store seen through it."""
    fw = load_framework(settings.framework)
    with Store.open(settings.data_path, read_only=True) as store:
        # a scoped store stands in for the store: it passes every read through, checked against the scope
        return assess_store(cast(Store, store.scoped(scope)) if scope is not None else store, settings, fw)
