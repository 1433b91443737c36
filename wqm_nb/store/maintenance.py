"""Store maintenance: importing a CSV folder into a store, migrating, erasing a school.

These are the functions behind ``wqm import``, ``wqm migrate`` and a school's
erasure. Each takes paths, opens the store itself and does its work in one
transaction:

* :func:`import_folder` imports a CSV folder in one of three modes: ``new``
  builds a store where there is none (beside its target under a temporary
  name, renamed into place when complete); ``replace`` keeps a backup copy of
  an existing store, then replaces its content; ``merge`` adds what the folder
  has that the store lacks and keeps every history row. Both write *in place*,
  under the store's write lock: a form or server holding the store open sees
  the new content, and its later saves go to the same file.
* :func:`migrate` brings an older store to the current schema version (after
  a backup copy).
* :func:`remove_school` erases one school whole, history included, and logs
  the counts removed in ``erasure_log``. It is the only way history rows go.
* :func:`extract_schools` copies some schools, whole, into a new store: what
  a batch sends a worker on another machine (see :mod:`wqm_nb.batch`).

Backup copies are named ``<store>.backup-<UTC time>`` (for instance
``wqm.sqlite.backup-20261128T153000Z``) and sit beside the store. They keep
what they copied, including any school erased later: delete them by hand when
an erasure must reach them too.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast, get_args

from ..errors import StoreError
from .csv_exchange import import_csv_dir
from .store import DEFAULT_TIMEOUT, Store, backup_copy, new_store_file, now

ImportMode = Literal["new", "replace", "merge"]
#: What an import counts, in the order a report lists them.
COUNTED = (
    "schools",
    "school_years",
    "cycles",
    "ratings",
    "notes",
    "reflections",
    "targets",
    "awards",
    "answers",
    "scores",
)
#: The time a scratch store records for a row whose CSV cell left it blank, so
#: that a merge can tell "no time given" from a time (see :func:`import_folder`).
UNSTAMPED = ""


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_folder` did.

    ``mode`` is the mode that ran (``new`` when the target did not exist);
    ``added`` counts the rows written per kind (:data:`COUNTED`); ``removed``
    the rows a replace took out (empty otherwise); ``backup`` is the copy
    kept beside the store, if one was (a merge that added nothing keeps none);
    ``kept_schools`` the schools whose details (name, phase, trust, local
    authority, pupils) differ in the folder: a merge keeps the store's.
    """

    target: Path
    mode: ImportMode
    added: dict[str, int]
    removed: dict[str, int] = field(default_factory=dict)
    backup: Path | None = None
    kept_schools: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for a terminal, e.g. ``wqm.sqlite: merged: added 2 schools, 14 ratings; backup ...``."""

        def listing(counts: dict[str, int]) -> str:
            """``2 schools, 14 ratings`` (kinds with none left out)."""
            return ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in COUNTED if counts.get(k)) or "nothing"

        verb = {"new": "built", "replace": "replaced", "merge": "merged"}[self.mode]
        text = f"{self.target}: {verb}: added {listing(self.added)}"
        if self.mode == "replace":
            text += f"; removed {listing(self.removed)}"
        if self.kept_schools:
            text += f"; kept the store's details of {', '.join(self.kept_schools)} (the folder's differ)"
        if self.backup:
            text += f"; backup {self.backup}"
        return text


def import_folder(
    source: str | Path, target: str | Path, mode: ImportMode = "new", *, timeout: float = DEFAULT_TIMEOUT
) -> ImportReport:
    """Import the CSV folder ``source`` into the store file ``target``.

    The folder is first read and checked whole (into a scratch store in
    memory), so a bad folder is refused (:class:`~wqm_nb.errors.DataFileError`,
    naming file and row) before the target is touched. Then, by ``mode``:

    ``"new"``
        ``target`` must not exist (else :class:`StoreError`: choose replace or
        merge). The store is built beside it under a unique temporary name and
        renamed into place when complete.
    ``"replace"``
        Keeps a backup copy of ``target`` (:func:`~wqm_nb.store.store.backup_copy`),
        then, in one transaction under the write lock, removes every school
        with its history and writes the folder's content. The erasure log and
        the store's file stay; an open connection sees the new content.
    ``"merge"``
        In one transaction under the write lock, adds the schools, school
        years and cycles the store lacks and every history row it does not
        already hold; a backup copy is kept if anything was added. A history
        row is already held when one with the same values is: for a rating the
        same cycle, element, rating, evidence, sorting, recorded_by and
        recorded_at (not its source); for a note the same cycle, principle,
        author, text and created_at; for a reflection the same cycle,
        reflection id, text, author and recorded_at; for a target entry the
        same cycle, target id, principle, text, owner, review date, status,
        cycle carried from, recorded_by and recorded_at; for an award
        decision the same school, framework, level, academic year, date,
        assessor, outcome, reasons, recorded_by and recorded_at, whether or
        not a later decision corrected it (a row repeated n
        times in the folder is held when the store has it n times). A row
        whose CSV time was blank matches any time, and gets the time of the
        merge if it is new. So merging a folder twice adds nothing the second
        time. Survey answers are keyed by school year,
        survey, respondent and item: an answer the store has with another
        value (or subgroup) is a :class:`StoreError` naming school, year,
        survey, respondent and item, and nothing is written. A respondent's
        measure scores go with the respondent: a new respondent brings its
        scores, and a held one whose scores differ (another value or band,
        or a score only one side has) is the same error, naming the score. A school already
        in the store keeps its details (see ``ImportReport.kept_schools``).

    ``replace`` and ``merge`` of a ``target`` that does not exist build a new
    store, as ``new`` does. An older store is migrated on opening (after its
    own backup copy); a file that is not a wqm store is refused untouched. A
    writer that holds the store longer than ``timeout`` seconds makes this a
    :class:`StoreError` saying the store is busy. Returns an
    :class:`ImportReport`.
    """
    if mode not in get_args(ImportMode):
        raise StoreError(f"import mode must be one of {', '.join(get_args(ImportMode))}, got {mode!r}")
    target = Path(target)
    if mode == "new" and target.exists():
        raise StoreError(
            f"{target} already exists: replace its content (a backup copy is kept) or merge the folder into it"
        )
    with _scratch(source) as scratch:
        if not target.exists():
            return ImportReport(target, "new", _build_new(scratch, target))
        with Store(target, timeout=timeout) as store, store.transaction():
            backup: Path | None  # None when a merge changed nothing
            backup = backup_copy(target, timeout)
            try:
                removed = _erase(store.conn, _school_ids(store.conn)) if mode == "replace" else {}
                added, kept = _merge(scratch, store)
            except BaseException:
                backup.unlink(missing_ok=True)
                raise
            if mode == "merge" and not any(added.values()):
                backup.unlink(missing_ok=True)  # nothing changed: the copy would be the store itself
                backup = None
        return ImportReport(target, mode, added, removed, backup, kept)


def migrate(path: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> tuple[int, int]:
    """Bring the store at ``path`` to the current schema version; return ``(old version, new version)``.

    Runs every step of :data:`~wqm_nb.store.migrations.MIGRATIONS` in one
    transaction after keeping a backup copy beside the store; a store already
    current is left alone (``(3, 3)``). :class:`StoreError` if ``path`` is no
    wqm store (nothing is written to it), was written by a newer wqm, or a
    step cannot move its data (the store is then unchanged).
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise StoreError(f"no wqm store at {path}")
    with Store(path, timeout=timeout) as store:  # a write open migrates
        return (store.migrated_from or store.version, store.version)


def remove_school(path: str | Path, school_id: str, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, int]:
    """Erase one school whole from the store at ``path``; return the counts removed per kind.

    For retention or a data-subject request. In one transaction: the school,
    its school years, cycles, ratings, notes, reflections, targets, survey
    answers and measure scores go, and ``erasure_log`` gets ``(school_id, removed_at, counts)``,
    which holds no personal data and cannot be changed or deleted. The history
    tables' DELETE triggers let the rows go only because the school is listed
    in ``erasures`` for the length of the transaction. Deleted content is
    overwritten in the file (``secure_delete``) and the write-ahead log is
    checkpointed. Backup copies made earlier still hold the school.
    :class:`~wqm_nb.errors.UnknownSchoolError` if there is no such school.
    """
    with Store(path, timeout=timeout) as store:
        store.conn.execute("PRAGMA secure_delete = ON")
        with store.transaction() as c:
            store.school(school_id)
            counts = _erase(c, [school_id])
            c.execute(
                "INSERT INTO erasure_log (school_id, removed_at, counts) VALUES (?, ?, ?)",
                (school_id, now(), json.dumps(counts)),
            )
        try:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass  # a reader holds the log; SQLite checkpoints it later
    return counts


def erasure_log(path: str | Path) -> list[dict]:
    """The erasures recorded in a store, oldest first: ``{erasure_id, school_id, removed_at, counts}``."""
    with Store(path, read_only=True) as store:
        return [
            dict(r, counts=json.loads(r["counts"]))
            for r in store.conn.execute("SELECT * FROM erasure_log ORDER BY erasure_id")
        ]


# -- helpers -------------------------------------------------------------------


@contextmanager
def _scratch(source: str | Path) -> Iterator[Store]:
    """The folder read into a store in memory (closed on leaving the ``with``).

    Rows whose CSV time is blank are recorded with :data:`UNSTAMPED` so that
    :func:`_merge` can tell them apart.
    """
    if not Path(source).is_dir():
        raise StoreError(f"{source}: not a folder of CSV files")
    with Store(":memory:") as store:
        store.clock = lambda: UNSTAMPED
        import_csv_dir(store, source)
        yield store


def _build_new(scratch: Store, target: Path) -> dict[str, int]:
    """Write the scratch store's content to a new store file at ``target`` (built aside, then renamed)."""
    with new_store_file(target) as store:
        with store.transaction():
            added, _ = _merge(scratch, store)
        if target.exists():
            raise StoreError(f"{target} appeared while the import ran; nothing was written to it")
    return added


def _school_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT school_id FROM schools ORDER BY school_id")]


_ERASING = "SELECT school_id FROM erasures"
_ERASING_YEARS = f"SELECT school_year_id FROM school_years WHERE school_id IN ({_ERASING})"
_ERASING_CYCLES = f"SELECT cycle_id FROM cycles WHERE school_year_id IN ({_ERASING_YEARS})"
_ERASING_IMPORTS = f"SELECT import_id FROM survey_imports WHERE school_year_id IN ({_ERASING_YEARS})"
#: The answers an erasure removes: each respondent's answered items, and every tallied answer.
_COUNT_ANSWERS = (
    f"SELECT (SELECT coalesce(sum(length(replace(answers, '.', ''))), 0) FROM survey_answers "
    f"WHERE import_id IN ({_ERASING_IMPORTS})) + (SELECT coalesce(sum(count), 0) FROM survey_tallies "
    f"WHERE import_id IN ({_ERASING_IMPORTS}))"
)
#: What an erasure deletes, children first: (count name, DELETE of the rows of the schools in ``erasures``).
_ERASE = (
    ("ratings", f"DELETE FROM sef_history WHERE cycle_id IN ({_ERASING_CYCLES})"),
    ("notes", f"DELETE FROM adviser_notes WHERE cycle_id IN ({_ERASING_CYCLES})"),
    ("reflections", f"DELETE FROM reflections WHERE cycle_id IN ({_ERASING_CYCLES})"),
    ("targets", f"DELETE FROM target_history WHERE cycle_id IN ({_ERASING_CYCLES})"),
    ("scores", f"DELETE FROM survey_scores WHERE import_id IN ({_ERASING_IMPORTS})"),
    ("", f"DELETE FROM survey_answers WHERE import_id IN ({_ERASING_IMPORTS})"),
    ("", f"DELETE FROM survey_tallies WHERE import_id IN ({_ERASING_IMPORTS})"),
    ("", f"DELETE FROM survey_comments WHERE import_id IN ({_ERASING_IMPORTS})"),
    ("", f"DELETE FROM survey_imports WHERE school_year_id IN ({_ERASING_YEARS})"),
    ("awards", f"DELETE FROM award_decisions WHERE school_id IN ({_ERASING})"),
    ("", f"DELETE FROM benchmarks WHERE school_id IN ({_ERASING})"),
    # every school's cached benchmarks may count the school: none is current until recomputed without it
    ("", "DELETE FROM meta WHERE key LIKE 'benchmarks\\_releases:%' ESCAPE '\\'"),
    ("mappings", f"DELETE FROM import_mappings WHERE school_id IN ({_ERASING})"),
    ("cycles", f"DELETE FROM cycles WHERE cycle_id IN ({_ERASING_CYCLES})"),
    ("school_years", f"DELETE FROM school_years WHERE school_id IN ({_ERASING})"),
    ("schools", f"DELETE FROM schools WHERE school_id IN ({_ERASING})"),
)


def _erase(conn: sqlite3.Connection, school_ids: list[str]) -> dict[str, int]:
    """Delete the schools and everything of theirs, inside the caller's transaction; counts per kind.

    The schools are listed in ``erasures`` while their rows go (the history
    tables' DELETE triggers allow exactly those) and the list is emptied again
    before returning.
    """
    conn.executemany("INSERT INTO erasures (school_id) VALUES (?)", [(s,) for s in school_ids])
    counts = {"answers": conn.execute(_COUNT_ANSWERS).fetchone()[0]}
    for kind, statement in _ERASE:
        rowcount = conn.execute(statement).rowcount
        if kind:
            counts[kind] = rowcount
    conn.execute("DELETE FROM erasures")
    saved = {"saved mappings": counts["mappings"]} if counts.get("mappings") else {}  # configuration, if any
    return {kind: counts[kind] for kind in COUNTED} | saved


#: The schools :func:`extract_schools` copies, and each per-school table's rows of theirs (parents first).
_CHOSEN = "SELECT school_id FROM temp.chosen"
_CHOSEN_YEARS = f"SELECT school_year_id FROM src.school_years WHERE school_id IN ({_CHOSEN})"
_CHOSEN_CYCLES = f"SELECT cycle_id FROM src.cycles WHERE school_year_id IN ({_CHOSEN_YEARS})"
_CHOSEN_IMPORTS = f"SELECT import_id FROM src.survey_imports WHERE school_year_id IN ({_CHOSEN_YEARS})"
EXTRACTED = (
    ("schools", f"school_id IN ({_CHOSEN})"),
    ("school_years", f"school_id IN ({_CHOSEN})"),
    ("cycles", f"cycle_id IN ({_CHOSEN_CYCLES})"),
    ("sef_history", f"cycle_id IN ({_CHOSEN_CYCLES})"),
    ("adviser_notes", f"cycle_id IN ({_CHOSEN_CYCLES})"),
    ("reflections", f"cycle_id IN ({_CHOSEN_CYCLES})"),
    ("target_history", f"cycle_id IN ({_CHOSEN_CYCLES})"),
    ("survey_imports", f"import_id IN ({_CHOSEN_IMPORTS})"),
    ("survey_answers", f"import_id IN ({_CHOSEN_IMPORTS})"),
    ("survey_tallies", f"import_id IN ({_CHOSEN_IMPORTS})"),
    ("survey_comments", f"import_id IN ({_CHOSEN_IMPORTS})"),
    ("survey_scores", f"import_id IN ({_CHOSEN_IMPORTS})"),
    ("award_decisions", f"school_id IN ({_CHOSEN})"),
    ("benchmarks", f"school_id IN ({_CHOSEN})"),
    ("import_mappings", f"school_id IN ({_CHOSEN})"),
)
#: Tables that hold no school's data (the store's own bookkeeping): never copied.
NOT_EXTRACTED = ("meta", "erasures", "erasure_log")


def extract_schools(
    source: str | Path, school_ids: list[str], target: str | Path, *, timeout: float = DEFAULT_TIMEOUT
) -> Path:
    """Copy the schools ``school_ids``, every row of theirs with its id, into a new store at ``target``.

    The copy holds nothing of any other school (benchmark rows included: a
    school's cached portfolio benchmarks are its own rows, already protected).
    ``source`` is only read. Raises :class:`StoreError` when ``target`` exists
    or a school is unknown.
    """
    target = Path(target)
    if target.exists():
        raise StoreError(f"{target}: already exists; extract into a new file")
    with Store.open(source, read_only=True, timeout=timeout) as src:
        for school_id in school_ids:
            src.school(school_id)  # UnknownSchoolError names it
        source_path = Path(src.path).resolve()
    with Store(target, timeout=timeout) as dst:
        conn = dst.conn
        conn.execute("ATTACH DATABASE ? AS src", (str(source_path),))
        try:
            with dst.transaction():
                conn.execute("CREATE TEMP TABLE chosen (school_id TEXT PRIMARY KEY)")
                conn.executemany("INSERT INTO temp.chosen VALUES (?)", [(s,) for s in school_ids])
                for table, where in EXTRACTED:
                    columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
                    conn.execute(
                        f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM src.{table} WHERE {where}"
                    )
                conn.execute("DROP TABLE temp.chosen")
                # the publication threshold, and the thresholds the copied benchmarks were computed at
                conn.execute(
                    "INSERT OR REPLACE INTO main.meta SELECT key, value FROM src.meta "
                    "WHERE key = 'min_group_size' OR key LIKE 'benchmarks\\_threshold:%' ESCAPE '\\'"
                )
                # and the releases they were computed from, of the copied schools only
                rows = conn.execute(
                    "SELECT key, value FROM src.meta WHERE key LIKE 'benchmarks\\_releases:%' ESCAPE '\\'"
                ).fetchall()
                for key, value in rows:
                    kept = {s: r for s, r in json.loads(value).items() if s in school_ids}
                    conn.execute("INSERT OR REPLACE INTO main.meta VALUES (?, ?)", (key, json.dumps(kept)))
        finally:
            conn.execute("DETACH DATABASE src")
    return target


def _merge(src: Store, dst: Store) -> tuple[dict[str, int], tuple[str, ...]]:
    """Add to ``dst`` what ``src`` has and ``dst`` lacks (see :func:`import_folder`), inside a transaction.

    Returns the counts added per kind and the schools whose details differ.
    """
    s, d = src.conn, dst.conn
    added = dict.fromkeys(COUNTED, 0)
    kept = []
    for row in s.execute("SELECT * FROM schools ORDER BY school_id"):
        old = d.execute("SELECT * FROM schools WHERE school_id = ?", (row["school_id"],)).fetchone()
        if old is None:
            d.execute("INSERT INTO schools VALUES (?, ?, ?, ?, ?, ?)", tuple(row))
            added["schools"] += 1
        elif tuple(old) != tuple(row):
            kept.append(row["school_id"])

    year_ids: dict[int, int] = {}
    for row in s.execute("SELECT * FROM school_years ORDER BY school_id, academic_year"):
        year_ids[row["school_year_id"]], new = _ensure(
            d, "school_years", "school_year_id", school_id=row["school_id"], academic_year=row["academic_year"]
        )
        added["school_years"] += new
    cycle_ids: dict[int, int] = {}
    for row in s.execute("SELECT * FROM cycles ORDER BY cycle_id"):
        cycle_ids[row["cycle_id"]], new = _ensure(
            d, "cycles", "cycle_id", school_year_id=year_ids[row["school_year_id"]], framework=row["framework"]
        )
        added["cycles"] += new

    for kind, table, key, columns, stamp, copied in (
        (
            "ratings",
            "sef_history",
            "entry_id",
            ("element_id", "rating", "evidence", "sorting", "recorded_by"),
            "recorded_at",
            ("source",),
        ),
        ("notes", "adviser_notes", "note_id", ("principle_id", "author", "note"), "created_at", ()),
        ("reflections", "reflections", "entry_id", ("reflection_id", "text", "author"), "recorded_at", ()),
        (
            "targets",
            "target_history",
            "entry_id",
            ("target_id", "principle_id", "text", "owner", "review_date", "status", "carried_from", "recorded_by"),
            "recorded_at",
            (),
        ),
    ):
        added[kind] = _merge_history(s, d, table, key, columns, stamp, cycle_ids, copied)
    added["awards"] = _merge_awards(s, d)
    added["answers"], added["scores"] = _merge_answers(s, d, year_ids)
    return added, tuple(kept)


def _ensure(conn: sqlite3.Connection, table: str, key: str, **values: object) -> tuple[int, int]:
    """``(id, 1)`` of a row inserted into ``table`` with ``values``, or ``(id, 0)`` of the one that exists."""
    where = " AND ".join(f"{c} = ?" for c in values)
    row = conn.execute(f"SELECT {key} FROM {table} WHERE {where}", tuple(values.values())).fetchone()
    if row is not None:
        return row[0], 0
    cur = conn.execute(
        f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})", tuple(values.values())
    )
    return cast(int, cur.lastrowid), 1  # typed int | None, but an INSERT always sets it


def _merge_history(
    src: sqlite3.Connection,
    dst: sqlite3.Connection,
    table: str,
    key: str,
    columns: tuple[str, ...],
    stamp: str,
    cycle_ids: dict[int, int],
    copied: tuple[str, ...] = (),
) -> int:
    """Append the rows of a history table that ``dst`` does not hold yet; return how many.

    A row is held when ``dst`` has one with the same cycle, ``columns`` and
    ``stamp``, counted with multiplicity. Rows with a time go first, then
    those without (:data:`UNSTAMPED`) match what is left ignoring the time;
    new rows are appended in the source's entry order. ``copied`` columns
    are written with a new row but not compared (a rating's ``source``: the
    same edit read from a folder once more is held, wherever it was first
    recorded from). Every column named ``carried_from`` holds a cycle id and
    is mapped as the row's cycle is.
    """
    names = ", ".join(("cycle_id", *columns, stamp))
    wanted = set(cycle_ids.values())
    full: Counter[tuple] = Counter()
    loose: Counter[tuple] = Counter()
    for row in dst.execute(f"SELECT {names} FROM {table}"):
        if row[0] in wanted:
            full[tuple(row)] += 1
            loose[tuple(row)[:-1]] += 1
    refs = [i for i, c in enumerate(("cycle_id", *columns, stamp)) if c in ("cycle_id", "carried_from")]
    rows, extra = [], []
    for r in src.execute(f"SELECT {', '.join((names, *copied))} FROM {table} ORDER BY {key}"):
        values = list(r)
        for i in refs:
            values[i] = None if values[i] is None else cycle_ids[values[i]]
        rows.append(tuple(values[: len(columns) + 2]))
        extra.append(tuple(values[len(columns) + 2 :]))
    new = [False] * len(rows)
    for i, row in enumerate(rows):
        if row[-1] != UNSTAMPED:
            if full[row]:
                full[row] -= 1
                loose[row[:-1]] -= 1
            else:
                new[i] = True
    for i, row in enumerate(rows):
        if row[-1] == UNSTAMPED:
            if loose[row[:-1]] > 0:
                loose[row[:-1]] -= 1
            else:
                new[i] = True
    stamp_now = now()
    chosen = [
        (*row, *more) if row[-1] != UNSTAMPED else (*row[:-1], stamp_now, *more)
        for row, more, is_new in zip(rows, extra, new, strict=False)
        if is_new
    ]
    inserted = ", ".join((names, *copied))
    dst.executemany(f"INSERT INTO {table} ({inserted}) VALUES ({', '.join('?' * len(inserted.split(', ')))})", chosen)
    return len(chosen)


#: What makes two award decisions the same decision when merging (with ``recorded_at``).
_AWARD_KEY = (
    "school_id",
    "framework",
    "level",
    "academic_year",
    "decided_on",
    "assessor",
    "outcome",
    "reasons",
    "recorded_by",
)


def _merge_awards(src: sqlite3.Connection, dst: sqlite3.Connection) -> int:
    """Append the award decisions ``dst`` does not hold yet; return how many.

    A decision is held when ``dst`` has one with the same :data:`_AWARD_KEY`
    and ``recorded_at``, counted with multiplicity (a corrected one too: the
    folder does not bring back what a correction replaced). A decision whose
    CSV time was blank (:data:`UNSTAMPED`) matches any time and gets the time
    of the merge if it is new. Decisions come from a folder, which cannot
    express a correction (``supersedes``): that is made with ``wqm award
    record --supersedes`` in the store.
    """
    names = ", ".join((*_AWARD_KEY, "recorded_at"))
    schools = [r[0] for r in src.execute("SELECT DISTINCT school_id FROM award_decisions")]
    full: Counter[tuple] = Counter()
    loose: Counter[tuple] = Counter()
    for row in dst.execute(
        f"SELECT {names} FROM award_decisions WHERE school_id IN ({', '.join('?' * len(schools))})", schools
    ):
        full[tuple(row)] += 1
        loose[tuple(row)[:-1]] += 1
    rows = [tuple(r) for r in src.execute(f"SELECT {names} FROM award_decisions ORDER BY decision_id")]
    new = [False] * len(rows)
    for stamped in (True, False):  # rows with a time first, then the rest match what is left
        for i, row in enumerate(rows):
            if (row[-1] != UNSTAMPED) != stamped:
                continue
            if stamped and full[row]:
                full[row] -= 1
                loose[row[:-1]] -= 1
            elif not stamped and loose[row[:-1]] > 0:
                loose[row[:-1]] -= 1
            else:
                new[i] = True
    stamp_now = now()
    chosen = [
        row if row[-1] != UNSTAMPED else (*row[:-1], stamp_now)
        for row, is_new in zip(rows, new, strict=False)
        if is_new
    ]
    dst.executemany(f"INSERT INTO award_decisions ({names}) VALUES ({', '.join('?' * (len(_AWARD_KEY) + 1))})", chosen)
    return len(chosen)


def _merge_answers(src: sqlite3.Connection, dst: sqlite3.Connection, year_ids: dict[int, int]) -> tuple[int, int]:
    """Add the survey respondents ``dst`` lacks, with their measure scores, as one import per school year
    and survey; the answers and the scores added.

    A respondent is held when a current import of the same school year and
    survey has the same id; one held with other answers (a value, an item or
    the subgroup) or other scores is a StoreError, and nothing is written.
    """
    from .surveys import MISSING, insert_answers, insert_import, insert_scores, read_scores, read_survey_data

    def scores_by_respondent(conn: sqlite3.Connection, year: int, survey: str) -> dict[str, dict]:
        """respondent -> {(instrument, score id): (informant, value, band)} of a school year's survey."""
        frame = read_scores(conn, year, survey)
        out: dict[str, dict] = {}
        if frame is not None:
            for r in frame.itertuples():
                out.setdefault(r.respondent, {})[(r.instrument, r.score_id)] = (r.informant, r.value, r.band)
        return out

    added = scored = 0
    for (src_year,) in src.execute("SELECT DISTINCT school_year_id FROM survey_imports ORDER BY 1"):
        dst_year = year_ids[src_year]
        src_records = {
            r["survey"]: r
            for r in src.execute(
                "SELECT * FROM survey_imports WHERE school_year_id = ? AND replaced_by IS NULL", (src_year,)
            )
        }
        order = {
            survey: sorted(
                {
                    i
                    for r in src.execute(
                        "SELECT item_ids FROM survey_imports WHERE school_year_id = ? AND survey = ?",
                        (src_year, survey),
                    )
                    for i in r[0].split(",")
                    if i
                }
            )
            for survey in src_records
        }
        theirs = read_survey_data(src, src_year, order)
        ours = read_survey_data(dst, dst_year, order)
        for survey, block in theirs.blocks.items():
            their_scores = scores_by_respondent(src, src_year, survey)
            held, my_scores = {}, {}
            if survey in ours.blocks:
                mine = ours.blocks[survey]
                held = {
                    r: (g, tuple(v)) for r, g, v in zip(mine.respondents, mine.subgroups, mine.values, strict=False)
                }
                my_scores = scores_by_respondent(dst, dst_year, survey)
            new = []
            for k, respondent in enumerate(block.respondents):
                row = (block.subgroups[k], tuple(block.values[k]))
                if respondent not in held:
                    new.append(k)
                    continue
                differs = held[respondent] != row
                mine_s, theirs_s = my_scores.get(respondent, {}), their_scores.get(respondent, {})
                if not differs and mine_s == theirs_s:
                    continue
                school, year = dst.execute(
                    "SELECT school_id, academic_year FROM school_years WHERE school_year_id = ?", (dst_year,)
                ).fetchone()
                if differs:
                    (old_sub, old), (new_sub, theirs_) = held[respondent], row
                    if old_sub != new_sub:
                        item = next(i for i, v in zip(block.item_ids, theirs_, strict=False) if v != MISSING)
                        what = f"subgroup {old_sub!r} in the store, {new_sub!r} in the folder"
                    else:
                        item, a, b = next(
                            (i, a, b) for i, a, b in zip(block.item_ids, old, theirs_, strict=False) if a != b
                        )
                        what = f"value {_shown(a)} in the store, {_shown(b)} in the folder"
                    where = f"item {item}"
                else:
                    key = next(k for k in sorted(set(mine_s) | set(theirs_s)) if mine_s.get(k) != theirs_s.get(k))
                    where = f"score {key[0]} {key[1]}"
                    what = (
                        f"{_score_shown(mine_s.get(key))} in the store, {_score_shown(theirs_s.get(key))} in the folder"
                    )
                raise StoreError(
                    f"school {school}, year {year}, {survey} survey, respondent {respondent}, "
                    f"{where}: {what}; nothing was imported"
                )
            if not new:
                continue
            record = src_records[survey]
            values = block.values[new]
            used = (values != MISSING).any(axis=0)
            import_id = insert_import(
                dst,
                school_year_id=dst_year,
                survey=survey,
                kind="responses",
                source=record["source"],
                item_ids=[i for i, u in zip(block.item_ids, used, strict=False) if u],
                imported_at=now(),
                file_name=record["file_name"],
                respondents=len(new),
            )
            respondents = list(block.respondents[new])
            added += insert_answers(dst, import_id, respondents, list(block.subgroups[new]), values[:, used])
            scored += insert_scores(
                dst,
                import_id,
                [
                    (r, instrument, informant, score_id, value, band)
                    for r in respondents
                    for (instrument, score_id), (informant, value, band) in sorted(their_scores.get(r, {}).items())
                ],
            )
    return added, scored


def _score_shown(score: tuple | None) -> str:
    """A held score as a merge error names it: its value and band, or "no score"."""
    if score is None:
        return "no score"
    _, value, band = score
    return f"{value:g}" + (f" ({band})" if band else "")


def _shown(value: int) -> str:
    return "not answered" if value < 0 else str(value)


__all__ = [
    "COUNTED",
    "EXTRACTED",
    "ImportMode",
    "ImportReport",
    "NOT_EXTRACTED",
    "erasure_log",
    "extract_schools",
    "import_folder",
    "migrate",
    "remove_school",
]
