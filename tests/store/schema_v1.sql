-- The schema of a version 1 wqm store (wqm_nb/store.py at commit 00a8f0a), for migration tests.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schools (
    school_id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    phase TEXT NOT NULL CHECK (phase IN ('primary', 'secondary', 'all-through', 'special')),
    trust TEXT NOT NULL DEFAULT '',
    local_authority TEXT NOT NULL DEFAULT '',
    pupils INTEGER
);
CREATE TABLE IF NOT EXISTS cycles (
    cycle_id INTEGER PRIMARY KEY,
    school_id TEXT NOT NULL REFERENCES schools(school_id),
    framework TEXT NOT NULL,
    academic_year TEXT NOT NULL CHECK (academic_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    UNIQUE (school_id, framework, academic_year)
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
CREATE INDEX IF NOT EXISTS sef_history_cycle ON sef_history (cycle_id, element_id, entry_id);
CREATE TRIGGER IF NOT EXISTS sef_history_no_update BEFORE UPDATE ON sef_history
BEGIN SELECT RAISE(ABORT, 'sef_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS sef_history_no_delete BEFORE DELETE ON sef_history
BEGIN SELECT RAISE(ABORT, 'sef_history is append-only'); END;
CREATE VIEW IF NOT EXISTS sef_current AS
    SELECT h.* FROM sef_history h
    WHERE h.entry_id = (SELECT max(entry_id) FROM sef_history x
                        WHERE x.cycle_id = h.cycle_id AND x.element_id = h.element_id);
CREATE TABLE IF NOT EXISTS adviser_notes (
    note_id INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    principle_id TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL CHECK (length(trim(note)) > 0),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS survey_responses (
    cycle_id INTEGER NOT NULL REFERENCES cycles(cycle_id),
    survey TEXT NOT NULL,
    respondent TEXT NOT NULL,
    subgroup TEXT NOT NULL DEFAULT '',
    item_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (cycle_id, survey, respondent, item_id)
);
