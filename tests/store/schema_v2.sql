-- The schema of a version 2 wqm store (wqm_nb/store/schema.py at commit a309adb), for migration tests.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schools (
    school_id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    phase TEXT NOT NULL CHECK (phase IN ('primary', 'secondary', 'all-through', 'special')),
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
