"""The SQLite schema of a wqm store, and its version.

Vocabulary, used the same way everywhere in the package:

* ``year`` / ``academic_year``: an academic year string such as ``2024-25``;
* a *school year* (table ``school_years``, id ``school_year_id``): one school
  in one academic year. Surveys belong here: they inform every framework;
* a *cycle* (table ``cycles``, id ``cycle_id``): one school's self-evaluation
  against one framework in one academic year. SEF ratings, adviser notes and
  reflections belong to a cycle.

History tables (``sef_history``, ``reflections``, ``adviser_notes``,
``target_history``) are append-only. Triggers refuse, whoever runs the SQL:

* UPDATE of a history row;
* INSERT of a row whose primary key exists (``INSERT OR REPLACE`` would
  otherwise delete the old row first);
* DELETE, except of the rows of a school listed in ``erasures``. That table is
  empty but for the one transaction of
  :func:`wqm_nb.store.maintenance.remove_school` (erasing a school whole, for
  retention or a data-subject request), which also appends counts (no personal
  data) to ``erasure_log``, itself append-only.

Every connection the store opens sets ``PRAGMA recursive_triggers = ON``, so
the implicit delete of ``INSERT OR REPLACE`` meets the DELETE triggers too.
The current value is the latest by ``recorded_at`` (ties broken by entry
order).

Version history (each step is a function in :mod:`wqm_nb.store.migrations`):

1. cycles per school, framework and year; survey responses hang off a cycle;
2. ``school_years`` (surveys belong to the school year) and ``reflections``;
3. INSERT guards on history tables, append-only adviser notes, ``erasures``
   and ``erasure_log``;
4. survey imports: every batch of survey data is a row of ``survey_imports``
   (source tool, file name and SHA-256, who and when; a later import that
   replaces it is recorded in ``replaced_by`` and the row is kept). Its
   respondents are rows of ``survey_answers``, one per respondent with the
   answers packed one character per item (see :mod:`wqm_nb.store.surveys`);
   paper tallies are counts in ``survey_tallies``; kept (redacted) comments
   are in ``survey_comments``, linked to the import only, never to a
   respondent.
5. capture: a ``sef_history`` entry is the whole state of one element after
   one edit: ``rating`` may be empty (evidence written before a rating is
   chosen, or a rating cleared), ``sorting`` is the NCB tool's sorting
   (``doing_now``, ``want_to_do``, ``not_for_us``) and ``source`` says where
   the edit came from (``form``, ``xlsx``, ``csv``, ``cli``). An adviser note
   may ``supersede`` an earlier one (the form edits a note in place by
   appending its new text; an empty text withdraws it). ``target_history``
   holds targets: ``target_id`` names one target across its edits and the
   years it is carried into (``carried_from`` is the cycle it came from).
6. decisions: ``award_decisions`` records each award decision (school,
   framework, level, academic year, date, assessor, outcome, reasons);
   append-only, a correction ``supersedes`` the decision it corrects. The
   award rules read them ("Beacon after three years as Champion").
   ``benchmarks`` caches, per school, the portfolio benchmark of each of its
   figures (median and quartiles of the other schools of its phase, never
   the school itself), so a report reads only its own school's rows. It is
   derived data: recomputed after an import or a batch, never history.
7. measures: ``survey_scores`` holds validated wellbeing measures (SDQ,
   SWEMWBS, Stirling; :mod:`wqm_nb.data.instruments`) scored per respondent
   at import: one row per import, respondent, instrument and score
   (``value``, and ``band`` for a banded score, '' otherwise; ``informant``
   the SDQ's parent, teacher or self, '' where an instrument has one form).
   A row belongs to a stored respondent of the same import (its foreign key
   is ``survey_answers (import_id, respondent)``), so it goes with the
   import's answers when a later import replaces it, and with the school on
   erasure. Only scores are stored, never the instrument's item answers
   (see :mod:`wqm_nb.store.surveys`); a respondent who answered too few
   items to be scored has no row.
8. mappings: ``import_mappings`` keeps the import mappings saved for a form
   (:mod:`wqm_nb.store.import_mappings`): the mapping YAML, the header
   signature of the export it maps, and whose it is (a school's own, or with
   ``school_id`` NULL its ``trust``'s). Configuration, not history: replaced
   and deleted freely, erased with its school.
"""

from __future__ import annotations

from ..data.frameworks import SORTINGS as SORTING_LABELS
from ..settings import PHASES

SCHEMA_VERSION = 8
APPLICATION_ID = 0x77716D31  # "wqm1": marks an SQLite file as a wqm store

#: The NCB tool's sorting of an element (seed 003: "we do this now; we want to do this; we don't
#: want/understand this"), as stored.
SORTINGS = tuple(SORTING_LABELS)
#: An award decision's outcome, as stored.
AWARD_OUTCOMES = ("awarded", "not_awarded", "deferred", "withdrawn")
#: A target's status, as stored; the first two are open (carried into the next year).
TARGET_STATUSES = ("open", "in_progress", "achieved", "dropped")
OPEN_TARGET_STATUSES = ("open", "in_progress")

#: The WHEN clause of a history table's DELETE trigger: the row's cycle is not
#: one of a school being erased (listed in ``erasures``).
NOT_ERASING = (
    "NOT EXISTS (SELECT 1 FROM cycles c JOIN school_years y ON y.school_year_id = c.school_year_id "
    "JOIN erasures e ON e.school_id = y.school_id WHERE c.cycle_id = OLD.cycle_id)"
)


def _guards(table: str, key: str, message: str) -> str:
    """The three append-only triggers of a history table keyed by ``key``."""
    return f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
WHEN {NOT_ERASING}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table}
WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key})
BEGIN SELECT RAISE(ABORT, '{message}: that row exists'); END;"""


SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schools (
    school_id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    phase TEXT NOT NULL CHECK (phase IN ({", ".join(repr(p) for p in PHASES)})),
    trust TEXT NOT NULL DEFAULT '',
    local_authority TEXT NOT NULL DEFAULT '',
    pupils INTEGER
);
CREATE TABLE IF NOT EXISTS school_years (
    school_year_id INTEGER PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(school_id),
    academic_year TEXT NOT NULL CHECK (academic_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    UNIQUE (school_id, academic_year)
);
CREATE TABLE IF NOT EXISTS cycles (
    cycle_id INTEGER PRIMARY KEY,
    school_year_id INTEGER NOT NULL REFERENCES school_years(school_year_id),
    framework TEXT NOT NULL,
    UNIQUE (school_year_id, framework)
);
CREATE TABLE IF NOT EXISTS sef_history (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    element_id TEXT NOT NULL,
    rating INTEGER,
    evidence TEXT NOT NULL DEFAULT '',
    sorting TEXT NOT NULL DEFAULT '' CHECK (sorting IN ('', {{SORTING_LIST}})),
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sef_history_cycle ON sef_history (cycle_id, element_id, recorded_at, entry_id);
{_guards("sef_history", "entry_id", "sef_history is append-only")}
CREATE VIEW IF NOT EXISTS sef_current AS
    SELECT entry_id, cycle_id, element_id, rating, evidence, sorting, recorded_by, recorded_at, source FROM (
        SELECT h.*, row_number() OVER (PARTITION BY cycle_id, element_id
                                       ORDER BY recorded_at DESC, entry_id DESC) AS rank
        FROM sef_history h)
    WHERE rank = 1;
CREATE TABLE IF NOT EXISTS reflections (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    reflection_id TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
{_guards("reflections", "entry_id", "reflections are append-only")}
CREATE TABLE IF NOT EXISTS adviser_notes (
    note_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    principle_id TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL CHECK (length(trim(note)) > 0 OR supersedes IS NOT NULL),
    created_at TEXT NOT NULL,
    supersedes INTEGER REFERENCES adviser_notes(note_id)
);
{_guards("adviser_notes", "note_id", "adviser notes are append-only")}
CREATE VIEW IF NOT EXISTS adviser_notes_current AS
    SELECT n.* FROM adviser_notes n
    WHERE length(trim(n.note)) > 0
      AND NOT EXISTS (SELECT 1 FROM adviser_notes later WHERE later.supersedes = n.note_id);
CREATE TABLE IF NOT EXISTS target_history (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    target_id TEXT NOT NULL CHECK (length(target_id) > 0),
    principle_id TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    review_date TEXT NOT NULL DEFAULT ''
        CHECK (review_date = '' OR review_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ({{TARGET_STATUS_LIST}})),
    carried_from INTEGER REFERENCES cycles(cycle_id),
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS target_history_cycle ON target_history (cycle_id, target_id, recorded_at, entry_id);
{_guards("target_history", "entry_id", "target_history is append-only")}
CREATE VIEW IF NOT EXISTS targets_current AS
    SELECT entry_id, cycle_id, target_id, principle_id, text, owner, review_date, status, carried_from,
           recorded_by, recorded_at FROM (
        SELECT t.*, row_number() OVER (PARTITION BY cycle_id, target_id
                                       ORDER BY recorded_at DESC, entry_id DESC) AS rank
        FROM target_history t)
    WHERE rank = 1;
{{SURVEY_TABLES}}{{DECISION_TABLES}}{{MAPPING_TABLES}}CREATE TABLE IF NOT EXISTS erasures (school_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS erasure_log (
    erasure_id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id TEXT NOT NULL,
    removed_at TEXT NOT NULL,
    counts TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS erasure_log_no_update BEFORE UPDATE ON erasure_log
BEGIN SELECT RAISE(ABORT, 'erasure_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS erasure_log_no_delete BEFORE DELETE ON erasure_log
BEGIN SELECT RAISE(ABORT, 'erasure_log is append-only'); END;
"""


SURVEY_TABLES = """
CREATE TABLE IF NOT EXISTS survey_imports (
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
CREATE INDEX IF NOT EXISTS survey_imports_year ON survey_imports (school_year_id, survey);
CREATE TRIGGER IF NOT EXISTS survey_imports_replaced_once BEFORE UPDATE ON survey_imports
WHEN OLD.replaced_by IS NOT NULL OR NEW.replaced_by IS NULL OR NEW.replaced_by <= OLD.import_id
  OR NEW.import_id != OLD.import_id OR NEW.school_year_id != OLD.school_year_id OR NEW.survey != OLD.survey
  OR NEW.kind != OLD.kind OR NEW.source != OLD.source OR NEW.file_name != OLD.file_name
  OR NEW.file_sha256 != OLD.file_sha256 OR NEW.item_ids != OLD.item_ids OR NEW.respondents != OLD.respondents
  OR NEW.dropped_empty != OLD.dropped_empty OR NEW.details != OLD.details OR NEW.imported_by != OLD.imported_by
  OR NEW.imported_at != OLD.imported_at
BEGIN SELECT RAISE(ABORT, 'an import record changes only once, when a later import replaces it'); END;
CREATE TABLE IF NOT EXISTS survey_answers (
    import_id INTEGER NOT NULL REFERENCES survey_imports(import_id),
    respondent TEXT NOT NULL,
    subgroup TEXT NOT NULL DEFAULT '',
    answers TEXT NOT NULL,
    PRIMARY KEY (import_id, respondent)
);
CREATE TABLE IF NOT EXISTS survey_tallies (
    import_id INTEGER NOT NULL REFERENCES survey_imports(import_id),
    subgroup TEXT NOT NULL DEFAULT '',
    item_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (import_id, subgroup, item_id, value)
);
CREATE TABLE IF NOT EXISTS survey_comments (
    comment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id INTEGER NOT NULL REFERENCES survey_imports(import_id),
    item_id TEXT NOT NULL,
    text TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS survey_scores (
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
DECISION_TABLES = """
CREATE TABLE IF NOT EXISTS award_decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id TEXT NOT NULL REFERENCES schools(school_id),
    framework TEXT NOT NULL,
    level TEXT NOT NULL,
    academic_year TEXT NOT NULL CHECK (academic_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    decided_on TEXT NOT NULL CHECK (decided_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    assessor TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL CHECK (outcome IN ({AWARD_OUTCOME_LIST})),
    reasons TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    supersedes INTEGER REFERENCES award_decisions(decision_id)
);
CREATE INDEX IF NOT EXISTS award_decisions_school ON award_decisions (school_id, framework, academic_year);
CREATE TRIGGER IF NOT EXISTS award_decisions_no_update BEFORE UPDATE ON award_decisions
BEGIN SELECT RAISE(ABORT, 'award decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS award_decisions_no_delete BEFORE DELETE ON award_decisions
WHEN NOT EXISTS (SELECT 1 FROM erasures e WHERE e.school_id = OLD.school_id)
BEGIN SELECT RAISE(ABORT, 'award decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS award_decisions_no_replace BEFORE INSERT ON award_decisions
WHEN EXISTS (SELECT 1 FROM award_decisions WHERE decision_id = NEW.decision_id)
BEGIN SELECT RAISE(ABORT, 'award decisions are append-only: that row exists'); END;
CREATE VIEW IF NOT EXISTS award_decisions_current AS
    SELECT d.* FROM award_decisions d
    WHERE NOT EXISTS (SELECT 1 FROM award_decisions later WHERE later.supersedes = d.decision_id);
CREATE TABLE IF NOT EXISTS benchmarks (
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
MAPPING_TABLES = """
CREATE TABLE IF NOT EXISTS import_mappings (
    mapping_id INTEGER PRIMARY KEY AUTOINCREMENT,
    survey TEXT NOT NULL,
    signature TEXT NOT NULL,
    school_id TEXT REFERENCES schools(school_id),
    trust TEXT NOT NULL DEFAULT '',
    mapping TEXT NOT NULL,
    headers TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL DEFAULT '',
    saved_by TEXT NOT NULL DEFAULT '',
    saved_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS import_mappings_form ON import_mappings (survey, signature);
"""
SCHEMA = (
    SCHEMA.replace("{SURVEY_TABLES}", SURVEY_TABLES)
    .replace("{MAPPING_TABLES}", MAPPING_TABLES)
    .replace("{DECISION_TABLES}", DECISION_TABLES)
    .replace("{AWARD_OUTCOME_LIST}", ", ".join(repr(s) for s in AWARD_OUTCOMES))
    .replace("{SORTING_LIST}", ", ".join(repr(s) for s in SORTINGS))
    .replace("{TARGET_STATUS_LIST}", ", ".join(repr(s) for s in TARGET_STATUSES))
)


def statements(script: str = SCHEMA) -> list[str]:
    """Split a schema script into statements (trigger bodies contain ';')."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            out.append(text)
            buf = []
    return out
