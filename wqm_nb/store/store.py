"""The :class:`Store`: one SQLite database holding schools, their academic
years, self-evaluation cycles (SEF rating history, adviser notes,
reflections) and survey responses.

No server is needed: a store is one SQLite file, or an in-memory database
filled from a folder of CSV files (:mod:`wqm_nb.store.csv_exchange`). Every
public write runs in one transaction: it is all written or not at all.
Listings return plain dicts; bulk reads return pandas frames, and pandas is
imported only when one is asked for, so commands such as ``wqm schools`` stay
fast.

Opening, locking and versions:

* ``Store(path)`` opens for writing. A new (absent or empty) file gets the
  schema; a store of an older schema version is migrated forward in one
  transaction after a backup copy is kept beside it (:func:`backup_copy`).
  The journal is set to WAL so that readers never wait for a writer.
* ``Store(path, read_only=True)`` opens with SQLite's ``mode=ro``: it writes
  nothing, creates nothing and refuses an older store, naming the command
  that migrates it.
* A file that is not a wqm store is refused with :class:`StoreError` before
  anything is written to it.
* Writes take SQLite's write lock when their transaction begins
  (``BEGIN IMMEDIATE``), so two writers never interleave: the second waits up
  to ``timeout`` seconds, then fails with a :class:`StoreError` saying the
  store is busy.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data import QuestionBank, load_question_bank
from ..errors import SettingsError, StoreError, UnknownSchoolError, UnknownYearError
from ..settings import DEFAULT_FRAMEWORK, check_academic_year, check_school_id
from .cycle_records import CycleRecords, text, whole_number
from .import_mappings import ImportMappings
from .migrations import upgrade
from .schema import APPLICATION_ID, PHASES, SCHEMA_VERSION, statements
from .school_records import SchoolRecords

if TYPE_CHECKING:
    import pandas as pd

    from .scope import Scope, ScopedStore
    from .surveys import SurveyData

SURVEY_ID_COLUMNS = ("school_id", "academic_year", "respondent")
#: Seconds a write waits for another writer's lock before giving up.
DEFAULT_TIMEOUT = 30.0
#: The tables a version 1 store has (it had no application id to recognise it by).
V1_TABLES = frozenset({"meta", "schools", "cycles", "sef_history", "adviser_notes", "survey_responses"})


def store_file_for_writing(location: str | Path, what: str) -> Path:
    """``location`` when it is a store file; a CSV folder is refused (what ``what`` writes
    would be lost with the scratch store a folder is read into), naming the command that makes a store."""
    path = Path(location)
    if path.is_dir():
        raise SettingsError(
            f"{path} is a CSV folder; {what} writes to a store file: make one with "
            f"`wqm import {path} --data wqm.sqlite` and use that"
        )
    return path


def check_new_threshold(value: int, current: int | None, whose: str) -> None:
    """Refuse a threshold below :data:`~wqm_nb.settings.MIN_GROUP_SIZE_FLOOR`, or below ``current`` (None: never
    set, when any from the floor may be chosen); ``whose`` names the threshold in the message."""
    from ..settings import MIN_GROUP_SIZE_FLOOR

    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_GROUP_SIZE_FLOOR:
        raise SettingsError(f"the threshold must be a whole number of at least {MIN_GROUP_SIZE_FLOOR}, got {value!r}")
    if current is not None and value < current:
        raise SettingsError(
            f"{whose} threshold is {current}; a lower one is refused (groups hidden at {current} "
            f"could then be worked out by difference)"
        )


def folder_threshold_path(folder: str | Path) -> Path:
    """Where a CSV folder's publication threshold is kept: ``<folder>.wqm-threshold`` beside it (a store file
    keeps its own, :attr:`Store.threshold`)."""
    folder = Path(folder)
    return folder.with_name(folder.name + ".wqm-threshold")


def folder_threshold(folder: str | Path) -> int | None:
    """A CSV folder's threshold, None when never set (the default applies)."""
    path = folder_threshold_path(folder)
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8").strip()
    if not text.isdigit():
        raise SettingsError(f"{path}: expected the threshold as a whole number, got {text[:40]!r}")
    return int(text)


def academic_year_of(day: datetime) -> str:
    """Academic year (September to August) that a date falls in."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def now() -> str:
    """The current UTC time as the store records it."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _year(year: str) -> str:
    try:
        return check_academic_year(year)
    except SettingsError as exc:
        raise StoreError(str(exc)) from None


def is_busy(exc: BaseException) -> bool:
    """Whether an SQLite error means another connection holds the lock."""
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in str(exc).lower() for word in ("database is locked", "database table is locked", "busy")
    )


def connect(path: str | Path, read_only: bool = False, timeout: float = DEFAULT_TIMEOUT) -> sqlite3.Connection:
    """An SQLite connection set up the way every store connection is.

    Autocommit (transactions are explicit), rows as :class:`sqlite3.Row`,
    foreign keys and recursive triggers on (so ``INSERT OR REPLACE`` meets the
    history tables' DELETE triggers), a busy timeout of ``timeout`` seconds.
    ``read_only`` opens the file with the URI ``mode=ro`` and sets
    ``query_only``: nothing can be written through it and a missing file is
    not created.
    """
    if read_only:
        conn = sqlite3.connect(
            Path(path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None, timeout=timeout
        )
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=timeout)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA recursive_triggers = ON")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


def store_version(conn: sqlite3.Connection, path: str) -> int | None:
    """The schema version of the wqm store on ``conn``; None for an empty database.

    Only reads. Raises :class:`StoreError` if the file is not a wqm store (not
    SQLite, another application's database) or was written by a newer wqm.
    """

    def foreign(why: str) -> StoreError:
        """The error for a file that is not a wqm store."""
        return StoreError(f"{path}: not a wqm store ({why})")

    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and application_id == 0:
            objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if objects == 0:
                return None
        if application_id not in (0, APPLICATION_ID):
            raise foreign(f"an SQLite file of another application, id {application_id:#x}")
        if "meta" not in tables:
            raise foreign("an SQLite file with other tables")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise
        raise foreign(str(exc)) from None
    if row is None or not str(row[0]).isdigit():
        raise foreign("no schema version")
    version = int(row[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: store schema version {version} was written by a newer wqm; this wqm reads "
            f"version {SCHEMA_VERSION}: upgrade wqm"
        )
    if version == 1 and not (application_id == 0 and V1_TABLES <= tables):
        raise foreign("a version 1 store lacks its tables")
    if version >= 2 and application_id != APPLICATION_ID:
        raise foreign("no wqm application id")
    return version


def backup_copy(path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Copy the store at ``path`` to ``<name>.backup-<UTC time>`` beside it; return the copy's path.

    The copy is made with SQLite's backup API through a read-only connection,
    so it is a consistent snapshot of the last committed state even while
    another connection holds the write lock (as the store's own writes do when
    they back up first). A second backup in the same second gets ``-2``,
    ``-3``, ... after the time.
    """
    source = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    copy, n = source.with_name(f"{source.name}.backup-{stamp}"), 1
    while True:
        try:
            os.close(os.open(copy, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            break
        except FileExistsError:
            n += 1
            copy = source.with_name(f"{source.name}.backup-{stamp}-{n}")
    try:
        src = connect(source, read_only=True, timeout=timeout)
        try:
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except BaseException as exc:
        copy.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"{source}: could not make a backup copy ({exc}); nothing was changed") from None
        raise
    return copy


@contextmanager
def new_store_file(target: str | Path) -> Iterator[Store]:
    """A new store built beside ``target`` under a unique temporary name, renamed over
    ``target`` only when the ``with`` block succeeds; nothing is left behind otherwise."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        with Store(tmp) as store:
            yield store
        tmp.replace(target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


class Store(CycleRecords, SchoolRecords, ImportMappings):
    """A wqm data store in one SQLite database (``":memory:"`` for a scratch store).

    ``read_only`` opens an existing store without writing to it (see the
    module notes); ``timeout`` is how many seconds a write waits for another
    writer. After a write open migrated an older store, ``migrated_from`` is
    its old version and ``backup`` the copy kept beside it (else both None).
    ``clock`` gives the time recorded for a rating, note or reflection that
    comes without one.
    """

    # set only on a CSV folder's scratch store (csv_exchange.open_folder); declared, not assigned, so unset otherwise
    _origin: str

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False, timeout: float = DEFAULT_TIMEOUT):
        self.path = str(path)
        self.read_only = read_only
        self.migrated_from: int | None = None
        self.backup: Path | None = None
        self.clock: Callable[[], str] = now
        self._depth = 0
        if read_only and self.path == ":memory:":
            raise StoreError("a scratch store in memory cannot be opened read-only")
        try:
            self.conn = connect(self.path, read_only, timeout)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
        try:
            self._prepare()
        except BaseException:
            self.conn.close()
            raise

    def _prepare(self) -> None:
        """Check the file is a wqm store of this version; on a write open create or migrate it."""
        try:
            version = store_version(self.conn, self.path)
            if self.read_only:
                if version is None:
                    raise StoreError(f"{self.path}: not a wqm store (an empty file)")
                if version < SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: store schema version {version}, this wqm reads version "
                        f"{SCHEMA_VERSION}; run `wqm migrate --data {self.path}` to upgrade it"
                    )
                return
            if version is None:
                self._create()
            elif version < SCHEMA_VERSION:
                self._migrate()
            self._use_wal()
        except sqlite3.DatabaseError as exc:  # store_version has vetted the file: this is a write that failed
            if is_busy(exc):
                raise self.busy() from None
            raise StoreError(
                f"{self.path}: cannot write to the store ({exc}); a read-only open may still read it"
            ) from None

    def _use_wal(self) -> None:
        """Put a file store in WAL journal mode (persistent), so readers never wait for a writer.

        Two connections switching at once make SQLite refuse one at once
        (rather than deadlock); it retries briefly, and if other connections
        keep the store busy it leaves the switch to the next write open.
        """
        if self.path == ":memory:":
            return
        for attempt in range(1, 6):
            try:
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                time.sleep(0.05 * attempt)

    def _create(self) -> None:
        """Give an empty database the current schema, version and application id."""
        with self.transaction():
            for statement in statements():
                self.conn.execute(statement)
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _migrate(self) -> None:
        """Migrate an older store to :data:`SCHEMA_VERSION` in one transaction, after a backup copy.

        Foreign keys are off while tables are rebuilt (SQLite ignores the
        pragma inside a transaction) and checked before the commit.
        """
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction() as c:
                version = store_version(c, self.path)  # again, under the lock: another process may have done it
                if version is None or version >= SCHEMA_VERSION:
                    return
                backup = backup_copy(self.path)
                try:
                    upgrade(c, version)
                    broken = c.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"{self.path}: migration from version {version} left "
                            f"{len(broken)} rows without their parent (first in {broken[0][0]}); "
                            "the store is unchanged"
                        )
                except sqlite3.DatabaseError as exc:
                    backup.unlink(missing_ok=True)
                    if is_busy(exc):
                        raise
                    raise StoreError(
                        f"{self.path}: migration from schema version {version} failed ({exc}); the store is unchanged"
                    ) from None
                except BaseException:
                    backup.unlink(missing_ok=True)
                    raise
                self.migrated_from, self.backup = version, backup
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    @property
    def version(self) -> int:
        """The store's schema version (:data:`SCHEMA_VERSION` once open)."""
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

    @property
    def scratch(self) -> bool:
        """Whether this store holds a CSV folder for one run only (in memory, or a file
        :func:`~wqm_nb.store.csv_exchange.build_database` marked ``scratch``): nothing is cached in it."""
        if self.path == ":memory:":
            return True
        return self.conn.execute("SELECT 1 FROM meta WHERE key = 'scratch'").fetchone() is not None

    # -- the publication threshold --------------------------------------------

    @property
    def threshold(self) -> int:
        """The store's publication threshold: survey groups with fewer respondents are hidden, on every
        surface that publishes from this store (``meta.min_group_size``; the default, 5, until set)."""
        from ..settings import DEFAULT_MIN_GROUP_SIZE

        row = self.conn.execute("SELECT value FROM meta WHERE key = 'min_group_size'").fetchone()
        return int(row[0]) if row else DEFAULT_MIN_GROUP_SIZE

    @property
    def threshold_set(self) -> bool:
        """Whether the threshold was ever set (:meth:`set_threshold`), rather than the default."""
        return self.conn.execute("SELECT 1 FROM meta WHERE key = 'min_group_size'").fetchone() is not None

    def set_threshold(self, value: int) -> int:
        """Set the store's threshold: at least :data:`~wqm_nb.settings.MIN_GROUP_SIZE_FLOOR`, and never lower
        than it is (the first setting may choose any value from the floor); returns the threshold before."""
        before = self.threshold
        check_new_threshold(value, before if self.threshold_set else None, "the store's")
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES ('min_group_size', ?)", (str(value),))
        return before

    def benchmarks_threshold(self, academic_year: str, framework: str) -> int | None:
        """The threshold the cached benchmarks of a year and framework were computed at (None: unknown,
        cached before thresholds were recorded, or none cached)."""
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (f"benchmarks_threshold:{academic_year}:{framework}",)
        ).fetchone()
        return int(row[0]) if row else None

    def record_benchmarks_threshold(self, academic_year: str, framework: str, value: int) -> None:
        """Record the threshold the cached benchmarks of a year and framework were computed at."""
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                (f"benchmarks_threshold:{academic_year}:{framework}", str(value)),
            )

    def benchmarks_releases(self, academic_year: str, framework: str) -> dict[str, str] | None:
        """The release of each school the cached benchmarks of a year and framework were computed from
        (school id -> release id; None: not recorded, cached before releases were, or made stale by a
        school's removal)."""
        import json

        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (f"benchmarks_releases:{academic_year}:{framework}",)
        ).fetchone()
        return dict(json.loads(row[0])) if row else None

    def record_benchmarks_releases(self, academic_year: str, framework: str, releases: dict[str, str]) -> None:
        """Record the release of each school the cached benchmarks of a year and framework were computed from."""
        import json

        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                (f"benchmarks_releases:{academic_year}:{framework}", json.dumps(dict(sorted(releases.items())))),
            )

    @property
    def origin(self) -> str:
        """The data location this store stands for (its publication ledger is kept beside it): the CSV folder
        it was read from (for one run, :attr:`scratch`, or for a batch), else its own file."""
        if getattr(self, "_origin", ""):
            return self._origin
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key IN ('origin', 'scratch') ORDER BY key LIMIT 1"
        ).fetchone()
        return row[0] if row else str(self.path)

    def busy(self) -> StoreError:
        """The error for a write that could not get the store's lock in time."""
        return StoreError(f"the store {self.path} is busy: another wqm command is writing to it; try again")

    # -- opening ---------------------------------------------------------

    @classmethod
    def open(cls, location: str | Path, read_only: bool = False, timeout: float = DEFAULT_TIMEOUT) -> Store:
        """Open a store file, or load a folder of CSV files into memory.

        ``read_only`` opens a file with ``mode=ro`` (see :class:`Store`); a
        folder is loaded into a scratch store that then refuses writes
        (:func:`~wqm_nb.store.csv_exchange.open_folder`, which the CSV format's
        module registers: it imports this one, not the other way round).
        """
        location = Path(location)
        if location.is_dir():
            return _FOLDER_OPENER[0](location, read_only)
        if not location.exists():
            raise StoreError(f"no data at {location} (expected a store file or a CSV folder)")
        return cls(location, read_only=read_only, timeout=timeout)

    def scoped(self, scope: Scope) -> ScopedStore:
        """This store seen through ``scope``: every read and write checked against it (:mod:`.scope`)."""
        from .scope import ScopedStore

        return ScopedStore(self, scope)

    def close(self) -> None:
        """Close the connection (a file store in WAL mode is checkpointed by the last one to close)."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside succeed together or are rolled back together.

        The outermost transaction takes the store's write lock at once
        (``BEGIN IMMEDIATE``), waiting up to the store's timeout for another
        writer; if it cannot, or a statement inside meets a lock, it raises the
        :meth:`busy` :class:`StoreError` and nothing is written. Nested
        transactions are savepoints. A read-only store refuses to begin one.
        """
        if self.read_only:
            raise StoreError(f"the store {self.path} was opened read-only; nothing was written")
        name = f"sp{self._depth}"
        try:
            self.conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise self.busy() from None
            raise
        self._depth += 1
        try:
            yield self.conn
        except BaseException as exc:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            if is_busy(exc):
                raise self.busy() from None
            raise
        self._depth -= 1
        try:
            self.conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")
        except sqlite3.OperationalError as exc:
            if self._depth == 0 and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if is_busy(exc):
                raise self.busy() from None
            raise

    def _rows(self, sql: str, params: tuple = ()) -> list[dict]:
        return [dict(r) for r in self.conn.execute(sql, params)]

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        import pandas as pd

        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return pd.DataFrame([tuple(row) for row in cur.fetchall()], columns=cols)

    @staticmethod
    def _where(sql: str, params: tuple, **filters: Any) -> tuple[str, tuple]:
        """``sql`` (ending in a WHERE clause) narrowed by the filters that are set."""
        for column, value in filters.items():
            if value:
                sql += f" AND {column} = ?"
                params += (value,)
        return sql, params

    # -- schools -----------------------------------------------------------

    def add_school(
        self,
        school_id: str,
        name: str,
        phase: str,
        trust: str = "",
        local_authority: str = "",
        pupils: int | None = None,
    ) -> None:
        """Add a school; its id must match :data:`wqm_nb.settings.SCHOOL_ID_PATTERN`."""
        try:
            check_school_id(school_id, "school id")
        except SettingsError as exc:
            raise StoreError(str(exc)) from None
        if phase not in PHASES:
            raise StoreError(f"school {school_id}: phase must be one of {', '.join(PHASES)}, got {phase!r}")
        if not str(name).strip():
            raise StoreError(f"school {school_id}: a school needs a name")
        with self.transaction() as c:
            try:
                c.execute(
                    "INSERT INTO schools VALUES (?, ?, ?, ?, ?, ?)",
                    (school_id, name, phase, trust or "", local_authority or "", pupils),
                )
            except sqlite3.IntegrityError as exc:
                if c.execute("SELECT 1 FROM schools WHERE school_id = ?", (school_id,)).fetchone():
                    raise StoreError(f"school {school_id} is already in the store") from None
                raise StoreError(f"school {school_id}: {exc}") from None

    def schools(self, trust: str | None = None) -> list[dict]:
        """Schools (of one trust if given), by id."""
        sql, params = self._where("SELECT * FROM schools WHERE 1", (), trust=trust)
        return self._rows(sql + " ORDER BY school_id", params)

    def school(self, school_id: str) -> dict:
        """One school; :class:`UnknownSchoolError` if there is none."""
        row = self.conn.execute("SELECT * FROM schools WHERE school_id = ?", (school_id,)).fetchone()
        if row is None:
            raise UnknownSchoolError(school_id, [s["school_id"] for s in self.schools()])
        return dict(row)

    # -- school years --------------------------------------------------------

    def ensure_school_year(self, school_id: str, year: str) -> int:
        """The id of the school's year, created if needed."""
        _year(year)
        self.school(school_id)
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO school_years (school_id, academic_year) VALUES (?, ?)", (school_id, year))
            return c.execute(
                "SELECT school_year_id FROM school_years WHERE school_id = ? AND academic_year = ?", (school_id, year)
            ).fetchone()[0]

    def school_years(self, school_id: str | None = None) -> list[dict]:
        """``school_year_id``, ``school_id``, ``academic_year`` rows, oldest first."""
        sql, params = self._where("SELECT * FROM school_years WHERE 1", (), school_id=school_id)
        return self._rows(sql + " ORDER BY school_id, academic_year", params)

    def school_year(self, school_id: str, year: str | None = None) -> dict:
        """A school's year; the latest one when ``year`` is empty."""
        self.school(school_id)
        years = self.school_years(school_id)
        if year:
            found = [y for y in years if y["academic_year"] == year]
        else:
            found = years[-1:]
        if not found:
            raise UnknownYearError(school_id, year or "", [y["academic_year"] for y in years])
        return found[0]

    # -- cycles --------------------------------------------------------------

    def ensure_cycle(self, school_id: str, year: str, framework: str = DEFAULT_FRAMEWORK) -> int:
        """The id of the school's cycle for that framework and year, created if needed."""
        school_year_id = self.ensure_school_year(school_id, year)
        with self.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO cycles (school_year_id, framework) VALUES (?, ?)", (school_year_id, framework)
            )
            return c.execute(
                "SELECT cycle_id FROM cycles WHERE school_year_id = ? AND framework = ?", (school_year_id, framework)
            ).fetchone()[0]

    _CYCLES = (
        "SELECT c.cycle_id, c.framework, y.school_year_id, y.school_id, y.academic_year "
        "FROM cycles c JOIN school_years y USING (school_year_id) WHERE 1"
    )

    def cycles(self, school_id: str | None = None, framework: str | None = None) -> list[dict]:
        """Cycles, oldest first: ``cycle_id``, ``framework``, ``school_year_id``, ``school_id``, ``academic_year``."""
        sql, params = self._where(self._CYCLES, (), **{"y.school_id": school_id, "c.framework": framework})
        return self._rows(sql + " ORDER BY y.school_id, y.academic_year, c.framework", params)

    def school_year_place(self, school_year_id: int) -> dict | None:
        """``school_id`` and ``academic_year`` of a school year id (None when there is none)."""
        rows = self._rows(
            "SELECT school_id, academic_year FROM school_years WHERE school_year_id = ?", (school_year_id,)
        )
        return rows[0] if rows else None

    def cycle_place(self, cycle_id: int) -> dict | None:
        """``school_id``, ``academic_year``, ``framework`` and ``school_year_id`` of a cycle (None when there is
        none)."""
        rows = self._rows(self._CYCLES + " AND c.cycle_id = ?", (cycle_id,))
        return rows[0] if rows else None

    def school_data_version(self, school_id: str, year: str) -> str:
        """A digest of everything a report of the school's year reads: the school, its years up to ``year``,
        every record of their cycles, its survey imports (and which were replaced), its award decisions and
        its cached benchmarks of that year. It changes when any of them changes, and only then; records are
        append-only, so their counts and newest ids say when. A cached PDF or page is current while it is
        unchanged."""
        import hashlib
        import json

        years = "SELECT school_year_id FROM school_years WHERE school_id = ? AND academic_year <= ?"
        cycles = f"SELECT cycle_id FROM cycles WHERE school_year_id IN ({years})"
        parts: dict[str, Any] = {
            "school": self._rows("SELECT * FROM schools WHERE school_id = ?", (school_id,)),
            "years": self._rows(
                f"SELECT school_year_id, academic_year FROM school_years WHERE school_year_id IN ({years}) ORDER BY 1",
                (school_id, year),
            ),
            "cycles": self._rows(
                f"SELECT cycle_id, framework FROM cycles WHERE cycle_id IN ({cycles}) ORDER BY 1", (school_id, year)
            ),
            "imports": self._rows(
                f"SELECT import_id, replaced_by FROM survey_imports WHERE school_year_id IN ({years}) ORDER BY 1",
                (school_id, year),
            ),
            "decisions": self._rows(
                "SELECT count(*), max(decision_id) FROM award_decisions WHERE school_id = ?", (school_id,)
            ),
            "benchmarks": self._rows(
                "SELECT count(*), max(computed_at) FROM benchmarks WHERE school_id = ? AND academic_year = ?",
                (school_id, year),
            ),
        }
        for table, key in (
            ("sef_history", "entry_id"),
            ("reflections", "entry_id"),
            ("adviser_notes", "note_id"),
            ("target_history", "entry_id"),
        ):
            parts[table] = self._rows(
                f"SELECT count(*), max({key}) FROM {table} WHERE cycle_id IN ({cycles})", (school_id, year)
            )
        text = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def cycle(self, school_id: str, year: str, framework: str = DEFAULT_FRAMEWORK) -> dict | None:
        """The school's cycle for that framework and year, or None if it has none."""
        found = [c for c in self.cycles(school_id, framework) if c["academic_year"] == year]
        return found[0] if found else None

    # -- surveys -----------------------------------------------------------

    def add_survey_responses(
        self,
        school_year_id: int,
        survey: str,
        responses: pd.DataFrame,
        bank: QuestionBank | None = None,
        *,
        source: str = "wqm-csv",
        file_name: str = "",
        file_sha256: str = "",
        scores: pd.DataFrame | None = None,
        details: dict | None = None,
    ) -> int:
        """Add one survey's responses in wide form as one import: a ``respondent``
        column, the survey's subgroup column if it has one, and one column per
        item (blank = not answered). ``scores`` are the respondents' measure
        scores (``respondent``, ``instrument``, ``informant``, ``score_id``,
        ``value``, ``band``; see :func:`~wqm_nb.store.surveys.insert_scores`).
        A respondent with no answer and no score is left out. Returns the
        number of answers written."""
        import numpy as np

        from .surveys import MISSING, has_value

        bank = bank or load_question_bank()
        if survey not in bank.surveys:
            raise StoreError(f"unknown survey {survey!r} (known: {', '.join(bank.surveys)})")
        spec = bank.surveys[survey]
        if "respondent" not in responses.columns:
            raise StoreError(f"{survey} survey: a 'respondent' column is required")
        sub_field = spec.subgroup.field if spec.subgroup else None
        item_cols = [c for c in responses.columns if c not in ("respondent", sub_field, *SURVEY_ID_COLUMNS)]
        unknown = sorted(set(item_cols) - set(spec.item_ids))
        if unknown:
            raise StoreError(f"{survey} survey: unknown item column(s) {', '.join(unknown)}")
        respondents = [str(r) for r in responses["respondent"]]
        if len(set(respondents)) != len(respondents):
            twice = sorted({r for r in respondents if respondents.count(r) > 1})
            raise StoreError(f"{survey} survey: respondent {twice[0]} appears more than once")
        scale = bank.scale_of(survey)
        allowed = set(scale.values)
        values = np.full((len(responses), len(item_cols)), MISSING, dtype=np.int8)
        for k, item in enumerate(item_cols):
            for r, value in enumerate(responses[item].tolist()):
                if value is None or value != value or value == "":
                    continue
                number = whole_number(value)
                if number not in allowed:
                    raise StoreError(
                        f"{survey} survey, respondent {respondents[r]}, item {item}: "
                        f"{value!r} is not on the {scale.name} {sorted(allowed)}"
                    )
                values[r, k] = number
        subgroups = (
            [text(v) for v in responses[sub_field]] if sub_field and sub_field in responses else [""] * len(responses)
        )
        for r, subgroup in enumerate(subgroups):
            if not subgroup:
                continue
            assert spec.subgroup is not None  # subgroups are all blank unless the survey has a subgroup question
            if subgroup not in spec.subgroup.values:
                raise StoreError(
                    f"{survey} survey, respondent {respondents[r]}: unknown {spec.subgroup.field} {subgroup!r}"
                )
        score_rows: list = []
        if scores is not None and len(scores):
            known = set(respondents)
            stray = sorted({str(r) for r in scores["respondent"]} - known)
            if stray:
                raise StoreError(f"{survey} survey: scores of respondent {stray[0]}, who has no row")
            score_rows = [
                (str(r.respondent), r.instrument, r.informant, r.score_id, r.value, r.band) for r in scores.itertuples()
            ]
        scored = {row[0] for row in score_rows if has_value(row[4])}
        keep = (values != MISSING).any(axis=1) | np.array([r in scored for r in respondents], dtype=bool)
        outcome = self.import_survey(
            school_year_id,
            survey,
            source=source,
            file_name=file_name,
            file_sha256=file_sha256,
            item_ids=item_cols,
            respondents=[r for r, k in zip(respondents, keep, strict=False) if k],
            subgroups=[g for g, k in zip(subgroups, keep, strict=False) if k],
            values=values[keep],
            dropped_empty=int((~keep).sum()),
            on_existing="add",
            scores=score_rows,
            details=details,
        )
        return outcome.answers

    def import_survey(
        self,
        school_year_id: int,
        survey: str,
        *,
        source: str,
        item_ids: list[str],
        file_name: str = "",
        file_sha256: str = "",
        respondents: list[str] | None = None,
        subgroups: list[str] | None = None,
        values: Any = None,
        tallies: Iterable[tuple[str, str, int, int]] | None = None,
        comments: Iterable[tuple[str, str, str]] = (),
        dropped_empty: int = 0,
        details: dict | None = None,
        imported_by: str = "",
        forms: int | None = None,
        on_existing: str = "refuse",
        scores: Iterable[tuple[str, str, str, str, float, str]] = (),
    ) -> SurveyImportOutcome:
        """Record one import of survey data in one transaction.

        Either ``respondents``/``subgroups``/``values`` (an int matrix in
        ``item_ids`` order, -1 = not answered) or ``tallies`` (subgroup, item,
        value, count). ``comments`` are (item id, redacted text, flags).
        ``scores`` are measure scores of the respondents (respondent,
        instrument, informant, score id, value, band; a missing value is left
        out), stored in ``survey_scores`` with the import.

        A file whose SHA-256 a current import of the same school year and
        survey already has is not imported again (``outcome.already``). When
        the school year already has current data for the survey from another
        file, ``on_existing`` decides: ``"refuse"`` raises a StoreError that
        names the earlier import; ``"replace"`` removes the earlier imports'
        respondents, tallies and comments and records which import replaced
        them (their records stay) and their scores; ``"add"`` keeps both (a
        paper batch beside an online export).
        """
        from .surveys import current_imports, insert_answers, insert_import, insert_scores, insert_tallies

        if on_existing not in ("refuse", "replace", "add"):
            raise ValueError(f"on_existing: {on_existing!r}")
        with self.transaction() as c:
            earlier = current_imports(c, school_year_id, survey)
            if file_sha256:
                same = [e for e in earlier if e["file_sha256"] == file_sha256]
                if same:
                    return SurveyImportOutcome(import_id=same[0]["import_id"], already=same[0])
            if earlier and on_existing == "refuse":
                e = earlier[-1]
                raise StoreError(
                    f"the {survey} survey of this school year already has data from "
                    f"{e['file_name'] or e['source']} (import {e['import_id']}, {e['imported_at']}); "
                    f"use --replace to replace it with this file, or --add to add this file's respondents "
                    f"to it; nothing was imported"
                )
            kind = "tally" if tallies is not None else "responses"
            count = len(respondents or ()) if tallies is None else int(forms or 0)
            import_id = insert_import(
                c,
                school_year_id=school_year_id,
                survey=survey,
                kind=kind,
                source=source,
                item_ids=item_ids,
                imported_at=self.clock(),
                file_name=file_name,
                file_sha256=file_sha256,
                respondents=count,
                dropped_empty=dropped_empty,
                details=details,
                imported_by=imported_by,
            )
            if tallies is not None:
                answers = insert_tallies(c, import_id, tallies)
            else:
                answers = insert_answers(c, import_id, respondents or [], subgroups or [""] * count, values)
                insert_scores(c, import_id, scores)
            c.executemany(
                "INSERT INTO survey_comments (import_id, item_id, text, flags) VALUES (?, ?, ?, ?)",
                [(import_id, item, body, flags) for item, body, flags in comments],
            )
            replaced = []
            if earlier and on_existing == "replace":
                for e in earlier:
                    for table in ("survey_scores", "survey_answers", "survey_tallies", "survey_comments"):
                        c.execute(f"DELETE FROM {table} WHERE import_id = ?", (e["import_id"],))
                    c.execute(
                        "UPDATE survey_imports SET replaced_by = ? WHERE import_id = ?", (import_id, e["import_id"])
                    )
                    replaced.append(e)
        return SurveyImportOutcome(import_id=import_id, answers=answers, replaced=tuple(replaced))

    def form_tallies(self, school_year_id: int, survey: str) -> dict[tuple[str, int], int]:
        """The counts per (item, value) of a survey's current tallies entered in a form (the capture form's
        staff audit tab), summed over its current imports of source ``form``."""
        rows = self.conn.execute(
            "SELECT t.item_id, t.value, sum(t.count) FROM survey_tallies t JOIN survey_imports i USING (import_id) "
            "WHERE i.school_year_id = ? AND i.survey = ? AND i.replaced_by IS NULL AND i.source = 'form' "
            "GROUP BY t.item_id, t.value",
            (school_year_id, survey),
        ).fetchall()
        return {(r[0], int(r[1])): int(r[2]) for r in rows}

    def survey_imports(self, school_year_id: int | None = None, survey: str | None = None) -> list[dict]:
        """Every import record (replaced ones too), oldest first."""
        sql, params = self._where(
            "SELECT i.*, y.school_id, y.academic_year FROM survey_imports i "
            "JOIN school_years y USING (school_year_id) WHERE 1 = 1",
            (),
            **{"i.school_year_id": school_year_id, "i.survey": survey},
        )
        return self._rows(sql + " ORDER BY import_id", params)

    def survey_data(self, school_year_id: int, bank: QuestionBank | None = None) -> SurveyData:
        """A school year's current survey data (:class:`~wqm_nb.store.surveys.SurveyData`)."""
        from .surveys import read_survey_data

        bank = bank or load_question_bank()
        return read_survey_data(self.conn, school_year_id, {sid: s.item_ids for sid, s in bank.surveys.items()})

    def survey_scores(self, school_year_id: int, survey: str | None = None) -> pd.DataFrame:
        """A school year's current measure scores, one row per respondent and score (survey, respondent,
        subgroup, instrument, informant, score_id, value, band; :data:`~wqm_nb.store.surveys.SCORE_COLUMNS`)."""
        import pandas as pd

        from .surveys import SCORE_COLUMNS, read_scores

        found = read_scores(self.conn, school_year_id, survey)
        return found if found is not None else pd.DataFrame(columns=SCORE_COLUMNS)

    def survey_responses(self, school_year_id: int, survey: str | None = None) -> pd.DataFrame:
        """Respondents' answers in long form: survey, respondent, subgroup, item_id, value."""
        long = self.survey_data(school_year_id).to_long()
        return long[long["survey"] == survey].reset_index(drop=True) if survey else long

    def survey_comments(self, school_year_id: int, survey: str | None = None) -> list[dict]:
        """Kept (redacted) comments of a school year's current imports, flagged first:
        survey, item_id, text, flags (comma-separated safeguarding categories)."""
        sql, params = self._where(
            "SELECT i.survey, c.item_id, c.text, c.flags FROM survey_comments c JOIN survey_imports i "
            "USING (import_id) WHERE i.school_year_id = ? AND i.replaced_by IS NULL",
            (school_year_id,),
            **{"i.survey": survey},
        )
        return self._rows(sql + " ORDER BY c.flags = '', i.survey, c.comment_id", params)


#: how a CSV folder is opened as a store: :func:`register_folder_opener` (the CSV format's module, which the
#: package imports first) sets it
_FOLDER_OPENER: list[Callable[[Path, bool], Store]] = []


def register_folder_opener(opener: Callable[[Path, bool], Store]) -> None:
    """Set how :meth:`Store.open` opens a CSV folder (``opener(folder, read_only)``)."""
    _FOLDER_OPENER[:] = [opener]


@dataclass(frozen=True)
class SurveyImportOutcome:
    """What :meth:`Store.import_survey` did: the import's id and answers written,
    or the earlier import of the same file (``already``); imports it replaced."""

    import_id: int
    answers: int = 0
    already: dict | None = None
    replaced: tuple[dict, ...] = ()
