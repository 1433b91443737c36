"""Embedded SQLite store: schools, assessment cycles, SEF ratings, notes, surveys.

No server is needed: a store is one SQLite file (or an in-memory database
filled from a folder of CSV files such as ``sample_data/``).

* Cycles are per school, framework and academic year (``2024-25``).
* SEF ratings are kept in ``sef_history``, which is append-only (triggers
  refuse UPDATE and DELETE); the current rating of an element is its latest
  entry (view ``sef_current``).
* Every public write runs in one transaction: it is all written or not at all.
"""
from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import pandas as pd

from .frameworks import Framework, QuestionBank, load_framework, load_question_bank

PHASES = ("primary", "secondary", "all-through", "special")
SCHEMA_VERSION = 1

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
"""

# CSV exchange format (sample_data/ and `wqm import`).
CSV_FILES = {
    "schools": ("schools.csv", ["school_id", "name", "phase", "trust", "local_authority", "pupils"]),
    "cycles": ("cycles.csv", ["school_id", "framework", "academic_year"]),
    "sef": ("sef_ratings.csv", ["school_id", "framework", "academic_year", "element_id", "rating",
                                "evidence", "recorded_by", "recorded_at"]),
    "notes": ("adviser_notes.csv", ["school_id", "framework", "academic_year", "principle_id", "author",
                                    "note", "created_at"]),
}
SURVEY_CSV = "{survey}_survey.csv"          # one wide file per survey
SURVEY_ID_COLUMNS = ["school_id", "academic_year", "respondent"]

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


class StoreError(ValueError):
    """A write was refused (unknown school, bad rating, ...). Nothing was written."""


def check_academic_year(year: str) -> str:
    """Return ``year`` if it is an academic year like ``2024-25``, else raise."""
    m = _YEAR.match(str(year))
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise StoreError(f"academic year must look like 2024-25, got {year!r}")
    return str(year)


def academic_year_of(day: datetime) -> str:
    """Academic year (September to August) that a date falls in."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A WQM data store in one SQLite database."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self._depth = 0
        with self.transaction():
            for statement in _split_sql(SCHEMA):
                self.conn.execute(statement)
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    # -- opening ---------------------------------------------------------

    @classmethod
    def open(cls, location: str | Path) -> "Store":
        """Open a store file, or load a folder of CSV files into memory."""
        location = Path(location)
        if location.is_dir():
            store = cls(":memory:")
            import_csv_dir(store, location)
            return store
        if not location.exists():
            raise FileNotFoundError(f"no data at {location} (expected a .sqlite file or a CSV folder)")
        return cls(location)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside succeed together or are rolled back together."""
        name = f"sp{self._depth}"
        if self._depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        else:
            self._depth -= 1
            self.conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return pd.DataFrame([tuple(row) for row in cur.fetchall()], columns=cols)

    def _select(self, sql: str, params: tuple, order: str, **filters) -> pd.DataFrame:
        """``sql`` (ending in a WHERE clause) narrowed by the filters that are set."""
        for column, value in filters.items():
            if value:
                sql += f" AND {column} = ?"
                params += (value,)
        return self._frame(f"{sql} ORDER BY {order}", params)

    # -- schools and cycles ---------------------------------------------

    def add_school(self, school_id: str, name: str, phase: str, trust: str = "",
                   local_authority: str = "", pupils: int | None = None) -> None:
        if phase not in PHASES:
            raise StoreError(f"school {school_id}: phase must be one of {', '.join(PHASES)}, got {phase!r}")
        if not str(school_id).strip() or not str(name).strip():
            raise StoreError("a school needs an id and a name")
        with self.transaction() as c:
            try:
                c.execute("INSERT INTO schools VALUES (?, ?, ?, ?, ?, ?)",
                          (school_id, name, phase, trust or "", local_authority or "", pupils))
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"school {school_id}: {exc}") from exc

    def schools(self, trust: str | None = None) -> pd.DataFrame:
        if trust:
            return self._frame("SELECT * FROM schools WHERE trust = ? ORDER BY school_id", (trust,))
        return self._frame("SELECT * FROM schools ORDER BY school_id")

    def school(self, school_id: str) -> dict:
        row = self.conn.execute("SELECT * FROM schools WHERE school_id = ?", (school_id,)).fetchone()
        if row is None:
            known = ", ".join(self.schools()["school_id"]) or "none"
            raise KeyError(f"unknown school {school_id!r} (known: {known})")
        return dict(row)

    def ensure_cycle(self, school_id: str, academic_year: str, framework: str = "wqm") -> int:
        """The id of the school's cycle for that year, created if needed."""
        check_academic_year(academic_year)
        self.school(school_id)
        load_framework(framework)
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO cycles (school_id, framework, academic_year) VALUES (?, ?, ?)",
                      (school_id, framework, academic_year))
            return c.execute("SELECT cycle_id FROM cycles WHERE school_id = ? AND framework = ? AND "
                             "academic_year = ?", (school_id, framework, academic_year)).fetchone()[0]

    def cycle(self, school_id: str, academic_year: str | None = None, framework: str = "wqm") -> dict:
        """A school's cycle for a year; the latest one when no year is given."""
        self.school(school_id)
        if academic_year:
            row = self.conn.execute("SELECT * FROM cycles WHERE school_id = ? AND framework = ? AND "
                                    "academic_year = ?", (school_id, framework, academic_year)).fetchone()
        else:
            row = self.conn.execute("SELECT * FROM cycles WHERE school_id = ? AND framework = ? "
                                    "ORDER BY academic_year DESC LIMIT 1", (school_id, framework)).fetchone()
        if row is None:
            years = ", ".join(self.cycles(school_id, framework)["academic_year"]) or "none"
            raise KeyError(f"school {school_id!r} has no {framework} cycle for {academic_year or 'any year'} "
                           f"(years: {years})")
        return dict(row)

    def cycles(self, school_id: str | None = None, framework: str = "wqm") -> pd.DataFrame:
        return self._select("SELECT * FROM cycles WHERE framework = ?", (framework,),
                            "school_id, academic_year", school_id=school_id)

    def _cycle_framework(self, cycle_id: int) -> Framework:
        row = self.conn.execute("SELECT framework FROM cycles WHERE cycle_id = ?", (cycle_id,)).fetchone()
        if row is None:
            raise StoreError(f"no cycle {cycle_id}")
        return load_framework(row[0])

    # -- SEF ratings -----------------------------------------------------

    def record_ratings(self, cycle_id: int, ratings: Iterable[Mapping], recorded_by: str = "") -> list[int]:
        """Append ratings (dicts with element_id, rating, evidence[, recorded_by, recorded_at]).

        All are validated against the cycle's framework and written in one
        transaction; if any is invalid nothing is written.
        """
        fw = self._cycle_framework(cycle_id)
        valid_elements = set(fw.element_ids)
        ids = []
        with self.transaction() as c:
            for r in ratings:
                element_id = r["element_id"]
                if element_id not in valid_elements:
                    raise StoreError(f"element {element_id!r} is not in framework {fw.id!r}")
                rating = _whole_number(r["rating"])
                if rating is None:
                    raise StoreError(f"element {element_id}: rating must be a whole number, got {r['rating']!r}")
                if rating not in fw.scale.values:
                    raise StoreError(f"element {element_id}: rating {rating} is not on the "
                                     f"{fw.scale.id} scale {list(fw.scale.values)}")
                cur = c.execute(
                    "INSERT INTO sef_history (cycle_id, element_id, rating, evidence, recorded_by, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (cycle_id, element_id, rating, _text(r.get("evidence")),
                     _text(r.get("recorded_by")) or recorded_by, _text(r.get("recorded_at")) or _now()))
                ids.append(cur.lastrowid)
        return ids

    def record_rating(self, cycle_id: int, element_id: str, rating: int, evidence: str = "",
                      recorded_by: str = "", recorded_at: str | None = None) -> int:
        return self.record_ratings(cycle_id, [dict(element_id=element_id, rating=rating, evidence=evidence,
                                                   recorded_by=recorded_by, recorded_at=recorded_at)])[0]

    def current_ratings(self, cycle_id: int) -> pd.DataFrame:
        return self._frame("SELECT element_id, rating, evidence, recorded_by, recorded_at, entry_id "
                           "FROM sef_current WHERE cycle_id = ? ORDER BY entry_id", (cycle_id,))

    def rating_history(self, cycle_id: int, element_id: str | None = None) -> pd.DataFrame:
        return self._select("SELECT * FROM sef_history WHERE cycle_id = ?", (cycle_id,), "entry_id",
                            element_id=element_id)

    # -- adviser notes ---------------------------------------------------

    def add_note(self, cycle_id: int, note: str, author: str = "", principle_id: str = "",
                 created_at: str | None = None) -> int:
        fw = self._cycle_framework(cycle_id)
        if principle_id and principle_id not in fw.principle_ids:
            raise StoreError(f"principle {principle_id!r} is not in framework {fw.id!r}")
        if not _text(note).strip():
            raise StoreError("a note needs some text")
        with self.transaction() as c:
            return c.execute("INSERT INTO adviser_notes (cycle_id, principle_id, author, note, created_at) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (cycle_id, principle_id or "", author or "", note, created_at or _now())).lastrowid

    def notes(self, cycle_id: int) -> pd.DataFrame:
        return self._frame("SELECT principle_id, author, note, created_at FROM adviser_notes "
                           "WHERE cycle_id = ? ORDER BY created_at, note_id", (cycle_id,))

    # -- surveys -----------------------------------------------------------

    def add_survey_responses(self, cycle_id: int, survey: str, responses: pd.DataFrame,
                             bank: QuestionBank | None = None) -> int:
        """Add one survey's responses in wide form: a ``respondent`` column, the
        survey's subgroup column if it has one, and one column per item (blank =
        not answered). Returns the number of answers written."""
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
        allowed = set(bank.likert_values)
        rows = []
        for rec in responses.to_dict("records"):
            subgroup = _text(rec.get(sub_field)) if sub_field else ""
            if sub_field and subgroup and subgroup not in spec.subgroup.values:
                raise StoreError(f"{survey} survey, respondent {rec['respondent']}: unknown "
                                 f"{spec.subgroup.field} {subgroup!r}")
            for item in item_cols:
                value = rec[item]
                if value is None or value != value or value == "":
                    continue
                number = _whole_number(value)
                if number not in allowed:
                    raise StoreError(f"{survey} survey, respondent {rec['respondent']}, item {item}: "
                                     f"{value!r} is not on the Likert scale {sorted(allowed)}")
                rows.append((cycle_id, survey, str(rec["respondent"]), subgroup, item, number))
        with self.transaction() as c:
            try:
                c.executemany("INSERT INTO survey_responses VALUES (?, ?, ?, ?, ?, ?)", rows)
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"{survey} survey: {exc}") from exc
        return len(rows)

    def survey_responses(self, cycle_id: int, survey: str | None = None) -> pd.DataFrame:
        """Long form: survey, respondent, subgroup, item_id, value."""
        return self._select("SELECT survey, respondent, subgroup, item_id, value FROM survey_responses "
                            "WHERE cycle_id = ?", (cycle_id,), "survey, respondent, item_id", survey=survey)


def _whole_number(value) -> int | None:
    """``value`` as an int if it is a whole number (4, 4.0 or "4"), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _split_sql(script: str) -> list[str]:
    """Split a schema script into statements (trigger bodies contain ';')."""
    statements, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            statements.append(text)
            buf = []
    return statements


# --------------------------------------------------------------------------
# CSV exchange


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def import_csv_dir(store: Store, directory: str | Path, bank: QuestionBank | None = None) -> dict[str, int]:
    """Load a folder in the CSV exchange format into ``store`` in one transaction."""
    directory = Path(directory)
    bank = bank or load_question_bank()
    counts = dict.fromkeys(["schools", "cycles", "ratings", "notes", "answers"], 0)
    schools_file = directory / CSV_FILES["schools"][0]
    if not schools_file.exists():
        raise FileNotFoundError(f"{directory}: no {schools_file.name}")
    with store.transaction():
        for rec in _read_csv(schools_file).to_dict("records"):
            store.add_school(rec["school_id"], rec["name"], rec["phase"], rec.get("trust", ""),
                             rec.get("local_authority", ""), int(rec["pupils"]) if rec.get("pupils") else None)
            counts["schools"] += 1
        cycle_ids: dict[tuple, int] = {}

        def cycle_of(rec) -> int:
            key = (rec["school_id"], rec.get("framework") or "wqm", rec["academic_year"])
            if key not in cycle_ids:
                cycle_ids[key] = store.ensure_cycle(key[0], key[2], key[1])
            return cycle_ids[key]

        path = directory / CSV_FILES["cycles"][0]
        if path.exists():
            for rec in _read_csv(path).to_dict("records"):
                cycle_of(rec)
        path = directory / CSV_FILES["sef"][0]
        if path.exists():
            frame = _read_csv(path)
            for keys, group in frame.groupby(["school_id", "framework", "academic_year"], sort=False):
                cid = cycle_of(dict(zip(["school_id", "framework", "academic_year"], keys)))
                counts["ratings"] += len(store.record_ratings(cid, group.to_dict("records")))
        path = directory / CSV_FILES["notes"][0]
        if path.exists():
            for rec in _read_csv(path).to_dict("records"):
                store.add_note(cycle_of(rec), rec["note"], rec.get("author", ""), rec.get("principle_id", ""),
                               rec.get("created_at") or None)
                counts["notes"] += 1
        for survey in bank.surveys:
            path = directory / SURVEY_CSV.format(survey=survey)
            if not path.exists():
                continue
            frame = _read_csv(path)
            for (school_id, year), group in frame.groupby(["school_id", "academic_year"], sort=False):
                cid = cycle_of({"school_id": school_id, "academic_year": year})
                counts["answers"] += store.add_survey_responses(cid, survey, group.replace("", None), bank)
        counts["cycles"] = len(cycle_ids)
    return counts


def build_database(source: str | Path, target: str | Path) -> Path:
    """Import a CSV folder into a new SQLite file (replacing any old one)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with Store(tmp) as store:
        import_csv_dir(store, source)
    tmp.replace(target)
    return target
