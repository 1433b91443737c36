"""The CSV exchange format: a folder of CSV files in, a store out.

A data folder (like ``sample_data/``) holds ``schools.csv``, ``cycles.csv``
(one row per school, framework and academic year), ``sef_ratings.csv``
(every row a history entry: an element's whole state after one edit),
``adviser_notes.csv``, ``reflections.csv``, optionally ``targets.csv`` and
``award_decisions.csv``, and one wide file per survey (``staff_survey.csv``:
one row per respondent, one column per item, blank = not answered). Every
year named by a rating, note, reflection, target or survey row must be listed
in ``cycles.csv`` (an award decision's need not be); a row that
names another year is refused with the file and row, not silently given a new
year. :data:`CSV_FILES` lists each file's columns; :data:`REQUIRED_COLUMNS`
those a file must have (the others may be left out).

* ``sef_ratings.csv``: ``rating`` may be empty (evidence written before a
  rating is chosen); the optional ``sorting`` column holds the NCB tool's
  sorting as its code (``doing_now``, ``want_to_do``, ``not_for_us``) or its
  label ("We do this now", any case). Rows are recorded with source ``csv``.
* ``targets.csv`` (optional): every row is a target's whole state after one
  edit, recorded through :meth:`~wqm_nb.store.Store.record_target`; rows with
  the same ``target_id`` in one cycle are its successive entries, in file
  order. ``review_date`` is ``YYYY-MM-DD`` or empty; ``status`` is ``open``,
  ``in_progress``, ``achieved`` or ``dropped`` (or "In progress", any case;
  empty: open for a new target, unchanged for a later row). A target id the
  school had in an earlier year of the same framework is a carried target:
  ``carried_from`` is set to the latest such year's cycle.
* ``award_decisions.csv`` (optional): one award decision per row
  (``school_id, framework, level, academic_year, decided_on, assessor,
  outcome, reasons[, recorded_by, recorded_at]``), recorded through
  :meth:`~wqm_nb.store.Store.record_award_decision`. ``level`` is one of the
  framework's level ids; ``outcome`` is ``awarded``, ``not_awarded``,
  ``deferred`` or ``withdrawn`` (or "Not awarded", any case); ``decided_on``
  is ``YYYY-MM-DD``. The school must be in ``schools.csv`` (or the store),
  but the year need not be in ``cycles.csv``: an award may predate the
  self-evaluations the folder holds. A correction of a recorded decision is
  made with ``wqm award record --supersedes``, not in the file.

* Validated measures in a survey file (optional): a respondent's scores of
  an instrument (:mod:`wqm_nb.data.instruments`) as columns
  ``<instrument>.<score>`` (``swemwbs.raw``, ``swemwbs.metric``,
  ``stirling.total``, ``sdq.emotional`` ...), blank for no score, and for an
  instrument with more than one informant its ``<instrument>.informant``
  (the SDQ's ``parent``, ``teacher`` or ``self``; blank: ``self`` in the
  pupil survey, ``parent`` in the parent survey). The folder carries scores,
  not item answers, as the store does (:mod:`wqm_nb.store.surveys`): a
  folder is a copy of a store's content, and the store layer does not score
  (``wqm score`` and the survey import do, :mod:`wqm_nb.model.scoring`). Each
  score is checked against its instrument file: within its range, a whole
  number when made of items, a converted score equal to the conversion of
  the score it converts (SWEMWBS metric of raw) and a total equal to the sum
  of its parts when they are given too; its band comes from the informant's
  published banding. A respondent with a score and no survey answer is kept.

An error names the file, the row (as a spreadsheet numbers it) and, for a
bad cell of a rating, a target or a survey answer, the column; nothing is
imported from a folder with one.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from ..data import Framework, QuestionBank, load_framework, load_question_bank
from ..data.frameworks import SORTINGS as SORTING_LABELS
from ..data.import_mapping import default_informant
from ..data.instruments import Instrument, available_instruments, load_instrument
from ..errors import DataFileError, SettingsError, StoreError
from ..settings import check_academic_year
from ..spreadsheet import NotText, decode_text, restore
from .cycle_records import check_rating, check_review_date
from .schema import AWARD_OUTCOMES, TARGET_STATUSES
from .store import Store, folder_threshold, new_store_file, register_folder_opener

#: Every file of the format (but the survey files) and its columns, in the order ``wqm sample`` writes them.
CSV_FILES = {
    "schools": ("schools.csv", ["school_id", "name", "phase", "trust", "local_authority", "pupils"]),
    "cycles": ("cycles.csv", ["school_id", "framework", "academic_year"]),
    "sef": (
        "sef_ratings.csv",
        [
            "school_id",
            "framework",
            "academic_year",
            "element_id",
            "rating",
            "evidence",
            "sorting",
            "recorded_by",
            "recorded_at",
        ],
    ),
    "notes": (
        "adviser_notes.csv",
        ["school_id", "framework", "academic_year", "principle_id", "author", "note", "created_at"],
    ),
    "reflections": (
        "reflections.csv",
        ["school_id", "framework", "academic_year", "reflection_id", "text", "author", "recorded_at"],
    ),
    "targets": (
        "targets.csv",
        [
            "school_id",
            "framework",
            "academic_year",
            "target_id",
            "principle_id",
            "text",
            "owner",
            "review_date",
            "status",
            "recorded_by",
            "recorded_at",
        ],
    ),
    "awards": (
        "award_decisions.csv",
        [
            "school_id",
            "framework",
            "level",
            "academic_year",
            "decided_on",
            "assessor",
            "outcome",
            "reasons",
            "recorded_by",
            "recorded_at",
        ],
    ),
}
SURVEY_CSV = "{survey}_survey.csv"  # one wide file per survey
#: The columns each file must have; the others may be left out (``targets.csv`` itself may be).
REQUIRED_COLUMNS = {
    "schools": ["school_id", "name", "phase"],
    "cycles": ["school_id", "framework", "academic_year"],
    "sef": ["school_id", "framework", "academic_year", "element_id", "rating"],
    "notes": ["school_id", "framework", "academic_year", "note"],
    "reflections": ["school_id", "framework", "academic_year", "reflection_id", "text"],
    "targets": [
        "school_id",
        "framework",
        "academic_year",
        "target_id",
        "principle_id",
        "text",
        "owner",
        "review_date",
        "status",
    ],
    "awards": ["school_id", "framework", "level", "academic_year", "decided_on", "assessor", "outcome", "reasons"],
}


def _key(value: str) -> str:
    """A sorting or status as typed, for matching: case, spacing, hyphens and curly quotes set aside."""
    return " ".join(value.replace("\u2019", "'").replace("_", " ").replace("-", " ").lower().split())


#: A sorting as a CSV cell may hold it (code or label, see :func:`_key`) -> the stored code.
SORTING_CELLS = {_key(k): code for code, label in SORTING_LABELS.items() for k in (code, label)}
#: A target status as a CSV cell may hold it -> the stored status.
STATUS_CELLS = {_key(status): status for status in TARGET_STATUSES}
#: An award decision's outcome as a CSV cell may hold it -> the stored outcome.
OUTCOME_CELLS = {_key(outcome): outcome for outcome in AWARD_OUTCOMES}


def decode(path: Path, data: bytes) -> str:
    """File bytes as text (:func:`wqm_nb.spreadsheet.decode_text`)."""
    try:
        return decode_text(data)[0]
    except NotText:
        raise DataFileError(path.name, "", "not a text file; save it as CSV UTF-8") from None


def read_rows(path: Path, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    """``(spreadsheet row number, record)`` for each data row of a CSV file.

    Header names are stripped of spaces; cell text that the workbench
    neutralised against formula injection is restored (:mod:`wqm_nb.spreadsheet`).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path.name, "", f"cannot read file: {exc.strerror}") from None
    text = decode(path, data)
    if not text.strip():
        raise DataFileError(path.name, "", "the file is empty (expected a header row and data rows)")
    if text.lstrip().startswith("<"):
        raise DataFileError(path.name, "", "this is a web page (HTML), not a CSV file: download the export again")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader)]
        missing = [c for c in required if c not in header]
        if missing:
            raise DataFileError(
                path.name, "", f"missing column(s) {', '.join(missing)} (has: {', '.join(header) or 'no header'})"
            )
        duplicated = sorted({h for h in header if header.count(h) > 1 and h})
        if duplicated:
            raise DataFileError(path.name, "", f"column(s) {', '.join(duplicated)} appear more than once")
        rows = []
        for i, cells in enumerate(reader):
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) > len(header):
                raise DataFileError(path.name, "", f"{len(cells)} cells but {len(header)} column names", row=i + 2)
            rows.append(
                (
                    i + 2,
                    {h: restore(c) for h, c in zip(header, cells, strict=False) if h}
                    | {h: "" for h in header[len(cells) :] if h},
                )
            )
        return rows
    except csv.Error as exc:
        raise DataFileError(path.name, "", f"not a readable CSV file ({exc})") from None


class _Importer:
    """Imports one folder into a store; knows which cycles ``cycles.csv`` lists."""

    def __init__(self, store: Store, directory: Path, bank: QuestionBank):
        self.store, self.directory, self.bank = store, directory, bank
        self.cycle_ids: dict[tuple[str, str, str], int] = {}
        self.year_ids: dict[tuple[str, str], int] = {}
        self.counts = dict.fromkeys(
            ["schools", "cycles", "ratings", "notes", "reflections", "targets", "awards", "answers", "scores"], 0
        )
        self.frameworks: dict[str, Framework] = {}

    def rows(self, kind: str) -> tuple[Path, list[tuple[int, dict[str, str]]]]:
        name = CSV_FILES[kind][0]
        path = self.directory / name
        return path, (read_rows(path, REQUIRED_COLUMNS[kind]) if path.exists() else [])

    def cycle_of(self, path: Path, row: int, rec: dict) -> int:
        key = (rec["school_id"], rec["framework"], rec["academic_year"])
        if key not in self.cycle_ids:
            raise DataFileError(path.name, "", f"{key[0]} {key[1]} {key[2]} is not listed in cycles.csv", row=row)
        return self.cycle_ids[key]

    def framework(self, framework_id: str) -> Framework:
        """A framework of a cycle listed in ``cycles.csv`` (loaded there, so it is known)."""
        if framework_id not in self.frameworks:
            self.frameworks[framework_id] = load_framework(framework_id)
        return self.frameworks[framework_id]

    def run(self) -> dict[str, int]:
        schools_file = self.directory / CSV_FILES["schools"][0]
        if not schools_file.exists():
            raise DataFileError(self.directory, "", f"no {schools_file.name}")
        with self.store.transaction():
            self._guarded("schools", self._school)
            self._guarded("cycles", self._cycle)
            self._guarded("sef", self._rating)
            self._guarded("notes", self._note)
            self._guarded("reflections", self._reflection)
            self._targets()
            self._guarded("awards", self._award)
            for survey in self.bank.surveys:
                self._survey(survey)
        self.counts["cycles"] = len(self.cycle_ids)
        return self.counts

    def _guarded(self, kind: str, handle) -> None:
        path, rows = self.rows(kind)
        for row, rec in rows:
            try:
                handle(path, row, rec)
            except (StoreError, SettingsError) as exc:
                raise DataFileError(path.name, "", str(exc), row=row) from None

    def _school(self, path: Path, row: int, rec: dict) -> None:
        pupils = rec.get("pupils", "").strip()
        if pupils and not pupils.isdigit():
            raise DataFileError(
                path.name, "", f"pupils must be a whole number, got {pupils!r}", row=row, column="pupils"
            )
        self.store.add_school(
            rec["school_id"],
            rec["name"],
            rec["phase"],
            rec.get("trust", ""),
            rec.get("local_authority", ""),
            int(pupils) if pupils else None,
        )
        self.counts["schools"] += 1

    def _cycle(self, path: Path, row: int, rec: dict) -> None:
        load_framework(rec["framework"])  # an unknown framework id fails here, with the row
        cid = self.store.ensure_cycle(rec["school_id"], rec["academic_year"], rec["framework"])
        self.cycle_ids[(rec["school_id"], rec["framework"], rec["academic_year"])] = cid
        self.year_ids[(rec["school_id"], rec["academic_year"])] = self.store.ensure_school_year(
            rec["school_id"], rec["academic_year"]
        )

    def _rating(self, path: Path, row: int, rec: dict) -> None:
        cycle_id = self.cycle_of(path, row, rec)
        fw = self.framework(rec["framework"])
        element_id = rec["element_id"]
        if element_id not in fw.element_ids:
            raise DataFileError(
                path.name, "", f"element {element_id!r} is not in framework {fw.id!r}", row=row, column="element_id"
            )
        try:
            check_rating(fw, element_id, rec["rating"])
        except StoreError as exc:
            raise DataFileError(path.name, "", str(exc), row=row, column="rating") from None
        entry = dict(
            element_id=element_id,
            rating=rec["rating"],
            evidence=rec.get("evidence", ""),
            sorting=self._sorting(path, row, rec.get("sorting", "")),
            recorded_by=rec.get("recorded_by", ""),
            recorded_at=rec.get("recorded_at", ""),
        )
        self.store.record_ratings(cycle_id, [entry], framework=fw, source="csv")
        self.counts["ratings"] += 1

    @staticmethod
    def _sorting(path: Path, row: int, cell: str) -> str:
        """A ``sorting`` cell as the stored code ('' for blank)."""
        if not cell.strip():
            return ""
        if _key(cell) not in SORTING_CELLS:
            choices = "; ".join(f"{code} ({label})" for code, label in SORTING_LABELS.items())
            raise DataFileError(
                path.name, "", f"sorting {cell.strip()!r} is not one of {choices}", row=row, column="sorting"
            )
        return SORTING_CELLS[_key(cell)]

    def _note(self, path: Path, row: int, rec: dict) -> None:
        self.store.add_note(
            self.cycle_of(path, row, rec),
            rec["note"],
            rec.get("author", ""),
            rec.get("principle_id", ""),
            rec.get("created_at") or None,
        )
        self.counts["notes"] += 1

    def _reflection(self, path: Path, row: int, rec: dict) -> None:
        self.store.record_reflection(
            self.cycle_of(path, row, rec),
            rec["reflection_id"],
            rec["text"],
            rec.get("author", ""),
            rec.get("recorded_at") or None,
        )
        self.counts["reflections"] += 1

    def _targets(self) -> None:
        """``targets.csv``, in academic year order (file order within a year), so a target
        carried from an earlier year finds it whatever order the file lists the years in."""
        path, rows = self.rows("targets")
        for row, rec in sorted(rows, key=lambda r: r[1]["academic_year"]):
            try:
                self._target(path, row, rec)
            except (StoreError, SettingsError) as exc:
                raise DataFileError(path.name, "", str(exc), row=row) from None

    def _target(self, path: Path, row: int, rec: dict) -> None:
        cycle_id = self.cycle_of(path, row, rec)
        fw = self.framework(rec["framework"])

        def bad(column: str, message: str) -> DataFileError:
            return DataFileError(path.name, "", message, row=row, column=column)

        target_id = rec["target_id"].strip()
        if not target_id:
            raise bad("target_id", "no target id")
        principle_id = rec["principle_id"].strip()
        if principle_id and principle_id not in fw.principle_ids:
            raise bad(
                "principle_id",
                f"principle {principle_id!r} is not in framework {fw.id!r} "
                f"(its principles: {', '.join(fw.principle_ids)})",
            )
        try:
            review_date = check_review_date(rec["review_date"])
        except StoreError as exc:
            raise bad("review_date", str(exc)) from None
        status = None
        if rec["status"].strip():
            status = STATUS_CELLS.get(_key(rec["status"]))
            if status is None:
                raise bad("status", f"status {rec['status'].strip()!r} is not one of {', '.join(TARGET_STATUSES)}")
        carried_from = None
        if self.store.target(cycle_id, target_id) is None:
            earlier = self.store.conn.execute(
                "SELECT c.cycle_id FROM target_history t JOIN cycles c USING (cycle_id) "
                "JOIN school_years y USING (school_year_id) WHERE t.target_id = ? AND y.school_id = ? "
                "AND c.framework = ? AND y.academic_year < ? ORDER BY y.academic_year DESC LIMIT 1",
                (target_id, rec["school_id"], fw.id, rec["academic_year"]),
            ).fetchone()
            carried_from = earlier[0] if earlier else None
        self.store.record_target(
            cycle_id,
            target_id=target_id,
            principle_id=principle_id,
            text_=rec["text"],
            owner=rec["owner"],
            review_date=review_date,
            status=status,
            recorded_by=rec.get("recorded_by", "").strip(),
            recorded_at=rec.get("recorded_at", "").strip() or None,
            framework=fw,
            create=True,
            carried_from=carried_from,
        )
        self.counts["targets"] += 1

    def _award(self, path: Path, row: int, rec: dict) -> None:
        """One row of ``award_decisions.csv`` (see the module notes); a bad cell names its column."""

        def bad(column: str, message: str) -> DataFileError:
            return DataFileError(path.name, "", message, row=row, column=column)

        school_id = rec["school_id"].strip()
        if not self.store.conn.execute("SELECT 1 FROM schools WHERE school_id = ?", (school_id,)).fetchone():
            raise bad("school_id", f"school {school_id!r} is not in schools.csv")
        try:
            fw = self.framework(rec["framework"].strip())
        except SettingsError as exc:
            raise bad("framework", str(exc)) from None
        levels = [lv.id for lv in fw.levels]
        if not levels:
            raise bad("framework", f"{fw.name} has no award levels")
        level = rec["level"].strip()
        if level not in levels:
            raise bad("level", f"level {level!r} is not a level of {fw.id!r} (its levels: {', '.join(levels)})")
        year = rec["academic_year"].strip()
        try:
            check_academic_year(year)
        except SettingsError as exc:
            raise bad("academic_year", str(exc)) from None
        decided_on = rec["decided_on"].strip()
        try:
            date.fromisoformat(decided_on)
        except ValueError:
            raise bad(
                "decided_on",
                f"decision date {decided_on!r} is not a date written YYYY-MM-DD"
                if decided_on
                else "no decision date (YYYY-MM-DD)",
            ) from None
        outcome = OUTCOME_CELLS.get(_key(rec["outcome"]))
        if outcome is None:
            raise bad("outcome", f"outcome {rec['outcome'].strip()!r} is not one of {', '.join(AWARD_OUTCOMES)}")
        self.store.record_award_decision(
            school_id,
            fw.id,
            level,
            year,
            outcome=outcome,
            decided_on=decided_on,
            assessor=rec["assessor"].strip(),
            reasons=rec["reasons"],
            recorded_by=rec.get("recorded_by", "").strip(),
            recorded_at=rec.get("recorded_at", "").strip() or None,
        )
        self.counts["awards"] += 1

    def _survey(self, survey: str) -> None:
        import pandas as pd

        path = self.directory / SURVEY_CSV.format(survey=survey)
        if not path.exists():
            return
        spec = self.bank.surveys[survey]
        sub_field = spec.subgroup.field if spec.subgroup else None
        rows = read_rows(path, ["school_id", "academic_year", "respondent"])
        known = {"school_id", "academic_year", "respondent", sub_field}
        header = list(rows[0][1]) if rows else []
        measures = measure_columns(path, [c for c in header if c not in known and c not in spec.item_ids])
        unknown = [c for c in header if c not in known and c not in spec.item_ids and c not in measures]
        if unknown:
            raise DataFileError(
                path.name,
                "",
                f"column(s) {', '.join(unknown)} are not items of the {survey} "
                f"survey (its items: {', '.join(spec.item_ids)}) nor scores of a "
                f"measure (<instrument>.<score>, e.g. swemwbs.metric)",
            )
        groups: dict[tuple[str, str], list[dict]] = {}
        scored: dict[tuple[str, str], list[tuple]] = {}
        seen: dict[tuple[str, str, str], int] = {}
        for row, rec in rows:
            key = (rec["school_id"].strip(), rec["academic_year"].strip())
            if key not in self.year_ids:
                raise DataFileError(path.name, "", f"{key[0]} {key[1]} is not listed in cycles.csv", row=row)
            respondent = rec["respondent"].strip()
            if not respondent:
                raise DataFileError(path.name, "", "no respondent id", row=row, column="respondent")
            who = (*key, respondent)
            if who in seen:
                raise DataFileError(
                    path.name,
                    "",
                    f"respondent {respondent!r} of {key[0]} {key[1]} appears twice (rows {seen[who]} and {row})",
                    row=row,
                )
            seen[who] = row
            clean: dict[str, str | int | None] = {"respondent": respondent}
            if sub_field:
                assert spec.subgroup is not None  # sub_field is set only for a survey with a subgroup question
                value = rec.get(sub_field, "").strip()
                if value and value not in spec.subgroup.values:
                    raise DataFileError(
                        path.name,
                        "",
                        f"unknown {sub_field} {value!r} (known: {', '.join(spec.subgroup.values)})",
                        row=row,
                        column=sub_field,
                    )
                clean[sub_field] = value
            for item in spec.item_ids:
                if item in rec:
                    try:
                        clean[item] = self.bank.answer_value(rec[item], survey)
                    except ValueError as exc:
                        raise DataFileError(path.name, "", str(exc), row=row, column=item) from None
            groups.setdefault(key, []).append(clean)
            scored.setdefault(key, []).extend(row_scores(path, row, rec, respondent, survey, measures))
        for key, members in groups.items():
            frame = pd.DataFrame(members).astype(object)
            frame = frame.where(frame.notna(), None)
            scores = pd.DataFrame(
                scored.get(key, []), columns=["respondent", "instrument", "informant", "score_id", "value", "band"]
            )
            try:
                self.counts["answers"] += self.store.add_survey_responses(
                    self.year_ids[key], survey, frame, self.bank, file_name=path.name, scores=scores
                )
            except StoreError as exc:
                raise DataFileError(path.name, "", f"{key[0]} {key[1]}: {exc}") from None
            self.counts["scores"] += len(scores)


#: The column of a survey file naming an instrument's informant (``sdq.informant``).
INFORMANT = "informant"


def measure_columns(path: Path, columns: list[str]) -> dict[str, tuple[Instrument, str]]:
    """The columns of a survey file that hold a measure's scores or informant (``swemwbs.metric``,
    ``sdq.informant``) -> (instrument, score id or ``informant``); others are left out."""
    out = {}
    bundled = set(available_instruments())
    for column in columns:
        instrument_id, dot, score = column.partition(".")
        if not dot or instrument_id not in bundled:
            continue
        instrument = load_instrument(instrument_id)
        if score != INFORMANT and score not in instrument.score_ids:
            raise DataFileError(
                path.name,
                "",
                f"column {column}: {instrument.id} has no score {score!r} "
                f"(its scores: {', '.join(instrument.score_ids)})",
            )
        out[column] = (instrument, score)
    return out


def row_scores(
    path: Path, row: int, rec: dict[str, str], respondent: str, survey: str, measures: dict[str, tuple[Instrument, str]]
) -> list[tuple]:
    """One respondent's measure scores from a survey file's row: (respondent, instrument, informant, score id,
    value, band), each checked against its instrument (see the module notes)."""
    out = []
    by_instrument: dict[str, tuple[Instrument, dict[str, str]]] = {}
    for column, (instrument, score) in measures.items():
        by_instrument.setdefault(instrument.id, (instrument, {}))[1][score] = column
    for instrument, columns in by_instrument.values():
        given = {}
        for score, column in columns.items():
            if score != INFORMANT and rec.get(column, "").strip():
                try:
                    given[score] = float(rec[column].strip())
                except ValueError:
                    raise DataFileError(
                        path.name, "", f"{rec[column].strip()!r} is not a number", row=row, column=column
                    ) from None
        if not given:
            continue
        cell = rec.get(columns.get(INFORMANT, ""), "").strip()
        try:
            informant = instrument.resolve_informant(cell or default_informant(instrument, survey) or None)
        except SettingsError as exc:
            raise DataFileError(
                path.name, "", str(exc), row=row, column=columns.get(INFORMANT, f"{instrument.id}.{INFORMANT}")
            ) from None
        for score, value in given.items():
            problem = _score_problem(instrument, score, informant, value, given)
            if problem:
                raise DataFileError(path.name, "", problem, row=row, column=columns[score])
            band = instrument.band(score, informant, value) if instrument.score(score).banded else ""
            out.append((respondent, instrument.id, informant, score, value, band))
    return out


def _score_problem(instrument: Instrument, score: str, informant: str, value: float, given: dict[str, float]) -> str:
    """Why a given score cannot be right ('' when it can)."""
    spec = instrument.score(score)
    low, high = spec.range(informant)
    if not low <= value <= high:
        return f"{value:g} is outside the {spec.label.lower()}'s range {low:g}-{high:g}"
    if spec.kind == "items" and not float(value).is_integer():
        return f"{value:g} is not a whole number ({spec.label.lower()} adds up item scores)"
    if spec.kind == "lookup":
        base = given.get(spec.from_score)
        allowed = spec.table.get(int(base)) if base is not None and float(base).is_integer() else None
        if base is not None and (allowed is None or abs(allowed - value) > 1e-6):
            return (
                f"{value:g} is not the {spec.label.lower()} of a {instrument.score(spec.from_score).label.lower()}"
                f" of {base:g}" + (f" (the conversion table gives {allowed:g})" if allowed is not None else "")
            )
        if base is None and not any(abs(v - value) <= 1e-6 for v in spec.table.values()):
            return f"{value:g} is not a value of the {spec.label.lower()}'s conversion table"
    if spec.kind == "sum" and all(p in given for p in spec.of):
        total = sum(given[p] for p in spec.of)
        if abs(total - value) > 1e-6:
            return f"{value:g} is not the sum of {', '.join(spec.of)} ({total:g})"
    return ""


def import_csv_dir(store: Store, directory: str | Path, bank: QuestionBank | None = None) -> dict[str, int]:
    """Load a folder in the CSV exchange format into ``store`` in one transaction."""
    return _Importer(store, Path(directory), bank or load_question_bank()).run()


def build_database(source: str | Path, target: str | Path, scratch: bool = False, stands_for: bool = False) -> Path:
    """Import a CSV folder into a new store file at ``target`` (replacing any old one).

    The store is built beside the target under a unique temporary name and
    renamed into place only when the import succeeded. A ``scratch`` store
    stands in for the folder during one run (``wqm report`` reads a folder
    once that way): like a folder loaded in memory, it caches nothing
    (:attr:`Store.scratch`). A store that ``stands_for`` the folder (a batch's
    copy) caches, but publishes for the folder: its :attr:`Store.origin`, beside
    which the publication ledger is kept, is the folder (as a scratch store's
    is). The store takes the folder's threshold
    (:func:`~wqm_nb.store.store.folder_threshold`) when one was set.
    """
    with new_store_file(target) as store:
        import_csv_dir(store, source)
        threshold = folder_threshold(source)
        if threshold is not None:  # the folder's own threshold (``wqm threshold N --data FOLDER``)
            store.set_threshold(threshold)
        if scratch:
            with store.transaction() as conn:
                conn.execute("INSERT INTO meta VALUES ('scratch', ?)", (str(Path(source).resolve()),))
        elif stands_for:
            with store.transaction() as conn:
                conn.execute("INSERT INTO meta VALUES ('origin', ?)", (str(Path(source).resolve()),))
    return Path(target)


def open_folder(location: Path, read_only: bool = False) -> Store:
    """A CSV folder loaded into a scratch store in memory (what :meth:`Store.open` gives for a folder): it
    takes the folder's threshold, publishes for the folder (its ledger is beside it) and, ``read_only``,
    refuses writes."""
    store = Store(":memory:")
    import_csv_dir(store, location)
    threshold = folder_threshold(location)
    if threshold is not None:
        store.set_threshold(threshold)
    store._origin = str(location.resolve())  # it publishes for the folder
    if read_only:
        store.read_only = True
        store.conn.execute("PRAGMA query_only = ON")
    return store


register_folder_opener(open_folder)

__all__ = [
    "CSV_FILES",
    "INFORMANT",
    "SURVEY_CSV",
    "build_database",
    "import_csv_dir",
    "measure_columns",
    "open_folder",
    "read_rows",
    "row_scores",
]
