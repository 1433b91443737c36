"""`wqm export`: the published figures as JSON and CSV records."""

import csv
import io
import json

import pytest

from wqm_nb.cli import main
from wqm_nb.export.figures import FIELDS, figure_records, format_records
from wqm_nb.model import assess_school
from wqm_nb.settings import ReportSettings


@pytest.fixture(scope="module")
def records(sample_db):
    return figure_records(assess_school(ReportSettings(school_id="NLT03", year="2025-26", data=str(sample_db))))


def test_records_have_exactly_the_documented_keys(records):
    assert records and all(list(r) == FIELDS for r in records)
    assert {r["measure"] for r in records} == {"agreement", "rating", "swemwbs.raw", "swemwbs.metric", "stirling.total"}
    assert {r["survey"] for r in records if r["measure"] == "rating"} == {"staff_audit"}
    assert {r["school"] for r in records} == {"NLT03"} and {r["year"] for r in records} == {"2025-26"}


def test_suppressed_records_carry_no_numbers(records):
    hidden = [r for r in records if r["suppressed"]]
    shown = [r for r in records if not r["suppressed"]]
    assert hidden and shown
    assert all(r[k] is None for r in hidden for k in ("n", "agree_share", "mean", "ci_low", "ci_high"))
    shares = [r for r in shown if r["measure"] in ("agreement", "rating")]
    means = [r for r in shown if r["measure"] not in ("agreement", "rating") and r["agree_share"] is None]
    assert shares and means
    assert all(r["n"] >= 5 and 0 <= r["ci_low"] <= r["agree_share"] <= r["ci_high"] <= 1 for r in shares)
    # a measure's interval only where no group of its family is hidden (else the mean alone)
    assert all(r["n"] >= 5 and (r["ci_low"] is None or r["ci_low"] <= r["mean"] <= r["ci_high"]) for r in means)
    assert all((r["ci_low"] is None) == (r["ci_high"] is None) for r in means)
    parents = [r for r in records if r["survey"] == "parent"]
    assert parents and all(r["suppressed"] for r in parents)  # Fellside's 3 parents


def test_whole_group_records_have_null_subgroup(records):
    whole = [r for r in records if r["subgroup_field"] is None]
    assert whole and all(r["subgroup"] is None for r in whole)
    assert {r["subgroup_field"] for r in records} == {None, "role", "year_group"}


def test_json_and_csv_agree(records):
    from_json = json.loads(format_records(records, "json"))
    assert from_json == records
    rows = list(csv.DictReader(io.StringIO(format_records(records, "csv"))))
    assert len(rows) == len(records) and list(rows[0]) == FIELDS
    for row, rec in zip(rows, records, strict=False):
        assert row["suppressed"] == str(rec["suppressed"]).lower()
        assert row["n"] == ("" if rec["n"] is None else str(rec["n"]))


def test_cli_export_to_stdout_and_file(sample_db, tmp_path, capsys):
    assert main(["export", "NLT03", "--data", str(sample_db), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    out = tmp_path / "nlt03.csv"
    assert main(["export", "NLT03", "--data", str(sample_db), "--format", "csv", "--out", str(out)]) == 0
    assert len(list(csv.DictReader(out.open()))) == len(printed)
    assert main(["export", "NOPE", "--data", str(sample_db), "--format", "json"]) == 2


def test_export_for_another_framework_names_its_sections(sample_db):
    recs = figure_records(
        assess_school(ReportSettings(school_id="NLT01", data=str(sample_db), framework="leadership_management"))
    )
    items = [r for r in recs if r["measure"] in ("agreement", "rating")]
    assert {r["principle"] for r in items} == {"LM"} and {r["survey"] for r in items} == {"staff", "parent"}
    assert {r["principle"] for r in recs if r not in items} <= {None}  # measures belong to no section


def test_the_staff_audit_is_exported_as_ratings_on_the_maturity_scale(records):
    audit = [r for r in records if r["survey"] == "staff_audit"]
    whole = [r for r in audit if r["subgroup_field"] is None]
    assert [r["principle"] for r in whole] == [f"P{k}" for k in range(1, 8)]
    assert all(
        r["measure"] == "rating" and r["n"] == 6 and 1 <= r["mean"] <= 4 and 0 <= r["agree_share"] <= 1 for r in whole
    )  # Fellside's six staff rated every principle
    assert whole[0]["mean"] == 2.2  # 13/6, to 1 decimal as printed
    assert {r["subgroup_field"] for r in audit} == {None, "role"}
    assert all(r[k] is None for r in audit if r["suppressed"] for k in ("n", "agree_share", "mean"))
