"""One school year seen through one framework: the :class:`YearResult`."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .figures import PublishedFigures


@dataclass(frozen=True)
class YearResult:
    """Everything computed for one school in one academic year against one framework.

    ``cycle_id`` is None when the school has recorded no self-evaluation
    against this framework that year (it may still have run surveys).
    """
    year: str
    school_year_id: int
    cycle_id: int | None
    elements: pd.DataFrame            # model.sef.sef_elements
    principles: pd.DataFrame          # model.sef.sef_principles
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
