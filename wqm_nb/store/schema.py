"""The SQLite schema of a wqm store, and its version.

Vocabulary, used the same way everywhere in the package:

* ``year`` / ``academic_year``: an academic year string such as ``2024-25``;
* a *school year* (table ``school_years``, id ``school_year_id``): one school
  in one academic year. Surveys belong here: they inform every framework;
* a *cycle* (table ``cycles``, id ``cycle_id``): one school's self-evaluation
  against one framework in one academic year. SEF ratings, adviser notes and
  reflections belong to a cycle.

History tables (``sef_history``, ``reflections``) are append-only: triggers
refuse UPDATE and DELETE. The current value is the latest by ``recorded_at``
(ties broken by entry order).
"""
from __future__ import annotations

PHASES = ("primary", "secondary", "all-through", "special")
SCHEMA_VERSION = 2
APPLICATION_ID = 0x77716D31  # "wqm1": marks an SQLite file as a wqm store

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
    rating INTEGER NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sef_history_cycle ON sef_history (cycle_id, element_id, recorded_at, entry_id);
CREATE TRIGGER IF NOT EXISTS sef_history_no_update BEFORE UPDATE ON sef_history
BEGIN SELECT RAISE(ABORT, 'sef_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS sef_history_no_delete BEFORE DELETE ON sef_history
BEGIN SELECT RAISE(ABORT, 'sef_history is append-only'); END;
CREATE VIEW IF NOT EXISTS sef_current AS
    SELECT entry_id, cycle_id, element_id, rating, evidence, recorded_by, recorded_at FROM (
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
CREATE TRIGGER IF NOT EXISTS reflections_no_update BEFORE UPDATE ON reflections
BEGIN SELECT RAISE(ABORT, 'reflections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS reflections_no_delete BEFORE DELETE ON reflections
BEGIN SELECT RAISE(ABORT, 'reflections are append-only'); END;
CREATE TABLE IF NOT EXISTS adviser_notes (
    note_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    principle_id TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL CHECK (length(trim(note)) > 0),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS survey_responses (
    school_year_id INTEGER NOT NULL REFERENCES school_years(school_year_id),
    survey TEXT NOT NULL,
    respondent TEXT NOT NULL,
    subgroup TEXT NOT NULL DEFAULT '',
    item_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (school_year_id, survey, respondent, item_id)
);
"""


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
