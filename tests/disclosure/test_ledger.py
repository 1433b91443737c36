"""The publication ledger: a school year published again after its data changed, audited with what was
published before (issue 22: "one paper form added between two exports")."""

import json
import shutil

import numpy as np
import pytest

from wqm_nb.cli import main
from wqm_nb.data.surveys import load_question_bank
from wqm_nb.disclosure.ledger import Ledger, ledger_path
from wqm_nb.model import assess_school
from wqm_nb.model.figures import PROTECTS_CHANGE
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store

SCHOOL, YEAR = "NLT05", "2025-26"


def export(capsys, db):
    assert main(["export", SCHOOL, "--year", YEAR, "--format", "json", "--data", str(db)]) == 0
    return json.loads(capsys.readouterr().out)


def whole(records, survey="staff"):
    return {r["principle"]: r for r in records if r["survey"] == survey and r["subgroup_field"] is None}


def add_staff(db, answers: list[list[int]], subgroup="teaching"):
    """``wqm survey import --add`` of a paper batch: one or more staff forms beside the online export."""
    bank = load_question_bank()
    items = list(bank.surveys["staff"].item_ids)
    with Store.open(db) as store:
        sy = store.school_year(SCHOOL, YEAR)["school_year_id"]
        values = np.array([(row + [-1] * len(items))[: len(items)] for row in answers], dtype=np.int8)
        store.import_survey(
            sy,
            "staff",
            source="paper",
            item_ids=items,
            file_name=f"paper{len(answers)}.csv",
            respondents=[f"paper{k}" for k in range(len(answers))],
            subgroups=[subgroup] * len(answers),
            values=values,
            on_existing="add",
        )


@pytest.fixture
def db(sample_db, tmp_path):
    return shutil.copy(sample_db, tmp_path / "wqm.sqlite")


def test_one_form_added_between_two_exports_cannot_be_read_off_their_difference(db, capsys):
    """The attack: export, add one paper form, export again, subtract. Before the ledger the difference of
    the two exports was that form's answers: every section's n went up by one and its share moved by the
    form's answer. Now the second publication hides what changed, with its reason."""
    first = export(capsys, db)
    assert any(r["n"] for r in whole(first).values())  # the staff survey was shown
    add_staff(db, [[5] * 40])
    second = export(capsys, db)
    before, after = whole(first), whole(second)
    for section, row in after.items():
        if row["n"] is not None and before[section]["n"] is not None:
            assert row["n"] == before[section]["n"] and row["agree_share"] == before[section]["agree_share"], (
                f"{section}: the added form is the difference"
            )
    reasons = assess_school(ReportSettings(school_id=SCHOOL, year=YEAR, data=str(db))).current.figures.whole
    assert PROTECTS_CHANGE in set(reasons.loc[reasons["survey"] == "staff", "reason"])
    # the earlier publication is unchanged, and publishing the same data again writes nothing
    assert len(Ledger(ledger_path(db)).entries(SCHOOL, YEAR)) == 2
    assert export(capsys, db) == second
    assert len(Ledger(ledger_path(db)).entries(SCHOOL, YEAR)) == 2


def test_a_large_enough_change_is_published(db, capsys):
    first = export(capsys, db)
    add_staff(db, [[5, 4, 3, 2, 1, 5, 4] * 6] * 6)  # six forms: a group of its own
    second = export(capsys, db)
    grew = [
        s
        for s, r in whole(second).items()
        if r["n"] is not None and whole(first)[s]["n"] is not None and r["n"] > whole(first)[s]["n"]
    ]
    assert grew  # the new data is shown


def test_the_ledger_command_lists_and_a_dry_run_shows_what_would_be_hidden(db, capsys):
    export(capsys, db)
    add_staff(db, [[5] * 40])
    assert main(["publish", SCHOOL, "--year", YEAR, "--data", str(db), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and PROTECTS_CHANGE in out and "staff" in out
    assert len(Ledger(ledger_path(db)).entries(SCHOOL, YEAR)) == 1  # nothing recorded
    assert main(["ledger", "--data", str(db)]) == 0
    listed = capsys.readouterr().out
    assert SCHOOL in listed and YEAR in listed


def test_removing_a_school_erases_its_ledger_rows(db, capsys):
    export(capsys, db)
    assert Ledger(ledger_path(db)).entries(SCHOOL)
    assert main(["school", "remove", SCHOOL, "--data", str(db), "--confirm"]) == 0
    capsys.readouterr()
    assert not Ledger(ledger_path(db)).entries(SCHOOL)


def test_a_ledger_that_cannot_be_written_is_a_clear_error(db, tmp_path, monkeypatch):
    from wqm_nb.errors import StoreError

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the ledgers' folder should be")
    monkeypatch.setenv("WQM_LEDGER_DIR", str(blocked))
    with pytest.raises(StoreError, match="WQM_LEDGER_DIR"):
        assess_school(ReportSettings(school_id=SCHOOL, year=YEAR, data=str(db)))


def test_a_link_holders_kernel_never_records_a_release_the_server_does(db):
    """The attack: a link holder's page computed and recorded a release from its kernel, through the link's
    scope. Now a store seen through a link's scope reads the ledger only: a release not recorded is an error,
    and the server (``publish_report``, before it serves the page) is what records it."""
    from wqm_nb.disclosure.ledger import publish_report
    from wqm_nb.errors import NotPublishedError
    from wqm_nb.export.report_key import key_of
    from wqm_nb.store.scope import Scope

    settings = ReportSettings(school_id=SCHOOL, year=YEAR, data=str(db))
    ledger = Ledger(ledger_path(db))
    link = Scope.link(SCHOOL, YEAR, page="report")
    with pytest.raises(NotPublishedError, match="not published yet"):
        assess_school(settings, scope=link)
    assert ledger.entries(SCHOOL) == []
    unpublished_key = key_of(settings).digest
    publish_report(db, SCHOOL, YEAR)
    recorded = ledger.entries(SCHOOL)
    assert any(e.academic_year == YEAR for e in recorded)
    seen = assess_school(settings, scope=link)
    assert ledger.entries(SCHOOL) == recorded  # the page recorded nothing
    assert seen.current.figures.table.equals(assess_school(settings).current.figures.table)
    # a cached page or PDF is keyed by the releases it shows: the new release changed the key
    assert key_of(settings).digest != unpublished_key
    # the data changed after the server published: the page says so rather than publishing itself
    add_staff(db, [[4] * 40] * 6)
    with pytest.raises(NotPublishedError):
        assess_school(settings, scope=link)
    publish_report(db, SCHOOL, YEAR)
    assert len(ledger.entries(SCHOOL, YEAR)) == 2
    assess_school(settings, scope=link)


def test_the_consultant_records_releases_as_before(db):
    from wqm_nb.store.scope import Scope

    assess_school(ReportSettings(school_id=SCHOOL, year=YEAR, data=str(db)), scope=Scope.consultant("report"))
    assert any(e.academic_year == YEAR for e in Ledger(ledger_path(db)).entries(SCHOOL))


def test_one_pupils_corrected_score_cannot_be_read_off_two_publications(db, capsys):
    """The attack: publish, re-import the pupil export with one pupil's Stirling score corrected (the
    framework answers unchanged: ``--replace``), publish again, and subtract the two Stirling means: n times
    the difference is that pupil's change. A respondent is the same member only with the same scores too."""
    school, year = "NLT03", "2025-26"

    def pupil_measure_means():
        figures = assess_school(ReportSettings(school_id=school, year=year, data=str(db))).current.figures
        means = figures.measure_means()
        return means[(means["survey"] == "pupil") & means["subgroup_field"].isna()].reset_index(drop=True)

    before = pupil_measure_means()
    assert before["n"].notna().any()  # the measure was published
    bank = load_question_bank()
    with Store.open(db) as store:
        sy = store.school_year(school, year)["school_year_id"]
        block = store.survey_data(sy, bank).blocks["pupil"]
        scores = store.survey_scores(sy, "pupil")
        first = scores["respondent"].iloc[0]
        changed = [
            (r.respondent, r.instrument, r.informant, r.score_id, r.value + (7 if r.respondent == first else 0), r.band)
            for r in scores.itertuples()
        ]
        store.import_survey(
            sy,
            "pupil",
            source="online",
            item_ids=list(block.item_ids),
            file_name="corrected.csv",
            respondents=list(block.respondents),
            subgroups=list(block.subgroups),
            values=block.values.copy(),
            scores=changed,
            on_existing="replace",
        )
    after = pupil_measure_means()
    assert after["suppressed"].all() and set(after["reason"]) == {PROTECTS_CHANGE}  # hidden, as a change
    for (_, b), (_, a) in zip(before.iterrows(), after.iterrows(), strict=True):
        if not b["suppressed"] and not a["suppressed"]:  # both published
            assert a["mean"] == b["mean"], f"{a['measure']}: the corrected score is the difference"
