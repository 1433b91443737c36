"""What a store holds per cycle (one school, framework and year): SEF element
history, reflections, adviser notes and targets, and starting a new year.

:class:`CycleRecords` is mixed into :class:`~wqm_nb.store.Store`; every
method appends to an append-only history table (see
:mod:`wqm_nb.store.schema`) in one transaction, after checking what it writes
against the cycle's framework. The current value of anything is its latest
entry; nothing is ever changed in place, so every earlier value stays
readable (:meth:`CycleRecords.rating_history`, :meth:`~CycleRecords.note_history`,
:meth:`~CycleRecords.target_history`).

An element's entry is its whole state after one edit: rating (may be empty),
evidence and the NCB tool's sorting. A target keeps its ``target_id`` across
edits and across the years it is carried into by :meth:`CycleRecords.start_year`.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from ..data import Framework, load_framework
from ..errors import SettingsError, StoreError
from .schema import OPEN_TARGET_STATUSES, SORTINGS, TARGET_STATUSES

if TYPE_CHECKING:
    import pandas as pd

#: Where an element's entry came from, as stored in ``sef_history.source``.
SOURCES = ("", "form", "xlsx", "csv", "cli")
ELEMENT_FIELDS = ("element_id", "rating", "evidence", "sorting", "recorded_by", "recorded_at", "source")
TARGET_FIELDS = (
    "target_id",
    "principle_id",
    "text",
    "owner",
    "review_date",
    "status",
    "carried_from",
    "recorded_by",
    "recorded_at",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def whole_number(value: Any) -> int | None:
    """``value`` as an int if it is a whole number (4, 4.0 or "4"), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def text(value: Any) -> str:
    """``value`` as text; None and NaN become '', and NUL characters (never meaningful in
    what people write, and they end a string for SQLite's text functions) are dropped."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).replace("\x00", "")


def is_blank(value: Any) -> bool:
    """Whether ``value`` means "no value" (None, NaN or blank text)."""
    return not text(value).strip()


def check_rating(framework: Framework, element_id: str, value: Any) -> int | None:
    """``value`` as a rating on the framework's scale (None for blank); StoreError otherwise."""
    if is_blank(value):
        return None
    rating = whole_number(value)
    if rating is None:
        raise StoreError(f"element {element_id}: rating must be a whole number, got {value!r}")
    if rating not in framework.scale.values:
        raise StoreError(
            f"element {element_id}: rating {rating} is not on the {framework.scale.id} scale "
            f"{list(framework.scale.values)}"
        )
    return rating


def check_sorting(element_id: str, value: Any) -> str:
    """``value`` as a stored sorting ('' for blank); StoreError naming the choices otherwise."""
    sorting = text(value).strip()
    if sorting and sorting not in SORTINGS:
        raise StoreError(f"element {element_id}: sorting must be one of {', '.join(SORTINGS)}, got {sorting!r}")
    return sorting


def check_review_date(value: Any) -> str:
    """A review date as ``YYYY-MM-DD`` ('' for none); StoreError for anything else."""
    if isinstance(value, date):
        return value.isoformat()
    day = text(value).strip()
    if not day:
        return ""
    try:
        if not _DATE.match(day):
            raise ValueError
        date.fromisoformat(day)
    except ValueError:
        raise StoreError(f"review date {day!r} is not a date written YYYY-MM-DD") from None
    return day


def new_target_id() -> str:
    """A fresh target id (``T-`` and eight hex digits)."""
    return f"T-{secrets.token_hex(4)}"


class CycleRecords:
    """The cycle history methods of :class:`~wqm_nb.store.Store` (mixed in; see the module notes)."""

    conn: sqlite3.Connection
    clock: Callable[[], str]
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _rows: Callable[..., list[dict]]
    _frame: Callable[..., pd.DataFrame]
    _where: Callable[..., tuple[str, tuple]]

    def _cycle_framework(self, cycle_id: int, framework: Framework | None) -> Framework:
        row = self.conn.execute("SELECT framework FROM cycles WHERE cycle_id = ?", (cycle_id,)).fetchone()
        if row is None:
            raise StoreError(f"no cycle {cycle_id}")
        if framework is not None:
            if framework.id != row[0]:
                raise StoreError(f"cycle {cycle_id} is a {row[0]} cycle, not {framework.id}")
            return framework
        try:
            return load_framework(row[0])
        except SettingsError as exc:
            raise StoreError(f"cycle {cycle_id}: {exc}") from None

    # -- SEF elements -------------------------------------------------------

    def record_ratings(
        self,
        cycle_id: int,
        ratings: Iterable[Mapping],
        recorded_by: str = "",
        framework: Framework | None = None,
        source: str = "",
    ) -> list[int]:
        """Append element entries: mappings with ``element_id`` and any of ``rating`` (blank for
        none), ``evidence``, ``sorting``, ``recorded_by``, ``recorded_at``, ``source``.

        Each entry is the element's whole state after the edit. All are
        validated against the cycle's framework (``framework`` for a custom
        framework file) and written in one transaction; if any is invalid
        nothing is written.
        """
        fw = self._cycle_framework(cycle_id, framework)
        valid_elements = set(fw.element_ids)
        rows = []
        for r in ratings:
            element_id = text(r.get("element_id"))
            if element_id not in valid_elements:
                raise StoreError(f"element {element_id!r} is not in framework {fw.id!r}")
            entry_source = text(r.get("source")) or source
            if entry_source not in SOURCES:
                raise StoreError(f"source must be one of {', '.join(s for s in SOURCES if s)}, got {entry_source!r}")
            rows.append(
                (
                    cycle_id,
                    element_id,
                    check_rating(fw, element_id, r.get("rating")),
                    text(r.get("evidence")).strip(),
                    check_sorting(element_id, r.get("sorting")),
                    text(r.get("recorded_by")) or recorded_by,
                    text(r.get("recorded_at")) or self.clock(),
                    entry_source,
                )
            )
        ids: list[int] = []
        with self.transaction() as c:
            for row in rows:
                cur = c.execute(
                    "INSERT INTO sef_history (cycle_id, element_id, rating, evidence, sorting, recorded_by, "
                    "recorded_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                ids.append(cast(int, cur.lastrowid))  # typed int | None, but an INSERT always sets it
        return ids

    def record_rating(
        self,
        cycle_id: int,
        element_id: str,
        rating: int | None,
        evidence: str = "",
        recorded_by: str = "",
        recorded_at: str | None = None,
        framework: Framework | None = None,
        sorting: str = "",
        source: str = "",
    ) -> int:
        """Append one element entry; see :meth:`record_ratings`."""
        return self.record_ratings(
            cycle_id,
            [
                dict(
                    element_id=element_id,
                    rating=rating,
                    evidence=evidence,
                    sorting=sorting,
                    recorded_by=recorded_by,
                    recorded_at=recorded_at,
                )
            ],
            framework=framework,
            source=source,
        )[0]

    def current_ratings(self, cycle_id: int) -> pd.DataFrame:
        """The current state of every element with an entry (latest ``recorded_at``, ties by entry order)."""
        return self._frame(
            "SELECT element_id, rating, evidence, sorting, recorded_by, recorded_at, source, entry_id "
            "FROM sef_current WHERE cycle_id = ? ORDER BY entry_id",
            (cycle_id,),
        )

    def current_elements(self, cycle_id: int) -> dict[str, dict]:
        """The current state of every element with an entry, as ``{element_id: row}`` (no pandas)."""
        rows = self._rows(
            "SELECT element_id, rating, evidence, sorting, recorded_by, recorded_at, source, entry_id "
            "FROM sef_current WHERE cycle_id = ? ORDER BY entry_id",
            (cycle_id,),
        )
        return {r["element_id"]: r for r in rows}

    def rating_history(self, cycle_id: int, element_id: str | None = None) -> pd.DataFrame:
        """Every element entry of a cycle (of one element if given), in entry order."""
        sql, params = self._where("SELECT * FROM sef_history WHERE cycle_id = ?", (cycle_id,), element_id=element_id)
        return self._frame(sql + " ORDER BY entry_id", params)

    def element_history(self, cycle_id: int, element_id: str) -> list[dict]:
        """Every entry of one element, oldest first (no pandas)."""
        return self._rows(
            "SELECT * FROM sef_history WHERE cycle_id = ? AND element_id = ? ORDER BY entry_id", (cycle_id, element_id)
        )

    # -- reflections ---------------------------------------------------------

    def record_reflection(
        self,
        cycle_id: int,
        reflection_id: str,
        body: str,
        author: str = "",
        recorded_at: str | None = None,
        framework: Framework | None = None,
    ) -> int:
        """Append a new version of one of the framework's reflections (e.g. VbE ``next_steps``)."""
        fw = self._cycle_framework(cycle_id, framework)
        if reflection_id not in {r.id for r in fw.reflections}:
            known = ", ".join(r.id for r in fw.reflections) or "none"
            raise StoreError(f"reflection {reflection_id!r} is not in framework {fw.id!r} (known: {known})")
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO reflections (cycle_id, reflection_id, text, author, recorded_at) VALUES (?, ?, ?, ?, ?)",
                (cycle_id, reflection_id, text(body), author or "", recorded_at or self.clock()),
            )
            return cast(int, cur.lastrowid)  # typed int | None, but an INSERT always sets it

    def reflections(self, cycle_id: int) -> dict[str, dict]:
        """The current text of each reflection recorded for a cycle: ``{id: {text, author, recorded_at}}``."""
        rows = self._rows(
            "SELECT reflection_id, text, author, recorded_at FROM reflections WHERE cycle_id = ? "
            "ORDER BY recorded_at, entry_id",
            (cycle_id,),
        )
        return {r["reflection_id"]: r for r in rows}

    def reflection_history(self, cycle_id: int, reflection_id: str) -> list[dict]:
        """Every version of one reflection, oldest first."""
        return self._rows(
            "SELECT * FROM reflections WHERE cycle_id = ? AND reflection_id = ? ORDER BY entry_id",
            (cycle_id, reflection_id),
        )

    # -- adviser notes ---------------------------------------------------

    def add_note(
        self,
        cycle_id: int,
        note: str,
        author: str = "",
        principle_id: str = "",
        created_at: str | None = None,
        framework: Framework | None = None,
        supersedes: int | None = None,
    ) -> int:
        """Add an adviser note to a cycle, for the whole school or one section.

        With ``supersedes`` the note replaces that earlier current note of the
        same cycle and section (its new text; an empty text withdraws it).
        """
        fw = self._cycle_framework(cycle_id, framework)
        if principle_id and principle_id not in fw.principle_ids:
            raise StoreError(f"principle {principle_id!r} is not in framework {fw.id!r}")
        body = text(note).strip()
        if not body and supersedes is None:
            raise StoreError("a note needs some text")
        with self.transaction() as c:
            if supersedes is not None:
                old = c.execute(
                    "SELECT cycle_id, principle_id FROM adviser_notes WHERE note_id = ?", (supersedes,)
                ).fetchone()
                if old is None or (old[0], old[1]) != (cycle_id, principle_id or ""):
                    raise StoreError(f"note {supersedes} is not a note of this cycle and section")
                if c.execute("SELECT 1 FROM adviser_notes WHERE supersedes = ?", (supersedes,)).fetchone():
                    raise StoreError(f"note {supersedes} has been replaced already: reopen to see its latest text")
            cur = c.execute(
                "INSERT INTO adviser_notes (cycle_id, principle_id, author, note, created_at, supersedes) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (cycle_id, principle_id or "", author or "", body, created_at or self.clock(), supersedes),
            )
            return cast(int, cur.lastrowid)  # typed int | None, but an INSERT always sets it

    def notes(self, cycle_id: int) -> pd.DataFrame:
        """A cycle's current adviser notes (not withdrawn or replaced), oldest first."""
        return self._frame(
            "SELECT principle_id, author, note, created_at, note_id FROM adviser_notes_current "
            "WHERE cycle_id = ? ORDER BY created_at, note_id",
            (cycle_id,),
        )

    def current_notes(self, cycle_id: int, principle_id: str | None = None) -> list[dict]:
        """A cycle's current adviser notes (of one section if given; ``''`` for whole-school), oldest first."""
        sql = "SELECT * FROM adviser_notes_current WHERE cycle_id = ?"
        params: tuple = (cycle_id,)
        if principle_id is not None:
            sql, params = sql + " AND principle_id = ?", params + (principle_id,)
        return self._rows(sql + " ORDER BY created_at, note_id", params)

    def note_history(self, cycle_id: int, principle_id: str = "") -> list[dict]:
        """Every note of one section (``''``: whole school) ever written, with withdrawn and replaced ones."""
        return self._rows(
            "SELECT * FROM adviser_notes WHERE cycle_id = ? AND principle_id = ? ORDER BY note_id",
            (cycle_id, principle_id),
        )

    # -- targets -----------------------------------------------------------

    def record_target(
        self,
        cycle_id: int,
        *,
        target_id: str | None = None,
        principle_id: str = "",
        text_: str | None = None,
        owner: str | None = None,
        review_date: Any = None,
        status: str | None = None,
        recorded_by: str = "",
        recorded_at: str | None = None,
        framework: Framework | None = None,
        create: bool = False,
        carried_from: int | None = None,
    ) -> str:
        """Append a target's new state; returns its ``target_id`` (a new one when not given).

        Fields left as None keep the target's current value (a new target
        starts open, with empty text, owner and review date). The principle is
        checked against the cycle's framework, the review date is
        ``YYYY-MM-DD`` and the status one of :data:`~wqm_nb.store.schema.TARGET_STATUSES`.
        A ``target_id`` the cycle does not have is refused, unless ``create``
        (an import that keeps its ids): then a new target starts under that id,
        carried from the cycle ``carried_from`` if given.
        """
        fw = self._cycle_framework(cycle_id, framework)
        target_id = text(target_id).strip() or None
        current = self.target(cycle_id, target_id) if target_id else None
        if target_id and current is None and not create:
            raise StoreError(f"no target {target_id} in this cycle")
        base = current or dict(
            principle_id=principle_id, text="", owner="", review_date="", status="open", carried_from=carried_from
        )
        if current is None and carried_from is not None:
            row = self.conn.execute("SELECT framework FROM cycles WHERE cycle_id = ?", (carried_from,)).fetchone()
            if row is None or row[0] != fw.id or carried_from == cycle_id:
                raise StoreError(
                    f"target {target_id}: cannot be carried from cycle {carried_from}, "
                    f"which is not another {fw.id} cycle"
                )
        principle = principle_id if principle_id else base["principle_id"]
        if principle and principle not in fw.principle_ids:
            raise StoreError(f"principle {principle!r} is not in framework {fw.id!r}")
        state = dict(
            target_id=target_id or new_target_id(),
            principle_id=principle,
            text=base["text"] if text_ is None else text(text_).strip(),
            owner=base["owner"] if owner is None else text(owner).strip(),
            review_date=base["review_date"] if review_date is None else check_review_date(review_date),
            status=base["status"] if status is None else text(status).strip(),
            carried_from=base["carried_from"],
        )
        if state["status"] not in TARGET_STATUSES:
            raise StoreError(f"target status must be one of {', '.join(TARGET_STATUSES)}, got {state['status']!r}")
        with self.transaction() as c:
            self._insert_target(c, cycle_id, state, recorded_by, recorded_at or self.clock())
        return state["target_id"]

    @staticmethod
    def _insert_target(
        c: sqlite3.Connection, cycle_id: int, state: Mapping, recorded_by: str, recorded_at: str
    ) -> None:
        c.execute(
            "INSERT INTO target_history (cycle_id, target_id, principle_id, text, owner, review_date, status, "
            "carried_from, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cycle_id,
                state["target_id"],
                state["principle_id"],
                state["text"],
                state["owner"],
                state["review_date"],
                state["status"],
                state["carried_from"],
                recorded_by,
                recorded_at,
            ),
        )

    def target(self, cycle_id: int, target_id: str) -> dict | None:
        """One target's current state in a cycle, or None."""
        row = self.conn.execute(
            "SELECT * FROM targets_current WHERE cycle_id = ? AND target_id = ?", (cycle_id, target_id)
        ).fetchone()
        return dict(row) if row else None

    def targets(self, cycle_id: int) -> list[dict]:
        """A cycle's targets, current state, in the order they were first recorded."""
        return self._rows(
            "SELECT t.* FROM targets_current t WHERE cycle_id = ? ORDER BY "
            "(SELECT min(entry_id) FROM target_history h WHERE h.cycle_id = t.cycle_id "
            "AND h.target_id = t.target_id)",
            (cycle_id,),
        )

    def target_history(self, cycle_id: int, target_id: str | None = None) -> list[dict]:
        """Every entry of a cycle's targets (of one if given), oldest first."""
        sql, params = self._where("SELECT * FROM target_history WHERE cycle_id = ?", (cycle_id,), target_id=target_id)
        return self._rows(sql + " ORDER BY entry_id", params)

    # -- years -------------------------------------------------------------

    def start_year(self, school_id: str, year: str, framework: str, recorded_by: str = "") -> dict:
        """Start (or continue) the school's cycle for ``framework`` in ``year`` and carry into it the open
        targets of its latest earlier cycle of that framework.

        Returns ``cycle_id``, ``created`` (whether the cycle is new), ``from_year``
        (the earlier cycle's year, or None) and ``carried`` (the target ids
        carried now). Running it again carries only targets not carried yet.
        """
        existed = self.cycle(school_id, year, framework) is not None  # type: ignore[attr-defined]
        with self.transaction() as c:
            cycle_id = self.ensure_cycle(school_id, year, framework)  # type: ignore[attr-defined]
            earlier = [
                cy
                for cy in self.cycles(school_id, framework)  # type: ignore[attr-defined]
                if cy["academic_year"] < year
            ]
            carried: list[str] = []
            if earlier:
                source = earlier[-1]["cycle_id"]
                have = {t["target_id"] for t in self.targets(cycle_id)}
                stamp = self.clock()
                for t in self.targets(source):
                    if t["status"] in OPEN_TARGET_STATUSES and t["target_id"] not in have:
                        self._insert_target(c, cycle_id, {**t, "carried_from": source}, recorded_by, stamp)
                        carried.append(t["target_id"])
        return dict(
            cycle_id=cycle_id,
            created=not existed,
            from_year=earlier[-1]["academic_year"] if earlier else None,
            carried=carried,
        )
