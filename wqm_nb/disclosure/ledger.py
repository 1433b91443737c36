"""The publication ledger: every release published for a school year, so that a later one is audited with it.

A release (:class:`~wqm_nb.disclosure.release.Release`) is what every surface publishes about a school year:
reports, the app, static pages, exports, the overview. :func:`published_release` is how a surface gets one:
the release already recorded for the same data, threshold and frameworks (:func:`~.release.release_key`),
as it was recorded; otherwise a new one made with every earlier one of the school year (:mod:`.changes`) and
recorded under the ledger's write lock.

:class:`Ledger` is the SQLite file (:func:`ledger_path`: ``<store>.wqm-ledger``, ``<folder>.wqm-ledger`` or
in ``$WQM_LEDGER_DIR``), of :class:`Entry` rows. A store seen through a link's scope gives a read-only ledger
(:meth:`Ledger.of`), so a link holder's kernel reads the release the server recorded before it served the
page (:func:`publish_school`, :func:`publish_report`), and a release not recorded raises
:class:`~wqm_nb.errors.NotPublishedError` rather than being published from the kernel. :func:`copy_school`
gives a ledger of one school's releases, shipped with its data.

Portfolio benchmarks are recorded as printed (:meth:`Ledger.record_benchmarks`: the release of each school
they were computed from); the latest release of each school of a year (:meth:`Ledger.latest_ids`) is what
makes a cached benchmark current (:mod:`wqm_nb.model.benchmarks`).

Method: docs/privacy.md, "A school year published again".
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotPublishedError, StoreError
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
CREATE TABLE IF NOT EXISTS overviews (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    trust TEXT NOT NULL,
    academic_year TEXT NOT NULL,
    framework TEXT NOT NULL,
    digest TEXT NOT NULL,
    content TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (trust, academic_year, framework, digest)
);
CREATE TABLE IF NOT EXISTS benchmarks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    academic_year TEXT NOT NULL,
    framework TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    digest TEXT NOT NULL,
    releases TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (academic_year, framework, threshold, digest)
);
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

    def __init__(self, path: str | Path, read_only: bool = False):
        self.path = Path(path)
        #: a ledger read through a link's scope: releases are read, never recorded
        self.read_only = read_only

    @classmethod
    def of(cls, store) -> Ledger | None:
        """The ledger of an open store (or scoped store): beside the CSV folder it stands for, else beside the
        store file; None for a store in memory. Read-only when ``store`` is seen through a link's scope."""
        origin = getattr(store, "origin", "")
        scope = getattr(store, "scope", None)
        read_only = scope is not None and not scope.is_consultant
        return cls(ledger_path(origin), read_only=read_only) if origin and origin != ":memory:" else None

    def recorded_ids(self, school_id: str, upto_year: str) -> list[list[str]]:
        """``[year, release id]`` of the latest release recorded for each year of a school up to ``upto_year``
        (part of a report's key: a cached page or PDF is current only while these are)."""
        with self._connect(write=False) as conn:  # the ids alone: no release is parsed (a page's key)
            if conn is None or not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'releases'").fetchone():
                return []
            rows = conn.execute(
                "SELECT academic_year, release_id FROM releases WHERE school_id = ? AND "
                "academic_year <= ? ORDER BY seq",
                (school_id, upto_year),
            ).fetchall()
        return [[year, rid] for year, rid in sorted(dict(rows).items())]

    def latest_ids(self, academic_year: str) -> dict[str, str]:
        """School id -> the id of the latest release recorded for its ``academic_year`` (what portfolio
        benchmarks of that year are computed from, and what makes them current: :func:`benchmarks_digest`)."""
        with self._connect(write=False) as conn:
            if conn is None or not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'releases'").fetchone():
                return {}
            rows = conn.execute(
                "SELECT school_id, release_id FROM releases WHERE academic_year = ? ORDER BY seq", (academic_year,)
            ).fetchall()
        return dict(sorted(dict(rows).items()))

    def record_benchmarks(self, academic_year: str, framework: str, threshold: int, releases: dict[str, str]) -> bool:
        """Record portfolio benchmarks as printed: the year, framework and threshold, and the release of each
        school they were computed from (``releases``: school id -> release id). False when the same record
        already is (or the ledger is read-only): printing the same benchmarks again writes nothing."""
        return self._insert_once(
            "benchmarks",
            academic_year=academic_year,
            framework=framework,
            threshold=threshold,
            digest=benchmarks_digest(releases),
            releases=json.dumps(dict(sorted(releases.items()))),
        )

    def benchmark_records(self, academic_year: str | None = None) -> list[dict]:
        """The benchmarks recorded as printed (of one year), oldest first: ``academic_year``, ``framework``,
        ``threshold``, ``releases`` (school id -> release id), ``recorded_at``."""
        with self._connect(write=False) as conn:
            if conn is None or not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'benchmarks'").fetchone():
                return []
            sql, args = "SELECT academic_year, framework, threshold, releases, recorded_at FROM benchmarks", []
            if academic_year is not None:
                sql, args = sql + " WHERE academic_year = ?", [academic_year]
            rows = conn.execute(sql + " ORDER BY seq", args).fetchall()
        return [
            {"academic_year": y, "framework": f, "threshold": t, "releases": json.loads(r), "recorded_at": at}
            for y, f, t, r, at in rows
        ]

    @contextmanager
    def _connect(self, write: bool) -> Iterator[sqlite3.Connection | None]:
        if not write and not self.path.exists():
            yield None
            return
        try:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            if write:
                conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(
                f"the publication ledger {self.path} cannot be {'written' if write else 'read'} "
                f"({exc}); set {LEDGER_DIR_VARIABLE} to a writable folder to keep ledgers there"
            ) from exc
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
        return [
            Entry(seq, rid, school, year, threshold, made_from, at, Release.from_json(json.loads(content)))
            for seq, rid, school, year, threshold, made_from, content, at in rows
        ]

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """The ledger under its write lock (``BEGIN IMMEDIATE``): read, decide and record as one step."""
        with self._connect(write=True) as conn:
            assert conn is not None  # None only when reading a ledger not yet written
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

    def overviews(self, trust: str, academic_year: str, framework: str) -> list:
        """The overviews recorded for a trust's year under a framework, oldest first
        (:class:`~.overviews.OverviewRecord`)."""
        from .overviews import OverviewRecord

        with self._connect(write=False) as conn:
            if conn is None or not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'overviews'").fetchone():
                return []
            rows = conn.execute(
                "SELECT content FROM overviews WHERE trust = ? AND academic_year = ? AND framework = ? ORDER BY seq",
                (trust, academic_year, framework),
            ).fetchall()
        return [OverviewRecord.from_json(json.loads(content)) for (content,) in rows]

    def record_overview(self, trust: str, academic_year: str, framework: str, record) -> bool:
        """Record a published overview (:class:`~.overviews.OverviewRecord`); False when the same one already
        is (publishing it again writes nothing)."""
        return self._insert_once(
            "overviews",
            trust=trust,
            academic_year=academic_year,
            framework=framework,
            digest=record.digest,
            content=json.dumps(record.to_json(), sort_keys=True),
        )

    def _insert_once(self, table: str, **values: object) -> bool:
        """Record one row of ``table`` (``values`` by column, ``recorded_at`` added) unless the same is already
        recorded (its unique key); False then, or when the ledger is read-only."""
        if self.read_only:
            return False
        values["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.writing() as conn:
            done = conn.execute(
                f"INSERT OR IGNORE INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
            return done.rowcount > 0

    def remove_school(self, school_id: str) -> int:
        """Erase a school's recorded releases (``wqm school remove``), and the benchmark records computed
        from one of them; returns how many releases. The overviews it was part of stay: they hold a digest of
        its counts, not the counts, and a later overview without it is audited against them."""
        if not self.path.exists():
            return 0
        with self.writing() as conn:
            for seq, releases in conn.execute("SELECT seq, releases FROM benchmarks").fetchall():
                if school_id in json.loads(releases):
                    conn.execute("DELETE FROM benchmarks WHERE seq = ?", (seq,))
            return conn.execute("DELETE FROM releases WHERE school_id = ?", (school_id,)).rowcount


def benchmarks_digest(releases: dict[str, str]) -> str:
    """A digest of the releases portfolio benchmarks were computed from (school id -> release id)."""
    import hashlib

    return hashlib.sha256(json.dumps(dict(sorted(releases.items()))).encode()).hexdigest()[:24]


def _record(conn: sqlite3.Connection, school_id: str, year: str, made_from: str, release: Release) -> None:
    conn.execute(
        "INSERT INTO releases (release_id, school_id, academic_year, threshold, made_from, content, "
        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            release.release_id,
            school_id,
            year,
            release.threshold,
            made_from,
            json.dumps(release.to_json(), sort_keys=True),
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        ),
    )


def published_release(
    ledger: Ledger | None,
    school_id: str,
    year: str,
    data,
    bank,
    threshold: int,
    respondents: dict[str, int],
    framework=None,
    mapping=None,
    record: bool = True,
) -> tuple[Release, bool]:
    """The release a surface publishes for a school year, and whether it is new (see the module notes). With
    ``record`` False (a dry run) a new release is made but not recorded. Without a ledger (a store in memory)
    the release is made with no earlier ones. A read-only ledger (a link's scope) gives only what is recorded:
    :class:`~wqm_nb.errors.NotPublishedError` otherwise."""
    made_from = release_key(data, threshold, respondents, framework, mapping)
    if ledger is None:
        return release_of(data, bank, threshold, respondents, framework, mapping), True
    recorded = ledger.entries(school_id, year)
    for entry in recorded:  # the common case, without the write lock
        if entry.made_from == made_from:
            return entry.release, False
    if ledger.read_only:
        if not any(n for n in respondents.values()) and not len(data.tally_rows()):
            # a year with no survey data yet (a capture link that started it): nothing is published, so
            # nothing needs recording, and no later release has anything to be audited with
            return release_of(data, bank, threshold, respondents, framework, mapping), True
        raise NotPublishedError(
            f"the figures of {school_id} {year} are not published yet (the data or the "
            f"threshold changed since): reload the page, which publishes them"
        )
    if not record:
        return release_of(data, bank, threshold, respondents, framework, mapping, [e.release for e in recorded]), True
    with ledger.writing() as conn:
        entries = Ledger._entries(conn, school_id, year)
        for entry in entries:
            if entry.made_from == made_from:  # another process recorded it meanwhile
                return entry.release, False
        release = release_of(data, bank, threshold, respondents, framework, mapping, [e.release for e in entries])
        _record(conn, school_id, year, made_from, release)
    return release, True


def publish_school(store, school_id: str, upto_year: str, framework, threshold: int) -> None:
    """Publish (record) the releases a report of ``school_id`` for ``upto_year`` shows: that year and every
    earlier one, as :func:`published_release` does for each. A batch does this before it ships a school's
    data to a worker that cannot reach the ledger; the server before it serves a page (whose kernel reads
    the ledger through the link's scope and cannot record)."""
    from ..data import load_mapping, load_question_bank
    from ..model.figures import survey_totals

    bank = load_question_bank()
    mapping = load_mapping(framework, bank)
    ledger = Ledger.of(store)
    for sy in store.school_years(school_id):
        if sy["academic_year"] <= upto_year:
            data = store.survey_data(sy["school_year_id"], bank)
            published_release(
                ledger,
                school_id,
                sy["academic_year"],
                data,
                bank,
                threshold,
                survey_totals(data, bank),
                framework,
                mapping,
            )


#: what :func:`publish_report` last published for a report, so a page load with nothing new costs a few queries
_PUBLISHED: dict[tuple, tuple] = {}


def publish_report(data: str | Path, school_id: str, year: str = "", framework: str = "") -> None:
    """:func:`publish_school` for the report of ``school_id`` (``year``: the school's latest when empty) under
    ``framework`` (an id or a file; the default when empty) in the store at ``data``, at the store's threshold:
    what the server does before it serves a page, a static page or a PDF. Nothing is read again while the
    school's data, the threshold and the ledger file are as they were at the last call."""
    from ..data import load_framework
    from ..settings import DEFAULT_FRAMEWORK
    from ..store import Store

    with Store.open(Path(data), read_only=True) as store:
        year = year or store.school_year(school_id)["academic_year"]
        ledger = Ledger.of(store)
        place = (str(data), school_id, year, framework)

        def state() -> tuple:
            stat = ledger.path.stat() if ledger is not None and ledger.path.exists() else None
            return (
                store.school_data_version(school_id, year),
                store.threshold,
                (stat.st_mtime_ns, stat.st_size, stat.st_ino) if stat else None,
            )

        if _PUBLISHED.get(place) == state():
            return
        publish_school(store, school_id, year, load_framework(framework or DEFAULT_FRAMEWORK), store.threshold)
        _PUBLISHED[place] = state()


def copy_school(ledger: Ledger, school_id: str, target: Path) -> Path:
    """A ledger file at ``target`` holding only ``school_id``'s releases (shipped with its data)."""
    out = Ledger(target)
    with out.writing() as conn:
        for e in ledger.entries(school_id):
            _record(conn, e.school_id, e.academic_year, e.made_from, e.release)
    return target


__all__ = [
    "Entry",
    "benchmarks_digest",
    "LEDGER_DIR_VARIABLE",
    "Ledger",
    "SUFFIX",
    "copy_school",
    "ledger_path",
    "publish_report",
    "publish_school",
    "published_release",
]
