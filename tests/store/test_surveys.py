"""Survey data in the store (wqm_nb.store.surveys): packed answers, SurveyData, imports.

Answers pack one character per item and unpack to the same matrix, MISSING
and 0 included; ``SurveyData`` converts to and from long form;
``read_survey_data`` reads only current imports, in the question bank's item
order; the ``survey_imports`` trigger lets a record change once, when a later
import replaces it.
"""

import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wqm_nb.data import load_question_bank
from wqm_nb.store.surveys import (
    MISSING,
    NOT_ANSWERED,
    SCORE_COLUMNS,
    SurveyData,
    current_imports,
    has_value,
    insert_scores,
    pack,
    read_survey_data,
    unpack,
)

BANK = load_question_bank()
ORDER = {sid: s.item_ids for sid, s in BANK.surveys.items()}


# --------------------------------------------------------------------------
# pack / unpack


def test_pack_examples():
    assert pack(np.array([[1, MISSING, 0, 9], [5, 5, MISSING, MISSING]])) == ["1.09", "55.."]
    assert NOT_ANSWERED == "."
    assert pack(np.empty((0, 4), dtype=np.int8)) == []
    assert pack(np.empty((3, 0), dtype=np.int8)) == ["", "", ""]


@pytest.mark.parametrize("bad", [[[10]], [[-2]], [[1, 2], [3, 127]]])
def test_pack_refuses_values_off_0_to_9(bad):
    with pytest.raises(ValueError, match="0-9"):
        pack(np.array(bad))


@settings(max_examples=200, deadline=None, database=None)
@given(arrays(np.int8, st.tuples(st.integers(0, 30), st.integers(0, 20)), elements=st.integers(-1, 9)))
def test_pack_unpack_round_trip(matrix):
    packed = pack(matrix)
    assert len(packed) == matrix.shape[0]
    assert all(len(row) == matrix.shape[1] for row in packed)
    again = unpack(packed, matrix.shape[1])
    assert again.dtype == np.int8
    assert again.shape == matrix.shape
    assert np.array_equal(again, matrix)


def test_unpack_examples():
    assert unpack(["1.09", "55.."], 4).tolist() == [[1, MISSING, 0, 9], [5, 5, MISSING, MISSING]]
    assert unpack([], 3).shape == (0, 3)


@pytest.mark.parametrize("answers, width", [(["123", "12"], 3), (["12"], 3), (["1234"], 3), (["1"], 0)])
def test_unpack_of_the_wrong_length_raises(answers, width):
    with pytest.raises(ValueError, match="wrong length"):
        unpack(answers, width)


def test_unpack_of_rows_of_different_lengths_raises():
    with pytest.raises(ValueError, match="wrong length"):
        unpack(["1", "123"], 2)


# --------------------------------------------------------------------------
# SurveyData


def long_frame(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for survey, groups in (("staff", ["teaching", "support", ""]), ("pupil", ["Y4", "Y5", ""])):
        items = ORDER[survey]
        for r in range(25):
            respondent, group = f"{survey[0]}{r:03d}", groups[r % 3]
            chosen = [i for i in items if rng.random() < 0.7] or [items[0]]
            rows += [
                dict(survey=survey, respondent=respondent, subgroup=group, item_id=i, value=int(rng.integers(1, 6)))
                for i in chosen
            ]
    return pd.DataFrame(rows)


def test_from_long_to_long_round_trip():
    long = long_frame(np.random.default_rng(5))
    data = SurveyData.from_long(long, ORDER)
    assert set(data.blocks) == {"staff", "pupil"}
    assert data.blocks["staff"].item_ids == ORDER["staff"]
    assert len(data.blocks["staff"]) == 25
    back = data.to_long()
    expected = long.sort_values(["survey", "respondent", "item_id"], ignore_index=True)
    pd.testing.assert_frame_equal(back, expected[back.columns.tolist()], check_dtype=False)
    assert list(back.columns) == ["survey", "respondent", "subgroup", "item_id", "value"]


def test_from_long_without_an_order_sorts_item_ids():
    long = pd.DataFrame(
        [
            dict(survey="staff", respondent="a", subgroup="", item_id="S10", value=4),
            dict(survey="staff", respondent="a", subgroup="", item_id="S02", value=2),
        ]
    )
    block = SurveyData.from_long(long).blocks["staff"]
    assert block.item_ids == ("S02", "S10")
    assert block.values.tolist() == [[2, 4]]


def test_empty_survey_data():
    assert SurveyData().to_long().empty
    assert list(SurveyData().tally_rows().columns) == ["survey", "subgroup", "item_id", "value", "count"]


# --------------------------------------------------------------------------
# imports in a store


@pytest.fixture
def year(store):
    store.add_school("S1", "Test Primary", "primary")
    return store.ensure_school_year("S1", "2025-26")


def test_read_survey_data_puts_items_in_bank_order(store, year):
    store.import_survey(
        year,
        "staff",
        source="test",
        item_ids=["S03", "S01", "X99"],
        respondents=["b", "a"],
        subgroups=["support", ""],
        values=np.array([[5, MISSING, 2], [1, 4, 3]]),
    )
    block = read_survey_data(store.conn, year, ORDER).blocks["staff"]
    assert block.item_ids == ORDER["staff"]  # the bank's order; X99 left out
    assert block.respondents.tolist() == ["a", "b"]  # ordered by respondent id
    assert block.subgroups.tolist() == ["", "support"]
    s01, s03 = ORDER["staff"].index("S01"), ORDER["staff"].index("S03")
    assert block.values[:, [s01, s03]].tolist() == [[4, 1], [MISSING, 5]]
    others = np.delete(block.values, [s01, s03], axis=1)
    assert (others == MISSING).all()


def test_read_survey_data_skips_replaced_imports(store, year):
    first = store.import_survey(
        year,
        "staff",
        source="test",
        item_ids=["S01"],
        respondents=["a", "b"],
        subgroups=["", ""],
        values=np.array([[4], [5]]),
        file_sha256="one",
    )
    tally = store.import_survey(
        year, "pupil", source="tally", item_ids=["U01"], tallies=[("", "U01", 4, 7), ("", "U01", 5, 0)], forms=7
    )
    second = store.import_survey(
        year,
        "staff",
        source="test",
        item_ids=["S02"],
        respondents=["c"],
        subgroups=["teaching"],
        values=np.array([[2]]),
        file_sha256="two",
        on_existing="replace",
    )
    assert [r["import_id"] for r in second.replaced] == [first.import_id]
    data = read_survey_data(store.conn, year, ORDER)
    assert data.blocks["staff"].respondents.tolist() == ["c"]
    assert data.tally_rows().values.tolist() == [["pupil", "", "U01", 4, 7]]  # a zero count is not stored
    assert [r["import_id"] for r in current_imports(store.conn, year)] == [tally.import_id, second.import_id]
    store.import_survey(
        year, "pupil", source="tally", item_ids=["U01"], tallies=[("", "U01", 3, 2)], forms=2, on_existing="replace"
    )
    assert read_survey_data(store.conn, year, ORDER).tally_rows().values.tolist() == [["pupil", "", "U01", 3, 2]]


def test_a_year_without_imports_has_no_blocks(store, year):
    data = read_survey_data(store.conn, year, ORDER)
    assert data.blocks == {} and data.tallies is None


# --------------------------------------------------------------------------
# the survey_imports trigger


def two_imports(store, year):
    first = store.import_survey(
        year,
        "staff",
        source="test",
        item_ids=["S01"],
        respondents=["a"],
        subgroups=[""],
        values=np.array([[4]]),
        file_sha256="one",
    )
    second = store.import_survey(
        year,
        "staff",
        source="test",
        item_ids=["S01"],
        respondents=["b"],
        subgroups=[""],
        values=np.array([[3]]),
        file_sha256="two",
        on_existing="replace",
    )
    return first.import_id, second.import_id


def test_trigger_refuses_a_second_change_of_replaced_by(store, year):
    old, new = two_imports(store, year)
    third = store.import_survey(
        year,
        "staff",
        source="test",
        item_ids=["S01"],
        respondents=["c"],
        subgroups=[""],
        values=np.array([[2]]),
        file_sha256="three",
        on_existing="add",
    ).import_id
    for value in (third, None):
        with pytest.raises(sqlite3.IntegrityError, match="changes only once"):
            store.conn.execute("UPDATE survey_imports SET replaced_by = ? WHERE import_id = ?", (value, old))
    assert store.conn.execute("SELECT replaced_by FROM survey_imports WHERE import_id = ?", (old,)).fetchone()[0] == new


@pytest.mark.parametrize(
    "change",
    [
        "item_ids = 'S02'",
        "respondents = 99",
        "file_name = 'other.csv'",
        "file_sha256 = 'x', replaced_by = {other}",
        "survey = 'pupil', replaced_by = {other}",
        "imported_at = '2000-01-01', replaced_by = {other}",
        "school_year_id = school_year_id + 1, replaced_by = {other}",
        "import_id = 99, replaced_by = {other}",
    ],
)
def test_trigger_refuses_changes_of_other_columns(store, year, change):
    old, new = two_imports(store, year)
    before = store.survey_imports()
    with pytest.raises(sqlite3.IntegrityError, match="changes only once"):
        store.conn.execute(f"UPDATE survey_imports SET {change.format(other=old)} WHERE import_id = ?", (new,))
    assert store.survey_imports() == before


def test_trigger_allows_the_one_change_when_an_import_is_replaced(store, year):
    old, new = two_imports(store, year)
    third = store.import_survey(
        year,
        "staff",
        source="test",
        item_ids=["S01"],
        respondents=["c"],
        subgroups=[""],
        values=np.array([[2]]),
        file_sha256="three",
        on_existing="replace",
    ).import_id
    rows = {r["import_id"]: r["replaced_by"] for r in store.survey_imports()}
    assert rows == {old: new, new: third, third: None}


def test_trigger_refuses_other_changes_together_with_replaced_by(store, year):
    old, new = two_imports(store, year)
    with pytest.raises(sqlite3.IntegrityError, match="changes only once"):
        store.conn.execute(
            "UPDATE survey_imports SET item_ids = 'S05', replaced_by = ? WHERE import_id = ?", (old, new)
        )


# --------------------------------------------------------------------------
# measure scores


def scored_import(store, year, sha="one", on_existing="refuse", respondents=("a", "b"), value=20.5):
    return store.import_survey(
        year,
        "pupil",
        source="test",
        item_ids=["U01"],
        respondents=list(respondents),
        subgroups=["Y5", ""][: len(respondents)],
        values=np.array([[4], [MISSING]][: len(respondents)]),
        file_sha256=sha,
        on_existing=on_existing,
        scores=[
            (respondents[0], "swemwbs", "self", "raw", 24.0, ""),
            (respondents[0], "swemwbs", "self", "metric", value, ""),
            (respondents[-1], "sdq", "self", "emotional", 6.0, "Borderline"),
            (respondents[-1], "sdq", "self", "conduct", float("nan"), ""),
        ],
    )  # no score: not stored


def test_scores_are_stored_with_the_import_and_read_with_the_respondents_subgroup(store, year):
    scored_import(store, year)
    frame = store.survey_scores(year)
    assert list(frame.columns) == SCORE_COLUMNS
    assert frame.values.tolist() == [
        ["pupil", "b", "", "sdq", "self", "emotional", 6.0, "Borderline"],
        ["pupil", "a", "Y5", "swemwbs", "self", "metric", 20.5, ""],
        ["pupil", "a", "Y5", "swemwbs", "self", "raw", 24.0, ""],
    ]
    data = read_survey_data(store.conn, year, ORDER)
    assert data.score_rows().equals(frame)
    # b answered no survey item but has a score: a respondent of the import all the same
    assert data.blocks["pupil"].respondents.tolist() == ["a", "b"]
    assert store.survey_scores(year, "staff").empty and SurveyData().score_rows().empty


def test_a_replaced_imports_scores_are_gone(store, year):
    first = scored_import(store, year)
    second = scored_import(store, year, sha="two", on_existing="replace", respondents=("c",), value=30.0)
    assert [r["import_id"] for r in second.replaced] == [first.import_id]
    frame = store.survey_scores(year)
    assert set(frame["respondent"]) == {"c"} and frame.loc[frame["score_id"] == "metric", "value"].tolist() == [30.0]
    held = store.conn.execute("SELECT count(*) FROM survey_scores WHERE import_id = ?", (first.import_id,))
    assert held.fetchone()[0] == 0


def test_an_added_import_keeps_both_imports_scores(store, year):
    scored_import(store, year)
    scored_import(store, year, sha="two", on_existing="add", respondents=("c", "d"))
    assert set(store.survey_scores(year)["respondent"]) == {"a", "b", "c", "d"}


def test_a_score_needs_a_stored_respondent_of_its_import(store, year):
    outcome = scored_import(store, year)
    store.conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):
        insert_scores(store.conn, outcome.import_id, [("nobody", "swemwbs", "self", "raw", 20.0, "")])


def test_insert_scores_leaves_missing_values_out():
    assert has_value(1.0) and has_value(0.0) and not has_value(None) and not has_value(float("nan"))
    assert not has_value(pd.NA)
