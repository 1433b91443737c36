"""Validated measures in a survey export (wqm_nb.intake.matching, plan; wqm_nb.data.import_mapping):
an instrument block mapped by position, by the mapping YAML or by its headers, scored at import, only
the scores stored; a replaced import's scores go with it; ``wqm survey import --instrument``.

Every export here is a small hand-made CSV with known answers: SWEMWBS answers 4 ("Often") on all seven
items give a raw score of 28 and a metric score of 25.03 (the conversion table).
"""

import csv
import io
import re

import pytest
import yaml

from wqm_nb.cli import main
from wqm_nb.data import load_question_bank
from wqm_nb.data.import_mapping import (
    InstrumentBlock,
    load_import_mapping,
    parse_columns,
    parse_import_mapping,
    with_instrument,
)
from wqm_nb.errors import DataFileError, SettingsError
from wqm_nb.intake.matching import INSTRUMENT, ITEM
from wqm_nb.intake.plan import commit_import, inspect_export, plan_import
from wqm_nb.store import Store

BANK = load_question_bank()
PUPIL = BANK.surveys["pupil"]
SCHOOL, YEAR = "NLT03", "2025-26"


def export(rows, instrument_headers=None, items=2) -> bytes:
    """A Google Forms export of the pupil survey: timestamp, year group, ``items`` survey items, then the
    instrument's columns (``instrument_headers``, default Q1..Q7). ``rows``: (year, item answers, block)."""
    headers = instrument_headers or [f"Q{k}" for k in range(1, 8)]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["Timestamp", PUPIL.subgroup.questions[0], *[i.texts[0] for i in PUPIL.items[:items]], *headers])
    for year, answers, block in rows:
        writer.writerow(["2025/11/03 10:00:00 AM GMT", year, *answers, *block])
    return buf.getvalue().encode("utf-8")


OFTEN = ["Often"] * 7
ROWS = [
    ("Year 5", ["Agree", "Agree"], OFTEN),
    ("Year 6", ["Disagree", ""], ["4", "4", "4", "4", "4", "4", "5"]),  # raw 29, metric 26.02
    ("Year 6", ["", ""], ["4", "4", "4", "4", "4", "4", "4"]),  # no survey answer, but scored
    ("Year 5", ["Agree", ""], ["4", "4", "", "4", "4", "4", "4"]),  # answered too few: no score
    ("Year 5", ["", ""], ["", "3", "", "", "", "", ""]),
]  # nothing to keep: dropped


def by_position(columns="E:K"):
    return with_instrument(None, "pupil", "swemwbs", "", columns)


def plan(data=None, mapping=None, **options):
    return plan_import(inspect_export(data or export(ROWS), "pupils.csv", "pupil", mapping=mapping, **options))


def scores_by_row(p):
    """{(year group, raw, metric)} of the plan's scored respondents."""
    s = p.scores.pivot(index="respondent", columns="score_id", values="value")
    groups = dict(zip(p.respondents, p.subgroups, strict=False))
    return sorted((groups[r], row["raw"], row["metric"]) for r, row in s.iterrows())


# -- mapping the block ------------------------------------------------------------------------------------------


def test_parse_columns():
    assert parse_columns("E:K") == ("E", "F", "G", "H", "I", "J", "K")
    assert parse_columns("e, f ,G") == ("E", "F", "G")
    assert parse_columns("Z", 3) == ("Z", "AA", "AB")
    assert parse_columns(["AA", "AB"]) == ("AA", "AB")
    for bad in ("E:B", "E:7", "E,E", "E-K"):
        with pytest.raises(ValueError):
            parse_columns(bad)


def test_by_position_the_columns_are_the_instruments_items_in_order():
    insp = inspect_export(export(ROWS), "pupils.csv", "pupil", mapping=by_position())
    block = [m for m in insp.matches if m.action == INSTRUMENT]
    assert [(m.column.letter, m.target, m.how) for m in block] == [
        (letter, f"swemwbs{k}", "position") for k, letter in enumerate("EFGHIJK", 1)
    ]
    assert [m.target for m in insp.matches if m.action == ITEM] == ["U01", "U02"]
    assert block[0].described == "swemwbs item swemwbs1"


def test_an_import_by_position_scores_the_answers_and_keeps_only_the_scores():
    p = plan(mapping=by_position())
    assert scores_by_row(p) == [("Y5", 28.0, 25.03), ("Y6", 28.0, 25.03), ("Y6", 29.0, 26.02)]
    assert list(p.scores.columns) == ["respondent", "instrument", "informant", "score_id", "value", "band"]
    assert set(p.scores["informant"]) == {"self"} and set(p.scores["band"]) == {""}
    # kept: the three scored and the one with a survey answer; dropped: the one with neither
    assert p.kept == 4 and p.dropped_empty == 1
    assert p.values.shape == (4, 2)  # the survey's own items only: no instrument answer is kept
    (use,) = p.instruments
    assert (use.instrument, use.informant, use.answered, use.scored, use.how) == (
        "swemwbs",
        "self",
        5,
        3,
        ("position",),
    )
    line = next(x for x in p.summary() if x.startswith("measure:"))
    assert "E swemwbs1" in line and "K swemwbs7" in line and "5 respondents with answers, 3 scored" in line
    assert "2 answered too few items for a score" in line and "not the item answers" in line


def test_an_import_through_the_mapping_yaml_by_header(tmp_path):
    doc = {"survey": "pupil", "columns": {f"Q{k}": f"swemwbs{k}" for k in range(1, 8)}}
    mapping = parse_import_mapping(doc, tmp_path / "m.yaml", BANK)
    insp = inspect_export(export(ROWS), "pupils.csv", "pupil", mapping=mapping)
    assert {m.how for m in insp.matches if m.action == INSTRUMENT} == {"mapping"}
    assert scores_by_row(plan_import(insp)) == [("Y5", 28.0, 25.03), ("Y6", 28.0, 25.03), ("Y6", 29.0, 26.02)]


def test_an_import_through_the_mapping_yamls_instruments_block(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("survey: pupil\ninstruments:\n  swemwbs: {columns: E:K}\n", encoding="utf-8")
    mapping = load_import_mapping(path, BANK)
    assert mapping.instruments == {"swemwbs": InstrumentBlock("swemwbs", tuple("EFGHIJK"), "")}
    assert len(plan(mapping=mapping).scores) == 6
    path.write_text("survey: pupil\ninstruments:\n  swemwbs: {start: E}\n", encoding="utf-8")
    assert load_import_mapping(path, BANK).instruments["swemwbs"].columns == tuple("EFGHIJK")


def test_headers_named_like_the_items_map_by_themselves():
    data = export(ROWS, [f"SWEMWBS {k}" for k in range(1, 8)])
    insp = inspect_export(data, "pupils.csv", "pupil")
    assert [m.target for m in insp.matches if m.action == INSTRUMENT] == [f"swemwbs{k}" for k in range(1, 8)]
    assert {m.how for m in insp.matches if m.action == INSTRUMENT} == {"header"}
    assert len(plan_import(insp).scores) == 6


def test_without_a_mapping_numbered_answers_on_the_scale_are_unmatched():
    # Q1..Q7 hold 1-5 answers: with no instrument named they look like unknown survey questions
    with pytest.raises(DataFileError, match="match no item"):
        plan()


@pytest.mark.parametrize(
    "doc, field, message",
    [
        ({"instruments": {"nosuch": {}}}, "instruments.nosuch", "unknown instrument"),
        ({"instruments": {"swemwbs": {"columns": "E:J"}}}, "instruments.swemwbs.columns", "6 columns"),
        ({"instruments": {"swemwbs": {"columns": "E:K", "start": "E"}}}, "instruments.swemwbs", "not both"),
        ({"instruments": {"sdq": {"columns": "E:AC"}}}, "instruments.sdq.informant", "needs an informant"),
        ({"instruments": {"sdq": {"informant": "pupil"}}}, "instruments.sdq.informant", "no 'pupil' informant"),
        ({"columns": {"Q1": "swemwbs9"}}, "columns.Q1", "unknown target"),
        ({"columns": {"Q1": "swemwbs1", "Q2": "swemwbs1"}}, "columns", "more than one column"),
    ],
)
def test_a_bad_instrument_mapping_names_the_field(tmp_path, doc, field, message):
    with pytest.raises(DataFileError) as err:
        parse_import_mapping({"survey": "pupil", **doc}, tmp_path / "m.yaml", BANK)
    assert err.value.field == field and message in err.value.message


def test_save_mapping_writes_the_block_so_the_next_import_maps_silently(tmp_path):
    insp = inspect_export(export(ROWS), "pupils.csv", "pupil", mapping=by_position())
    text = insp.mapping_used().to_yaml()
    doc = yaml.safe_load(text)
    assert {h: t for h, t in doc["columns"].items() if h.startswith("Q")} == {
        f"Q{k}": f"swemwbs{k}" for k in range(1, 8)
    }
    assert doc["instruments"] == {"swemwbs": {}}
    path = tmp_path / "saved.yaml"
    path.write_text(text, encoding="utf-8")
    again = plan(mapping=load_import_mapping(path, BANK))
    assert scores_by_row(again) == scores_by_row(plan(mapping=by_position()))


def test_a_block_whose_headers_repeat_is_saved_by_position():
    data = export(ROWS, ["How often?"] * 7)
    insp = inspect_export(data, "pupils.csv", "pupil", mapping=by_position())
    doc = yaml.safe_load(insp.mapping_used().to_yaml())
    assert doc["instruments"] == {"swemwbs": {"columns": list("EFGHIJK")}}
    assert "How often?" not in doc["columns"]


# -- errors ------------------------------------------------------------------------------------------------------


def test_a_bad_answer_names_the_exports_row_and_column():
    rows = ROWS[:2] + [("Year 6", ["Agree", "Agree"], ["4", "4", "Sometimes", "4", "4", "4", "4"])]
    with pytest.raises(DataFileError) as err:
        plan(export(rows), mapping=by_position())
    assert (err.value.file, err.value.row, err.value.column) == ("pupils.csv", 4, "G: Q3")
    assert "'Sometimes' is not an answer to swemwbs3" in err.value.message
    assert "nothing was imported" in err.value.message


def test_not_answered_labels_count_as_blank():
    rows = [("Year 5", ["Agree", "Agree"], ["Don't know"] + OFTEN[1:])]
    p = plan(export(rows), mapping=by_position())
    assert p.scores is not None and p.scores.empty and p.instruments[0].scored == 0


def test_an_instrument_asked_for_but_not_found_is_an_error():
    mapping = with_instrument(None, "pupil", "stirling")
    with pytest.raises(DataFileError, match="no column of stirling was found"):
        plan(export(ROWS, [f"SWEMWBS {k}" for k in range(1, 8)]), mapping=mapping)


def test_too_few_columns_for_the_instrument_is_an_error():
    with pytest.raises(SettingsError, match="6 columns"):
        with_instrument(None, "pupil", "swemwbs", "", "E:J")
    data = export([(y, a, b[:6] + [""]) for y, a, b in ROWS], [f"swemwbs{k}" for k in range(1, 7)] + ["Other"])
    with pytest.raises(DataFileError, match="missing item column swemwbs7"):
        plan(data)


def test_the_sdq_in_a_staff_survey_needs_an_informant():
    with pytest.raises(SettingsError, match="sdq needs an informant"):
        with_instrument(None, "staff", "sdq", "", "E:AC")
    assert with_instrument(None, "pupil", "sdq").instruments["sdq"].informant == ""  # self-report by default
    assert with_instrument(None, "staff", "sdq", "teacher", "E:AC").instruments["sdq"].columns[-1] == "AC"


def test_pre_scored_sdq_scales_are_accepted_by_header():
    headers = ["sdq.emotional", "sdq.conduct", "sdq.hyperactivity", "sdq.peer", "sdq.prosocial", "Other", "x"]
    rows = [
        ("Year 5", ["Agree", "Agree"], ["4", "2", "5", "1", "8", "", ""]),
        ("Year 6", ["Agree", "Agree"], ["6", "", "5", "1", "8", "", ""]),
    ]
    p = plan(export(rows, headers))
    got = {(r.score_id, r.value, r.band) for r in p.scores.itertuples()}
    assert ("total_difficulties", 12.0, "Normal") in got and ("emotional", 6.0, "Borderline") in got
    assert sum(1 for r in p.scores.itertuples() if r.score_id == "total_difficulties") == 1  # p2 lacks conduct
    assert p.instruments[0].prescored and "pre-scored" in p.instruments[0].described()


# -- into the store ----------------------------------------------------------------------------------------------


def test_commit_stores_the_scores_and_a_replaced_imports_scores_go(db):
    first = plan(mapping=by_position())
    with Store(db) as store:
        outcome = commit_import(store, first, SCHOOL, YEAR, on_existing="replace")
        year = store.school_year(SCHOOL, YEAR)["school_year_id"]
        frame = store.survey_scores(year, "pupil")
        assert sorted(frame.loc[frame["score_id"] == "metric", "value"]) == [25.03, 25.03, 26.02]
        assert set(frame["respondent"]) <= set(first.respondents)
        (record,) = [r for r in store.survey_imports(year) if r["import_id"] == outcome.import_id]
        assert '"instruments"' in record["details"] and '"scored": 3' in record["details"]
        second = plan(export(ROWS[:1]), mapping=by_position())
        commit_import(store, second, SCHOOL, YEAR, on_existing="replace")
        frame = store.survey_scores(year, "pupil")
        assert len(frame) == 2 and set(frame["respondent"]) == set(second.respondents)
        held = store.conn.execute("SELECT count(*) FROM survey_scores WHERE import_id = ?", (outcome.import_id,))
        assert held.fetchone()[0] == 0
        # the item answers were never stored: the import lists the survey's own items only
        assert record["item_ids"] == "U01,U02"


def test_the_cli_imports_a_block_by_position(tmp_path, db, capsys):
    path = tmp_path / "pupils.csv"
    path.write_bytes(export(ROWS))
    args = [
        "survey",
        "import",
        str(path),
        "--school",
        SCHOOL,
        "--year",
        YEAR,
        "--survey",
        "pupil",
        "--data",
        str(db),
        "--replace",
        "--instrument",
        "swemwbs",
        "--instrument-columns",
        "E:K",
        "--save-mapping",
        str(tmp_path / "m.yaml"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert re.search(r"^E\s+swemwbs item swemwbs1\s+Q1$", out, re.M)
    assert "measure: Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS) (swemwbs, self)" in out
    assert load_import_mapping(tmp_path / "m.yaml", BANK).target("Q7") == "swemwbs7"
    with Store(db, read_only=True) as store:
        assert len(store.survey_scores(store.school_year(SCHOOL, YEAR)["school_year_id"], "pupil")) == 6


def test_the_cli_refuses_an_informant_without_an_instrument(tmp_path, db, capsys):
    path = tmp_path / "pupils.csv"
    path.write_bytes(export(ROWS))
    args = [
        "survey",
        "import",
        str(path),
        "--school",
        SCHOOL,
        "--year",
        YEAR,
        "--survey",
        "pupil",
        "--data",
        str(db),
        "--informant",
        "self",
    ]
    assert main(args) == 2
    assert "--informant and --instrument-columns need --instrument NAME" in capsys.readouterr().err


def test_a_paper_tally_cannot_carry_a_measure():
    tally = b"item,Strongly disagree,Disagree,Neither,Agree,Strongly agree\nU01,1,2,3,4,5\n"
    insp = inspect_export(tally, "tally.csv", "pupil", mapping=with_instrument(None, "pupil", "swemwbs"))
    with pytest.raises(DataFileError, match="a paper tally holds counts, not respondents"):
        plan_import(insp)
