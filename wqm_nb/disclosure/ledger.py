"""The publication ledger: every release published for a school year, so that a later one is audited with it.

A release (:class:`~wqm_nb.disclosure.release.Release`) is what every surface publishes about a school year:
reports, the app, static pages, exports, the overview. :func:`published_release` is how a surface gets one:

* the release already recorded for the same data, threshold and frameworks (:func:`~.release.release_key`)
  is returned as it was recorded: publishing it again writes nothing, so the same data gives the same
  figures on every surface and every day;
* otherwise a new release is made with every earlier one of the school year (:mod:`.changes`), and recorded
  (under the ledger's write lock, so two publishing processes cannot each miss the other's).

The ledger is a SQLite file beside the data (``<store>.wqm-ledger``; for a CSV folder, beside the folder:
``<folder>.wqm-ledger``; or in ``$WQM_LEDGER_DIR``), git-ignored like the link secret: it holds what was published and digests of the
respondents' answers, not the answers. It is written by the process that publishes, never through a link's
scope (a served page's store is scoped; its kernel publishes what the data and the ledger give, and a page
asks for nothing else). ``wqm ledger`` lists it, ``wqm publish SCHOOL --year Y --dry-run`` shows what a new
release would hide and why, and ``wqm school remove`` erases a school's rows with the school.

A store that started before the ledger starts with an empty one: what was published before is not covered.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import StoreError
from .release import Release, release_key, release_of

SUFFIX = ".wqm-ledger"
SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL,
    school_id TEXT NOT NULL,
    academic_year TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    made_from TEXT NOT NULL,
    content TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (school_id, academic_year, made_from)
);
CREATE INDEX IF NOT EXISTS releases_year ON releases (school_id, academic_year);
"""


#: a folder for every ledger instead (data on a read-only disk; the tests' own runs)
LEDGER_DIR_VARIABLE = "WQM_LEDGER_DIR"


def ledger_path(origin: str | Path) -> Path:
    """The ledger of a data location (a store file or a CSV folder): ``<origin>.wqm-ledger`` beside it, or,
    when ``$WQM_LEDGER_DIR`` names a folder, ``<name>-<digest of the location>.wqm-ledger`` in it."""
    import hashlib
    import os

    origin = Path(origin).resolve()
    folder = os.environ.get(LEDGER_DIR_VARIABLE, "")
    if folder:
        digest = hashlib.sha256(str(origin).encode()).hexdigest()[:12]
        return Path(folder) / f"{origin.name}-{digest}{SUFFIX}"
    return origin.with_name(origin.name + SUFFIX)


@dataclass(frozen=True)
class Entry:
    """One recorded release of a school year."""
    seq: int
    release_id: str
    school_id: str
    academic_year: str
    threshold: int
    made_from: str
    recorded_at: str
    release: Release


class Ledger:
    """The releases published from one data location (see the module notes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def of(cls, store) -> "Ledger | None":
        """The ledger of an open store (or scoped store): beside the CSV folder it stands for, else beside the
        store file; None for a store in memory."""
        origin = getattr(store, "origin", "")
        return cls(ledger_path(origin)) if origin and origin != ":memory:" else None

    @contextmanager
    def _connect(self, write: bool) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.exists():
            yield None
            return
        try:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            if write:
                conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"the publication ledger {self.path} cannot be {'written' if write else 'read'} "
                             f"({exc}); set {LEDGER_DIR_VARIABLE} to a writable folder to keep ledgers there") \
                from exc
        try:
            yield conn
        finally:
            conn.close()

    def entries(self, school_id: str | None = None, academic_year: str | None = None) -> list[Entry]:
        """Recorded releases (of one school, one school year), oldest first."""
        with self._connect(write=False) as conn:
            if conn is None:
                return []
            return self._entries(conn, school_id, academic_year)

    @staticmethod
    def _entries(conn: sqlite3.Connection, school_id: str | None, academic_year: str | None) -> list[Entry]:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'releases'").fetchone():
            return []
        sql, args = "SELECT * FROM releases", []
        if school_id is not None:
            sql += " WHERE school_id = ?"
            args.append(school_id)
            if academic_year is not None:
                sql += " AND academic_year = ?"
                args.append(academic_year)
        rows = conn.execute(sql + " ORDER BY seq", args).fetchall()
        return [Entry(seq, rid, school, year, threshold, made_from, at, Release.from_json(json.loads(content)))
                for seq, rid, school, year, threshold, made_from, content, at in rows]

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """The ledger under its write lock (``BEGIN IMMEDIATE``): read, decide and record as one step."""
        with self._connect(write=True) as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"the publication ledger {self.path} is busy or cannot be written: {exc}") from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def remove_school(self, school_id: str) -> int:
        """Erase a school's recorded releases (``wqm school remove``); returns how many."""
        if not self.path.exists():
            return 0
        with self.writing() as conn:
            return conn.execute("DELETE FROM releases WHERE school_id = ?", (school_id,)).rowcount


def _record(conn: sqlite3.Connection, school_id: str, year: str, made_from: str, release: Release) -> None:
    conn.execute("INSERT INTO releases (release_id, school_id, academic_year, threshold, made_from, content, "
                 "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (release.release_id, school_id, year, release.threshold, made_from,
                  json.dumps(release.to_json(), sort_keys=True), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))


def published_release(ledger: Ledger | None, school_id: str, year: str, data, bank, threshold: int,
                      respondents: dict[str, int], framework=None, mapping=None, record: bool = True) \
        -> tuple[Release, bool]:
    """The release a surface publishes for a school year, and whether it is new (see the module notes). With
    ``record`` False (a dry run) a new release is made but not recorded. Without a ledger (a store in memory)
    the release is made with no earlier ones."""
    made_from = release_key(data, threshold, respondents, framework, mapping)
    if ledger is None:
        return release_of(data, bank, threshold, respondents, framework, mapping), True
    recorded = ledger.entries(school_id, year)
    for entry in recorded:                                    # the common case, without the write lock
        if entry.made_from == made_from:
            return entry.release, False
    if not record:
        return release_of(data, bank, threshold, respondents, framework, mapping, [e.release for e in recorded]), \
            True
    with ledger.writing() as conn:
        entries = Ledger._entries(conn, school_id, year)
        for entry in entries:
            if entry.made_from == made_from:                    # another process recorded it meanwhile
                return entry.release, False
        release = release_of(data, bank, threshold, respondents, framework, mapping, [e.release for e in entries])
        _record(conn, school_id, year, made_from, release)
    return release, True


def publish_school(store, school_id: str, upto_year: str, framework, threshold: int) -> None:
    """Publish (record) the releases a report of ``school_id`` for ``upto_year`` shows: that year and every
    earlier one, as :func:`published_release` does for each (a batch does this before it ships a school's
    data to a worker that cannot reach the ledger)."""
    from ..data import load_mapping, load_question_bank
    from ..model.figures import survey_totals

    bank = load_question_bank()
    mapping = load_mapping(framework, bank)
    ledger = Ledger.of(store)
    for sy in store.school_years(school_id):
        if sy["academic_year"] <= upto_year:
            data = store.survey_data(sy["school_year_id"], bank)
            published_release(ledger, school_id, sy["academic_year"], data, bank, threshold,
                              survey_totals(data, bank), framework, mapping)


def copy_school(ledger: Ledger, school_id: str, target: Path) -> Path:
    """A ledger file at ``target`` holding only ``school_id``'s releases (shipped with its data)."""
    out = Ledger(target)
    with out.writing() as conn:
        for e in ledger.entries(school_id):
            _record(conn, e.school_id, e.academic_year, e.made_from, e.release)
    return target


__all__ = ["Entry", "LEDGER_DIR_VARIABLE", "Ledger", "SUFFIX", "copy_school", "ledger_path", "publish_school",
           "published_release"]
