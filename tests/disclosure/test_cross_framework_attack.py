"""The attack of issue 22, as an outsider runs it: export one school year under every framework, read the
reports' reasons and response lines, and solve every published figure of a survey jointly.

Each framework's sections are other unions of the same answers, so a cell hidden in one framework's table
was the difference of cells shown in another's. The attacker knows only what is published: the exported
figures at the precision printed (a share's and a mean's decimals as the export writes them), each hidden
cell's reason as the report prints it ("fewer than 5", "not shown, so that ..."), the survey's "Responses"
line, and the public structure (which items each framework's sections hold, the scale, the subgroups).
"""

from __future__ import annotations

import csv
import io

import pytest

from wqm_nb.cli import main
from wqm_nb.data import available_frameworks
from wqm_nb.data.surveys import load_question_bank
from wqm_nb.disclosure.audit import audit
from wqm_nb.disclosure.release import survey_layouts
from wqm_nb.disclosure.tables import (
    NONE,
    PROTECTS,
    TOO_FEW,
    UNSAID,
    PublishedCell,
    hidden_cells,
    printed_interval,
    survey_model,
)
from wqm_nb.model import assess_school
from wqm_nb.model.figures import NO_RESPONSES, PROTECTS_SMALLER, WITHHELD_SURVEY
from wqm_nb.settings import DEFAULT_MIN_GROUP_SIZE, ReportSettings
from wqm_nb.store import Store

#: the school years the issue found leaking, with a cell it recovered
REPORTED = [("NLT03", "2023-24"), ("NLT07", "2025-26"), ("NLT05", "2024-25")]


def exported(capfd, data, school: str, year: str, framework: str) -> list[dict]:
    """``wqm export SCHOOL --year Y --framework F --format csv``, parsed as the attacker reads it. Where the
    export refuses (a survey withheld: exit 2, one line), the attacker reads the same figures off the report:
    every survey the report shows, as the export would have written them."""
    code = main(["export", school, "--year", year, "--framework", framework, "--format", "csv", "--data", str(data)])
    out = capfd.readouterr().out
    if code == 2:
        from wqm_nb.export.figures import figure_records, write_records

        out = write_records(
            figure_records(
                assess_school(ReportSettings(school_id=school, year=year, data=str(data), framework=framework))
            ),
            "csv",
            "",
        )
    assert code in (0, 2)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and set(rows[0]) >= {"survey", "principle", "subgroup", "n", "agree_share", "mean", "suppressed"}, out[
        :300
    ]  # standard output is the CSV and nothing else
    return rows


def decimals(rows: list[dict], column: str) -> int:
    """The precision the export prints a column at (the most decimals any of its values shows)."""
    return max((len(v.split(".", 1)[1]) for v in (r[column] for r in rows) if "." in v), default=0)


def reasons(data, school: str, year: str, framework: str) -> tuple[dict, dict]:
    """What the report prints: each hidden cell's reason, and each survey's "Responses" line."""
    figures = assess_school(
        ReportSettings(school_id=school, year=year, data=str(data), framework=framework)
    ).current.figures
    why = {}
    for r in figures.table.itertuples():
        if r.section_id is None or r.section_id != r.section_id:
            continue
        subgroup = None if r.subgroup is None or r.subgroup != r.subgroup else r.subgroup
        why[(r.survey, r.section_id, subgroup)] = r.reason
    responses = {
        t.survey: (0.0, 0.0)
        if t.reason == NO_RESPONSES
        else (1.0, DEFAULT_MIN_GROUP_SIZE - 1.0)
        if t.suppressed
        else (float(t.n), float(t.n))
        for t in figures.totals.itertuples()
    }
    return why, responses


def recovered(capfd, data, school: str, year: str) -> list[str]:
    """Every hidden cell whose respondents, answers, agreeing, not agreeing or sum the attacker pins to one
    value (or whose answers it shows all agree or none agree)."""
    bank = load_question_bank()
    with Store.open(data, read_only=True) as store:
        truth = store.survey_data(store.school_year(school, year)["school_year_id"], bank)
    layouts = survey_layouts(bank, data=truth)  # the public structure (subgroups as the export lists)
    published: dict[str, list[PublishedCell]] = {s: [] for s in layouts}
    responses: dict[str, tuple[float, float]] = {}
    for framework in available_frameworks():
        rows = exported(capfd, data, school, year, framework)
        share_dp, mean_dp = decimals(rows, "agree_share"), decimals(rows, "mean")
        why, totals = reasons(data, school, year, framework)
        responses.update({s: line for s, line in totals.items() if s in layouts})
        for r in rows:
            if r["survey"] not in layouts or not r["principle"]:
                continue
            subgroup = None if not r["subgroup"] else "" if r["subgroup"] == "not given" else r["subgroup"]
            key = f"{framework}:{r['principle']}"
            if r["suppressed"] == "true":
                reason = why[(r["survey"], r["principle"], subgroup)]
                hidden = (
                    NONE
                    if reason == NO_RESPONSES
                    else PROTECTS
                    if reason == PROTECTS_SMALLER
                    else UNSAID
                    if reason == WITHHELD_SURVEY
                    else TOO_FEW
                )
                published[r["survey"]].append(PublishedCell(key, subgroup, hidden))
            else:
                published[r["survey"]].append(
                    PublishedCell(
                        key,
                        subgroup,
                        n=int(r["n"]),
                        share=printed_interval(float(r["agree_share"]), share_dp) if r["agree_share"] else None,
                        mean=printed_interval(float(r["mean"]), mean_dp) if r["mean"] else None,
                    )
                )
    found = []
    for survey, layout in layouts.items():
        cells = [c for c in published[survey] if c.section in layout.sections]
        sm = survey_model(layout, cells, DEFAULT_MIN_GROUP_SIZE, responses.get(survey))
        hidden = hidden_cells(sm, cells)
        found += [f"{f.cell}: {', '.join(f.disclosed)}" for f in audit(sm.model, hidden) if f.disclosed]
    return found


@pytest.mark.parametrize("school, year", REPORTED)
def test_exports_under_every_framework_give_away_no_hidden_cell(sample_db, capfd, school, year):
    assert recovered(capfd, sample_db, school, year) == []


@pytest.mark.slow
def test_no_school_year_of_the_sample_data_gives_away_a_hidden_cell(sample_db, capfd):
    with Store.open(sample_db, read_only=True) as store:
        years = [
            (s["school_id"], y["academic_year"]) for s in store.schools() for y in store.school_years(s["school_id"])
        ]
    assert len(years) >= 20
    leaks = {
        f"{school} {year}": found for school, year in years if (found := recovered(capfd, sample_db, school, year))
    }
    assert leaks == {}
