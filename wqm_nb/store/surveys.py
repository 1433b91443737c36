"""Survey data in the store: imports, packed answers, paper tallies and comments.

Every batch of survey data enters as one *import* (a row of
``survey_imports``): a real export read by :mod:`wqm_nb.intake`, a paper
tally, or a wide file of the CSV exchange folder. An import lists its item ids
(``item_ids``, comma-separated) and holds either

* respondents (``survey_answers``): one row per respondent, with a fresh
  pseudonymous id, the subgroup value ("" when not given) and the answers
  packed one character per item in the import's item order: ``"0"``-``"9"``
  the value, ``"."`` not answered (:data:`NOT_ANSWERED`). One row per
  respondent instead of one per answer keeps 100,000 respondents x 30 items a
  few megabytes that read back in a fraction of a second; or
* counts (``survey_tallies``): per subgroup, item and value, from a paper
  tally.

Respondents may also carry *measure scores* (``survey_scores``): the scores
of a validated wellbeing instrument (SDQ, SWEMWBS, Stirling;
:mod:`wqm_nb.data.instruments`) whose items the export held beside the
survey's own, scored at import by :func:`wqm_nb.model.scoring.score_responses`.
One row per respondent, instrument and score: the value and, for a banded
score, its band. The instrument's item answers are not stored: the scores
are what is reported, they are all the published guidance needs to compare
groups, and item-level answers to a mental-health screening instrument (the
SDQ above all, which may not be administered electronically without a
licence) are more than the workbench needs to keep. To score an export again
(a corrected instrument file), import it again with ``--replace``. A
respondent with too few answers to be scored has no score row; the import's
``details`` count them (``instruments``).

:func:`read_survey_data` gathers a school year's current imports (those no
later import replaced) into :class:`SurveyData`: one answer matrix per survey
in the question bank's item order, plus the tallies. That is what
:func:`wqm_nb.model.figures.publish_figures` reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: The character of an item a respondent did not answer.
NOT_ANSWERED = "."
#: Matrix value of a missing answer.
MISSING = -1
TALLY_COLUMNS = ["survey", "subgroup", "item_id", "value", "count"]
#: Columns of :attr:`SurveyData.scores`: one row per respondent and measure score.
SCORE_COLUMNS = ["survey", "respondent", "subgroup", "instrument", "informant", "score_id", "value", "band"]
#: One score of one respondent as :func:`insert_scores` takes it.
ScoreRow = tuple[str, str, str, str, float, str]  # respondent, instrument, informant, score_id, value, band


def pack(values: np.ndarray) -> list[str]:
    """Rows of an int matrix (``MISSING`` = not answered, else 0-9) as packed answer strings."""
    values = np.asarray(values)
    if values.size and (values.max() > 9 or values[values != MISSING].min(initial=0) < 0):
        raise ValueError("packed answers hold values 0-9")
    codes = np.where(values == MISSING, ord(NOT_ANSWERED), values + ord("0")).astype(np.uint8)
    width = codes.shape[1] if codes.ndim == 2 else 0
    raw = codes.tobytes()
    return [raw[i : i + width].decode("ascii") for i in range(0, len(raw), width)] if width else [""] * len(codes)


def unpack(answers: Sequence[str], width: int) -> np.ndarray:
    """Packed answer strings (each ``width`` characters) as an int8 matrix (``MISSING`` = not answered)."""
    if not len(answers):
        return np.empty((0, width), dtype=np.int8)
    if any(len(a) != width for a in answers):
        raise ValueError(f"packed answers of the wrong length (each should have {width} characters)")
    raw = np.frombuffer("".join(answers).encode("ascii"), dtype=np.uint8)
    matrix = raw.reshape(len(answers), width).astype(np.int8) - ord("0")
    matrix[matrix == ord(NOT_ANSWERED) - ord("0")] = MISSING
    return matrix


@dataclass(frozen=True)
class SurveyBlock:
    """One survey's respondents: ``values[r, i]`` is respondent r's answer to ``item_ids[i]``."""

    survey: str
    item_ids: tuple[str, ...]
    respondents: np.ndarray  # str, one per row
    subgroups: np.ndarray  # str, "" when not given
    values: np.ndarray  # int8 (respondents x items), MISSING = not answered

    def __len__(self) -> int:
        return len(self.respondents)


@dataclass(frozen=True)
class SurveyData:
    """A school year's survey data: answer matrices per survey, paper tallies and measure scores."""

    blocks: dict[str, SurveyBlock] = field(default_factory=dict)
    tallies: pd.DataFrame | None = None  # TALLY_COLUMNS
    scores: pd.DataFrame | None = None  # SCORE_COLUMNS
    #: for each row of ``tallies``, the import it came from (the disclosure ledger tells batches apart by it)
    tally_imports: tuple[int, ...] | None = None

    def tally_rows(self) -> pd.DataFrame:
        import pandas as pd

        return self.tallies if self.tallies is not None else pd.DataFrame(columns=TALLY_COLUMNS)

    def score_rows(self) -> pd.DataFrame:
        """Measure scores, one row per respondent and score (:data:`SCORE_COLUMNS`; empty when none)."""
        import pandas as pd

        return self.scores if self.scores is not None else pd.DataFrame(columns=SCORE_COLUMNS)

    def to_long(self) -> pd.DataFrame:
        """Respondents' answers in long form: survey, respondent, subgroup, item_id, value."""
        import pandas as pd

        frames = []
        for block in self.blocks.values():
            r, i = np.nonzero(block.values != MISSING)
            frames.append(
                pd.DataFrame(
                    {
                        "survey": block.survey,
                        "respondent": block.respondents[r],
                        "subgroup": block.subgroups[r],
                        "item_id": np.asarray(block.item_ids, dtype=object)[i],
                        "value": block.values[r, i].astype(int),
                    }
                )
            )
        columns = ["survey", "respondent", "subgroup", "item_id", "value"]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns].sort_values(
            ["survey", "respondent", "item_id"], ignore_index=True
        )

    @classmethod
    def from_long(cls, long: pd.DataFrame, item_order: dict[str, Sequence[str]] | None = None) -> SurveyData:
        """Build from long-form rows (survey, respondent, subgroup, item_id, value)."""
        blocks = {}
        for survey, rows in long.groupby("survey", sort=False):
            items = (
                tuple(item_order[survey])
                if item_order and survey in item_order
                else tuple(sorted(rows["item_id"].unique()))
            )
            respondents, r = np.unique(rows["respondent"].astype(str).to_numpy(), return_inverse=True)
            index = {item: k for k, item in enumerate(items)}
            values = np.full((len(respondents), len(items)), MISSING, dtype=np.int8)
            values[r, [index[i] for i in rows["item_id"]]] = rows["value"].astype(int).to_numpy()
            subgroups = np.full(len(respondents), "", dtype=object)
            subgroups[r] = rows["subgroup"].fillna("").astype(str).to_numpy()
            blocks[str(survey)] = SurveyBlock(str(survey), items, respondents.astype(object), subgroups, values)
        return cls(blocks=blocks)


# --------------------------------------------------------------------------
# writing


def insert_import(
    conn: sqlite3.Connection,
    *,
    school_year_id: int,
    survey: str,
    kind: str,
    source: str,
    item_ids: Sequence[str],
    imported_at: str,
    file_name: str = "",
    file_sha256: str = "",
    respondents: int = 0,
    dropped_empty: int = 0,
    details: dict | None = None,
    imported_by: str = "",
) -> int:
    """Add an import record inside the caller's transaction; its id."""
    cur = conn.execute(
        "INSERT INTO survey_imports (school_year_id, survey, kind, source, file_name, file_sha256, item_ids, "
        "respondents, dropped_empty, details, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            school_year_id,
            survey,
            kind,
            source,
            file_name,
            file_sha256,
            ",".join(item_ids),
            respondents,
            dropped_empty,
            json.dumps(details or {}, sort_keys=True),
            imported_by,
            imported_at,
        ),
    )
    return int(cast(int, cur.lastrowid))  # typed int | None, but an INSERT always sets it


def insert_answers(
    conn: sqlite3.Connection, import_id: int, respondents: Sequence[str], subgroups: Sequence[str], values: np.ndarray
) -> int:
    """Add respondents (packed answers) to an import; the number of answers written."""
    rows = zip([import_id] * len(respondents), respondents, subgroups, pack(values), strict=False)
    conn.executemany("INSERT INTO survey_answers (import_id, respondent, subgroup, answers) VALUES (?, ?, ?, ?)", rows)
    return int((np.asarray(values) != MISSING).sum())


def insert_tallies(conn: sqlite3.Connection, import_id: int, counts: Iterable[tuple[str, str, int, int]]) -> int:
    """Add (subgroup, item id, value, count) rows to a tally import; the number of answers counted."""
    rows = [(import_id, s, i, int(v), int(c)) for s, i, v, c in counts if int(c)]
    conn.executemany(
        "INSERT INTO survey_tallies (import_id, subgroup, item_id, value, count) VALUES (?, ?, ?, ?, ?)", rows
    )
    return sum(r[-1] for r in rows)


def has_value(value: object) -> bool:
    """Whether a score is there: not None, NaN or ``pd.NA``."""
    if value is None:
        return False
    try:
        return not bool(value != value)
    except TypeError:  # pd.NA
        return False


def insert_scores(conn: sqlite3.Connection, import_id: int, scores: Iterable[ScoreRow]) -> int:
    """Add measure scores (respondent, instrument, informant, score id, value, band) to an import whose
    respondents are already written; a missing value (NaN or None) is left out. The number written."""
    rows = [
        (
            import_id,
            str(r),
            str(i),
            str(inf) if has_value(inf) else "",
            str(s),
            float(v),
            str(b) if has_value(b) else "",
        )
        for r, i, inf, s, v, b in scores
        if has_value(v)
    ]
    conn.executemany(
        "INSERT INTO survey_scores (import_id, respondent, instrument, informant, score_id, value, "
        "band) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def current_imports(conn: sqlite3.Connection, school_year_id: int, survey: str | None = None) -> list[dict]:
    """The imports of a school year that no later import replaced, oldest first."""
    sql = "SELECT * FROM survey_imports WHERE school_year_id = ? AND replaced_by IS NULL"
    params: tuple = (school_year_id,)
    if survey:
        sql, params = sql + " AND survey = ?", params + (survey,)
    return [dict(r) for r in conn.execute(sql + " ORDER BY import_id", params)]


# --------------------------------------------------------------------------
# reading


def read_survey_data(
    conn: sqlite3.Connection, school_year_id: int, item_order: Mapping[str, Sequence[str]]
) -> SurveyData:
    """A school year's current survey data; ``item_order`` gives each survey's items (the bank's order).

    An import's item that the bank no longer lists is left out.
    """
    import pandas as pd

    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    tallies = []
    tally_imports: list[int] = []
    for record in current_imports(conn, school_year_id):
        survey = record["survey"]
        order = list(item_order.get(survey, ()))
        if record["kind"] == "tally":
            for subgroup, item_id, value, count in conn.execute(
                "SELECT subgroup, item_id, value, count FROM survey_tallies WHERE import_id = ?", (record["import_id"],)
            ):
                tallies.append((survey, subgroup, item_id, value, count))
                tally_imports.append(int(record["import_id"]))
            continue
        own = record["item_ids"].split(",") if record["item_ids"] else []
        rows = conn.execute(
            "SELECT respondent, subgroup, answers FROM survey_answers WHERE import_id = ? ORDER BY respondent",
            (record["import_id"],),
        ).fetchall()
        if not rows:
            continue
        respondents, subgroups, answers = zip(*rows, strict=False)
        matrix = unpack(answers, len(own))
        values = np.full((len(rows), len(order)), MISSING, dtype=np.int8)
        for k, item in enumerate(own):
            if item in order:
                values[:, order.index(item)] = matrix[:, k]
        parts.setdefault(survey, []).append(
            (np.asarray(respondents, dtype=object), np.asarray(subgroups, dtype=object), values)
        )
    blocks = {}
    for survey, chunks in parts.items():
        blocks[survey] = SurveyBlock(
            survey,
            tuple(item_order.get(survey, ())),
            np.concatenate([c[0] for c in chunks]),
            np.concatenate([c[1] for c in chunks]),
            np.concatenate([c[2] for c in chunks]),
        )
    frame = pd.DataFrame(tallies, columns=TALLY_COLUMNS) if tallies else None
    return SurveyData(
        blocks=blocks,
        tallies=frame,
        scores=read_scores(conn, school_year_id),
        tally_imports=tuple(tally_imports) if tallies else None,
    )


def read_scores(conn: sqlite3.Connection, school_year_id: int, survey: str | None = None) -> pd.DataFrame | None:
    """The measure scores of a school year's current imports (:data:`SCORE_COLUMNS`, with each
    respondent's subgroup), ordered by survey, instrument, score and respondent; None when there are none."""
    import pandas as pd

    sql = (
        "SELECT i.survey, s.respondent, a.subgroup, s.instrument, s.informant, s.score_id, s.value, s.band "
        "FROM survey_scores s JOIN survey_imports i USING (import_id) "
        "JOIN survey_answers a ON a.import_id = s.import_id AND a.respondent = s.respondent "
        "WHERE i.school_year_id = ? AND i.replaced_by IS NULL"
    )
    params: tuple = (school_year_id,)
    if survey:
        sql, params = sql + " AND i.survey = ?", params + (survey,)
    rows = conn.execute(sql + " ORDER BY i.survey, s.instrument, s.score_id, s.respondent", params).fetchall()
    if not rows:
        return None
    frame = pd.DataFrame([tuple(r) for r in rows], columns=SCORE_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    return frame


__all__ = [
    "MISSING",
    "NOT_ANSWERED",
    "SCORE_COLUMNS",
    "ScoreRow",
    "SurveyBlock",
    "SurveyData",
    "current_imports",
    "has_value",
    "insert_answers",
    "insert_import",
    "insert_scores",
    "insert_tallies",
    "pack",
    "read_scores",
    "read_survey_data",
    "unpack",
]
