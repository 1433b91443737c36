"""Schema migrations: one function per step, from each old version to the next.

:data:`MIGRATIONS` maps a version to the function that moves a store from it
to the next version. :func:`upgrade` runs the steps in order on a connection
that is already inside a transaction (the :class:`~wqm_nb.store.Store` opens
it, with foreign keys off while tables are rebuilt, after keeping a backup
copy); a step that fails rolls the whole upgrade back.

The SQL of each step is frozen: it creates what *that* version had, not what
:mod:`wqm_nb.store.schema` holds today. A later change to the schema gets a
new step; the old ones stay as they are.

To add version N+1: change :mod:`~wqm_nb.store.schema` (bump
``SCHEMA_VERSION``), write ``migrate_N_to_N1`` here and add it to
:data:`MIGRATIONS`; ``tests/store/test_migrations.py`` checks that a migrated
store has the same schema as a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..errors import StoreError
from .schema import APPLICATION_ID, SCHEMA_VERSION, statements

Migration = Callable[[sqlite3.Connection], None]


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Run a script statement by statement (``executescript`` would commit the transaction)."""
    for statement in statements(script):
        conn.execute(statement)


# -- 1 -> 2: school years ---------------------------------------------------

_V2_TABLES = """
CREATE TABLE school_years (
    school_year_id INTEGER PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(school_id),
    academic_year TEXT NOT NULL CHECK (academic_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    UNIQUE (school_id, academic_year)
);
CREATE TABLE cycles_v2 (
    cycle_id INTEGER PRIMARY KEY,
    school_year_id INTEGER NOT NULL REFERENCES school_years(school_year_id),
    framework TEXT NOT NULL,
    UNIQUE (school_year_id, framework)
);
CREATE TABLE survey_responses_v2 (
    school_year_id INTEGER NOT NULL REFERENCES school_years(school_year_id),
    survey TEXT NOT NULL,
    respondent TEXT NOT NULL,
    subgroup TEXT NOT NULL DEFAULT '',
    item_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (school_year_id, survey, respondent, item_id)
);
"""

_V2_COPY = """
INSERT INTO school_years (school_id, academic_year)
    SELECT DISTINCT school_id, academic_year FROM cycles ORDER BY school_id, academic_year;
INSERT INTO cycles_v2 (cycle_id, school_year_id, framework)
    SELECT c.cycle_id, y.school_year_id, c.framework
    FROM cycles c JOIN school_years y ON y.school_id = c.school_id AND y.academic_year = c.academic_year
    ORDER BY c.cycle_id;
INSERT INTO survey_responses_v2 (school_year_id, survey, respondent, subgroup, item_id, value)
    SELECT DISTINCT y.school_year_id, r.survey, r.respondent, r.subgroup, r.item_id, r.value
    FROM survey_responses r JOIN cycles c ON c.cycle_id = r.cycle_id
    JOIN school_years y ON y.school_id = c.school_id AND y.academic_year = c.academic_year;
DROP VIEW sef_current;
DROP INDEX sef_history_cycle;
DROP TABLE survey_responses;
ALTER TABLE survey_responses_v2 RENAME TO survey_responses;
DROP TABLE cycles;
ALTER TABLE cycles_v2 RENAME TO cycles;
"""

_V2_OBJECTS = """
CREATE INDEX sef_history_cycle ON sef_history (cycle_id, element_id, recorded_at, entry_id);
CREATE VIEW sef_current AS
    SELECT entry_id, cycle_id, element_id, rating, evidence, recorded_by, recorded_at FROM (
        SELECT h.*, row_number() OVER (PARTITION BY cycle_id, element_id
                                       ORDER BY recorded_at DESC, entry_id DESC) AS rank
        FROM sef_history h)
    WHERE rank = 1;
CREATE TABLE reflections (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    reflection_id TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
CREATE TRIGGER reflections_no_update BEFORE UPDATE ON reflections
BEGIN SELECT RAISE(ABORT, 'reflections are append-only'); END;
CREATE TRIGGER reflections_no_delete BEFORE DELETE ON reflections
BEGIN SELECT RAISE(ABORT, 'reflections are append-only'); END;
"""


def migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Version 1 to 2: cycles become school years plus cycles; surveys move to the school year.

    A version 1 cycle was one school, framework and year; its ``cycle_id`` is
    kept (so SEF history and adviser notes stay attached, every row of them
    kept) and it now points at the school's year, created once per school
    and year. Survey answers hung off a cycle; they move to that cycle's
    school year. The same answer stored under two cycles of one school year
    (say its ``wqm`` and ``vbe`` cycles) is kept once; two different answers
    to one item by one respondent cannot both move, and are a
    :class:`StoreError` naming them. The ``sef_current`` view now takes the
    latest ``recorded_at``; an empty ``reflections`` table is added.
    """
    clash = conn.execute(
        "SELECT c.school_id, c.academic_year, r.survey, r.respondent, r.item_id, "
        "group_concat(DISTINCT r.value), group_concat(DISTINCT r.subgroup) "
        "FROM survey_responses r JOIN cycles c ON c.cycle_id = r.cycle_id "
        "GROUP BY c.school_id, c.academic_year, r.survey, r.respondent, r.item_id "
        "HAVING count(DISTINCT r.value) > 1 OR count(DISTINCT r.subgroup) > 1 LIMIT 1"
    ).fetchone()
    if clash:
        school, year, survey, respondent, item, values, subgroups = tuple(clash)
        raise StoreError(
            f"school {school} {year}, {survey} survey, respondent {respondent}, item {item}: "
            f"its cycles hold different answers (values {values}; subgroups {subgroups!r}), "
            "and from version 2 a school year holds one; the store is unchanged"
        )
    _run(conn, _V2_TABLES)
    _run(conn, _V2_COPY)
    _run(conn, _V2_OBJECTS)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# -- 2 -> 3: guarded history, erasure ---------------------------------------

_V3_NOT_ERASING = (
    "NOT EXISTS (SELECT 1 FROM cycles c JOIN school_years y ON y.school_year_id = c.school_year_id "
    "JOIN erasures e ON e.school_id = y.school_id WHERE c.cycle_id = OLD.cycle_id)"
)


def _v3_guards(table: str, key: str, message: str, update: bool) -> str:
    """Version 3's DELETE and INSERT guards of a history table (and its UPDATE guard if ``update``)."""
    no_update = (
        (f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}\nBEGIN SELECT RAISE(ABORT, '{message}'); END;\n")
        if update
        else ""
    )
    return f"""{no_update}CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
WHEN {_V3_NOT_ERASING}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key})
BEGIN SELECT RAISE(ABORT, '{message}: that row exists'); END;
"""


_V3 = f"""
DROP TRIGGER sef_history_no_delete;
DROP TRIGGER reflections_no_delete;
CREATE TABLE erasures (school_id TEXT PRIMARY KEY);
CREATE TABLE erasure_log (
    erasure_id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id TEXT NOT NULL,
    removed_at TEXT NOT NULL,
    counts TEXT NOT NULL
);
CREATE TRIGGER erasure_log_no_update BEFORE UPDATE ON erasure_log
BEGIN SELECT RAISE(ABORT, 'erasure_log is append-only'); END;
CREATE TRIGGER erasure_log_no_delete BEFORE DELETE ON erasure_log
BEGIN SELECT RAISE(ABORT, 'erasure_log is append-only'); END;
{_v3_guards("sef_history", "entry_id", "sef_history is append-only", update=False)}
{_v3_guards("reflections", "entry_id", "reflections are append-only", update=False)}
{_v3_guards("adviser_notes", "note_id", "adviser notes are append-only", update=True)}
"""


def migrate_2_to_3(conn: sqlite3.Connection) -> None:
    """Version 2 to 3: history tables refuse INSERT OR REPLACE; adviser notes become append-only;
    ``erasures`` (the guard a school's erasure passes) and ``erasure_log`` are added.

    No row changes; the DELETE triggers of ``sef_history`` and ``reflections``
    are replaced by ones that let :func:`~wqm_nb.store.maintenance.remove_school`
    through.
    """
    _run(conn, _V3)


# -- 3 -> 4: survey imports, packed answers, tallies, comments ---------------

_V4 = """
CREATE TABLE survey_imports (
    import_id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_year_id INTEGER NOT NULL REFERENCES school_years(school_year_id),
    survey TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('responses', 'tally')),
    source TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    file_sha256 TEXT NOT NULL DEFAULT '',
    item_ids TEXT NOT NULL,
    respondents INTEGER NOT NULL DEFAULT 0,
    dropped_empty INTEGER NOT NULL DEFAULT 0,
    details TEXT NOT NULL DEFAULT '{}',
    imported_by TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    replaced_by INTEGER REFERENCES survey_imports(import_id)
);
CREATE INDEX survey_imports_year ON survey_imports (school_year_id, survey);
CREATE TRIGGER survey_imports_replaced_once BEFORE UPDATE ON survey_imports
WHEN OLD.replaced_by IS NOT NULL OR NEW.replaced_by IS NULL OR NEW.replaced_by <= OLD.import_id
  OR NEW.import_id != OLD.import_id OR NEW.school_year_id != OLD.school_year_id OR NEW.survey != OLD.survey
  OR NEW.kind != OLD.kind OR NEW.source != OLD.source OR NEW.file_name != OLD.file_name
  OR NEW.file_sha256 != OLD.file_sha256 OR NEW.item_ids != OLD.item_ids OR NEW.respondents != OLD.respondents
  OR NEW.dropped_empty != OLD.dropped_empty OR NEW.details != OLD.details OR NEW.imported_by != OLD.imported_by
  OR NEW.imported_at != OLD.imported_at
BEGIN SELECT RAISE(ABORT, 'an import record changes only once, when a later import replaces it'); END;
CREATE TABLE survey_answers (
    import_id INTEGER NOT NULL REFERENCES survey_imports(import_id),
    respondent TEXT NOT NULL,
    subgroup TEXT NOT NULL DEFAULT '',
    answers TEXT NOT NULL,
    PRIMARY KEY (import_id, respondent)
);
CREATE TABLE survey_tallies (
    import_id INTEGER NOT NULL REFERENCES survey_imports(import_id),
    subgroup TEXT NOT NULL DEFAULT '',
    item_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (import_id, subgroup, item_id, value)
);
CREATE TABLE survey_comments (
    comment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id INTEGER NOT NULL REFERENCES survey_imports(import_id),
    item_id TEXT NOT NULL,
    text TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT ''
);
"""


def migrate_3_to_4(conn: sqlite3.Connection) -> None:
    """Version 3 to 4: the answers of each school year and survey become one import
    (source ``migrated``) with one packed row per respondent; ``survey_responses`` goes.

    Every answer is kept: the import's items are the distinct items answered,
    in sorted order; a value outside 0-9 (never written by wqm) stops the
    migration.
    """
    from datetime import datetime, timezone

    _run(conn, _V4)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    groups = conn.execute(
        "SELECT DISTINCT school_year_id, survey FROM survey_responses ORDER BY school_year_id, survey"
    ).fetchall()
    for school_year_id, survey in groups:
        rows = conn.execute(
            "SELECT respondent, subgroup, item_id, value FROM survey_responses "
            "WHERE school_year_id = ? AND survey = ? ORDER BY respondent, item_id",
            (school_year_id, survey),
        ).fetchall()
        items = sorted({r[2] for r in rows})
        column = {item: k for k, item in enumerate(items)}
        people: dict[str, tuple[str, list[str]]] = {}
        for respondent, subgroup, item_id, value in rows:
            if not 0 <= int(value) <= 9:
                raise StoreError(
                    f"survey {survey}, respondent {respondent}, item {item_id}: value {value} cannot be migrated"
                )
            answers = people.setdefault(respondent, (subgroup, ["."] * len(items)))[1]
            answers[column[item_id]] = str(int(value))
        cur = conn.execute(
            "INSERT INTO survey_imports (school_year_id, survey, kind, source, item_ids, respondents, "
            "imported_at) VALUES (?, ?, 'responses', 'migrated', ?, ?, ?)",
            (school_year_id, survey, ",".join(items), len(people), stamp),
        )
        conn.executemany(
            "INSERT INTO survey_answers (import_id, respondent, subgroup, answers) VALUES (?, ?, ?, ?)",
            [(cur.lastrowid, r, sub, "".join(a)) for r, (sub, a) in people.items()],
        )
    conn.execute("DROP TABLE survey_responses")


# -- 4 -> 5: capture (element state with sorting, superseding notes, targets) -----


def _v5_guards(table: str, key: str, message: str) -> str:
    """Version 5's three append-only triggers of a history table."""
    return f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
WHEN {_V3_NOT_ERASING}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key})
BEGIN SELECT RAISE(ABORT, '{message}: that row exists'); END;
"""


_V5 = f"""
DROP VIEW sef_current;
DROP INDEX sef_history_cycle;
DROP TRIGGER sef_history_no_update;
DROP TRIGGER sef_history_no_delete;
DROP TRIGGER sef_history_no_replace;
DROP TRIGGER adviser_notes_no_update;
DROP TRIGGER adviser_notes_no_delete;
DROP TRIGGER adviser_notes_no_replace;
ALTER TABLE sef_history RENAME TO sef_history_v4;
ALTER TABLE adviser_notes RENAME TO adviser_notes_v4;
CREATE TABLE sef_history (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    element_id TEXT NOT NULL,
    rating INTEGER,
    evidence TEXT NOT NULL DEFAULT '',
    sorting TEXT NOT NULL DEFAULT '' CHECK (sorting IN ('', 'doing_now', 'want_to_do', 'not_for_us')),
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT ''
);
INSERT INTO sef_history (entry_id, cycle_id, element_id, rating, evidence, recorded_by, recorded_at)
    SELECT entry_id, cycle_id, element_id, rating, evidence, recorded_by, recorded_at FROM sef_history_v4
    ORDER BY entry_id;
DROP TABLE sef_history_v4;
CREATE INDEX sef_history_cycle ON sef_history (cycle_id, element_id, recorded_at, entry_id);
{_v5_guards("sef_history", "entry_id", "sef_history is append-only")}
CREATE VIEW sef_current AS
    SELECT entry_id, cycle_id, element_id, rating, evidence, sorting, recorded_by, recorded_at, source FROM (
        SELECT h.*, row_number() OVER (PARTITION BY cycle_id, element_id
                                       ORDER BY recorded_at DESC, entry_id DESC) AS rank
        FROM sef_history h)
    WHERE rank = 1;
CREATE TABLE adviser_notes (
    note_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    principle_id TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL CHECK (length(trim(note)) > 0 OR supersedes IS NOT NULL),
    created_at TEXT NOT NULL,
    supersedes INTEGER REFERENCES adviser_notes(note_id)
);
INSERT INTO adviser_notes (note_id, cycle_id, principle_id, author, note, created_at)
    SELECT note_id, cycle_id, principle_id, author, note, created_at FROM adviser_notes_v4 ORDER BY note_id;
DROP TABLE adviser_notes_v4;
{_v5_guards("adviser_notes", "note_id", "adviser notes are append-only")}
CREATE VIEW adviser_notes_current AS
    SELECT n.* FROM adviser_notes n
    WHERE length(trim(n.note)) > 0
      AND NOT EXISTS (SELECT 1 FROM adviser_notes later WHERE later.supersedes = n.note_id);
CREATE TABLE target_history (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    target_id TEXT NOT NULL CHECK (length(target_id) > 0),
    principle_id TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    review_date TEXT NOT NULL DEFAULT ''
        CHECK (review_date = '' OR review_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'achieved', 'dropped')),
    carried_from INTEGER REFERENCES cycles(cycle_id),
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
CREATE INDEX target_history_cycle ON target_history (cycle_id, target_id, recorded_at, entry_id);
{_v5_guards("target_history", "entry_id", "target_history is append-only")}
CREATE VIEW targets_current AS
    SELECT entry_id, cycle_id, target_id, principle_id, text, owner, review_date, status, carried_from,
           recorded_by, recorded_at FROM (
        SELECT t.*, row_number() OVER (PARTITION BY cycle_id, target_id
                                       ORDER BY recorded_at DESC, entry_id DESC) AS rank
        FROM target_history t)
    WHERE rank = 1;
"""


def migrate_4_to_5(conn: sqlite3.Connection) -> None:
    """Version 4 to 5: ``sef_history`` gains ``sorting`` and ``source`` and an empty rating is
    allowed; adviser notes may supersede earlier ones; ``target_history`` is added.

    Both history tables are rebuilt with every row and id kept (existing
    entries get an empty sorting and source; no note supersedes another).
    """
    _run(conn, _V5)


# -- 5 -> 6: award decisions, benchmark cache -----------------------------

_V6 = """
CREATE TABLE award_decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id TEXT NOT NULL REFERENCES schools(school_id),
    framework TEXT NOT NULL,
    level TEXT NOT NULL,
    academic_year TEXT NOT NULL CHECK (academic_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    decided_on TEXT NOT NULL CHECK (decided_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    assessor TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL CHECK (outcome IN ('awarded', 'not_awarded', 'deferred', 'withdrawn')),
    reasons TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    supersedes INTEGER REFERENCES award_decisions(decision_id)
);
CREATE INDEX award_decisions_school ON award_decisions (school_id, framework, academic_year);
CREATE TRIGGER award_decisions_no_update BEFORE UPDATE ON award_decisions
BEGIN SELECT RAISE(ABORT, 'award decisions are append-only'); END;
CREATE TRIGGER award_decisions_no_delete BEFORE DELETE ON award_decisions
WHEN NOT EXISTS (SELECT 1 FROM erasures e WHERE e.school_id = OLD.school_id)
BEGIN SELECT RAISE(ABORT, 'award decisions are append-only'); END;
CREATE TRIGGER award_decisions_no_replace BEFORE INSERT ON award_decisions
WHEN EXISTS (SELECT 1 FROM award_decisions WHERE decision_id = NEW.decision_id)
BEGIN SELECT RAISE(ABORT, 'award decisions are append-only: that row exists'); END;
CREATE VIEW award_decisions_current AS
    SELECT d.* FROM award_decisions d
    WHERE NOT EXISTS (SELECT 1 FROM award_decisions later WHERE later.supersedes = d.decision_id);
CREATE TABLE benchmarks (
    school_id TEXT NOT NULL REFERENCES schools(school_id),
    academic_year TEXT NOT NULL,
    framework TEXT NOT NULL,
    survey TEXT NOT NULL,
    section_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    contributors INTEGER NOT NULL CHECK (contributors >= 0),
    median REAL,
    q1 REAL,
    q3 REAL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (school_id, academic_year, framework, survey, section_id, measure)
);
"""


def migrate_5_to_6(conn: sqlite3.Connection) -> None:
    """Version 5 to 6: ``award_decisions`` (append-only) and the ``benchmarks`` cache are added; no row changes."""
    _run(conn, _V6)


# -- 6 -> 7: measure scores ------------------------------------------------

_V7 = """
CREATE TABLE survey_scores (
    import_id INTEGER NOT NULL REFERENCES survey_imports(import_id),
    respondent TEXT NOT NULL,
    instrument TEXT NOT NULL,
    informant TEXT NOT NULL DEFAULT '',
    score_id TEXT NOT NULL,
    value REAL NOT NULL,
    band TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, respondent, instrument, score_id),
    FOREIGN KEY (import_id, respondent) REFERENCES survey_answers(import_id, respondent)
);
"""


def migrate_6_to_7(conn: sqlite3.Connection) -> None:
    """Version 6 to 7: ``survey_scores`` (measure scores per respondent of an import) is added; no row
    changes (an older import has no scores)."""
    _run(conn, _V7)


# -- 7 -> 8: saved import mappings -------------------------------------------


def migrate_7_to_8(conn: sqlite3.Connection) -> None:
    """Version 7 to 8: ``import_mappings`` (mappings saved for a form's exports) is added; no row changes."""
    from .schema import MAPPING_TABLES

    _run(conn, MAPPING_TABLES)


#: ``{version: step to the next version}``
MIGRATIONS: dict[int, Migration] = {
    1: migrate_1_to_2,
    2: migrate_2_to_3,
    3: migrate_3_to_4,
    4: migrate_4_to_5,
    5: migrate_5_to_6,
    6: migrate_6_to_7,
    7: migrate_7_to_8,
}


def upgrade(conn: sqlite3.Connection, version: int) -> int:
    """Run every step from ``version`` to :data:`SCHEMA_VERSION` on ``conn``; return the new version.

    The caller holds the transaction (and turned foreign keys off before it);
    ``meta.schema_version`` is updated after each step.
    """
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise StoreError(f"no migration from store schema version {version}")
        step(conn)
        version += 1
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    return version


__all__ = [
    "MIGRATIONS",
    "migrate_1_to_2",
    "migrate_2_to_3",
    "migrate_3_to_4",
    "migrate_4_to_5",
    "migrate_5_to_6",
    "migrate_6_to_7",
    "migrate_7_to_8",
    "upgrade",
]
