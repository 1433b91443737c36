"""What a store holds per school rather than per cycle: award decisions and the benchmark cache.

:class:`SchoolRecords` is mixed into :class:`~wqm_nb.store.Store`.

* **Award decisions** (``award_decisions``, append-only): each decision an
  assessor made for a school, framework and level: the academic year, the
  date, the outcome (awarded, not awarded, deferred, withdrawn) and the
  reasons. A correction is a new decision that ``supersedes`` the old one;
  :meth:`SchoolRecords.award_decisions` returns the current ones. The award
  rules read them (a level that ``requires_held`` another for some years).
* **Benchmarks** (``benchmarks``, derived): per school, year and framework,
  the portfolio median and quartiles of each of its figures over the *other*
  schools of its phase. :meth:`SchoolRecords.replace_benchmarks` swaps a
  school's rows in one transaction; a report reads only its own rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from ..errors import StoreError
from ..settings import check_academic_year
from .cycle_records import text
from .schema import AWARD_OUTCOMES

if TYPE_CHECKING:
    import pandas as pd

BENCHMARK_COLUMNS = ("survey", "section_id", "measure", "contributors", "median", "q1", "q3")


class SchoolRecords:
    """The per-school methods of :class:`~wqm_nb.store.Store` (mixed in; see the module notes)."""

    conn: sqlite3.Connection
    clock: Callable[[], str]
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _rows: Callable[..., list[dict]]
    _frame: Callable[..., pd.DataFrame]

    # -- award decisions -------------------------------------------------------

    def record_award_decision(
        self,
        school_id: str,
        framework: str,
        level: str,
        academic_year: str,
        *,
        outcome: str,
        decided_on: Any = None,
        assessor: str = "",
        reasons: str = "",
        recorded_by: str = "",
        supersedes: int | None = None,
        recorded_at: str | None = None,
    ) -> int:
        """Append an award decision; returns its id. ``framework`` is a framework id; ``level`` one of
        its level ids (checked by the caller, who holds the framework); ``decided_on`` a date or
        ``YYYY-MM-DD`` (default today); ``recorded_at`` the time it was recorded (default now: given
        by an import that carries it)."""
        self.school(school_id)  # type: ignore[attr-defined]
        try:
            check_academic_year(academic_year)
        except Exception as exc:
            raise StoreError(str(exc)) from None
        if outcome not in AWARD_OUTCOMES:
            raise StoreError(f"outcome must be one of {', '.join(AWARD_OUTCOMES)}, got {outcome!r}")
        day = decided_on.isoformat() if isinstance(decided_on, date) else text(decided_on).strip()
        if not day:
            day = date.today().isoformat()
        try:
            date.fromisoformat(day)
        except ValueError:
            raise StoreError(f"decision date {day!r} is not a date written YYYY-MM-DD") from None
        with self.transaction() as c:
            if supersedes is not None:
                old = c.execute("SELECT school_id FROM award_decisions WHERE decision_id = ?", (supersedes,)).fetchone()
                if old is None or old[0] != school_id:
                    raise StoreError(f"decision {supersedes} is not a decision of {school_id}")
                if c.execute("SELECT 1 FROM award_decisions WHERE supersedes = ?", (supersedes,)).fetchone():
                    raise StoreError(f"decision {supersedes} has been corrected already")
            cur = c.execute(
                "INSERT INTO award_decisions (school_id, framework, level, academic_year, decided_on, assessor,"
                " outcome, reasons, recorded_by, recorded_at, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    school_id,
                    framework,
                    level,
                    academic_year,
                    day,
                    assessor.strip(),
                    outcome,
                    text(reasons).strip(),
                    recorded_by,
                    recorded_at or self.clock(),
                    supersedes,
                ),
            )
            return cast(int, cur.lastrowid)  # typed int | None, but an INSERT always sets it

    def award_decisions(
        self, school_id: str | None = None, framework: str | None = None, history: bool = False
    ) -> list[dict]:
        """Current award decisions (with ``history``: every one, corrected ones too), oldest first."""
        sql = f"SELECT * FROM {'award_decisions' if history else 'award_decisions_current'} WHERE 1 = 1"
        params: tuple = ()
        if school_id:
            sql, params = sql + " AND school_id = ?", params + (school_id,)
        if framework:
            sql, params = sql + " AND framework = ?", params + (framework,)
        return self._rows(sql + " ORDER BY academic_year, decided_on, decision_id", params)

    # -- benchmarks ----------------------------------------------------------

    def replace_benchmarks(self, school_id: str, academic_year: str, framework: str, rows: Iterable[Mapping]) -> int:
        """Replace a school's cached benchmarks for one year and framework; returns the rows written."""
        stamp = self.clock()
        values = [
            (
                school_id,
                academic_year,
                framework,
                r["survey"],
                r["section_id"],
                r["measure"],
                int(r["contributors"]),
                r.get("median"),
                r.get("q1"),
                r.get("q3"),
                stamp,
            )
            for r in rows
        ]
        with self.transaction() as c:
            c.execute(
                "DELETE FROM benchmarks WHERE school_id = ? AND academic_year = ? AND framework = ?",
                (school_id, academic_year, framework),
            )
            c.executemany("INSERT INTO benchmarks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        return len(values)

    def benchmarks(self, school_id: str, academic_year: str, framework: str) -> pd.DataFrame:
        """A school's cached benchmarks (:data:`BENCHMARK_COLUMNS` plus ``computed_at``); empty when none."""
        return self._frame(
            f"SELECT {', '.join(BENCHMARK_COLUMNS)}, computed_at FROM benchmarks "
            "WHERE school_id = ? AND academic_year = ? AND framework = ? "
            "ORDER BY survey, section_id, measure",
            (school_id, academic_year, framework),
        )


__all__ = ["BENCHMARK_COLUMNS", "SchoolRecords"]
