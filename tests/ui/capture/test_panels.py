"""The capture form's panels: targets (suggested and carried), the staff audit tally, the award decision."""

from wqm_nb.store import Scope, Store

LINK_ID = "0a1b2c3d4e5f"


def test_targets_are_added_edited_and_carried_into_a_new_year(db, text, app_for):
    app = app_for(db)
    row = app.form.targets.add_target("P2")
    row.text.value = "Run a parents' wellbeing forum each term"
    row.owner.value = "Deputy head"
    import datetime as dt

    row.review.value = dt.date(2026, 7, 1)
    done = app.form.targets.add_target("P7")
    done.text.value = "Map referral pathways"
    done.status.value = "achieved"
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle("NLT03", "2025-26", "wqm")["cycle_id"]
        targets = {t["target_id"]: t for t in store.targets(cycle)}
    first = targets[row.target_id]
    assert (first["principle_id"], first["owner"], first["review_date"], first["status"]) == (
        "P2",
        "Deputy head",
        "2026-07-01",
        "open",
    )
    assert targets[done.target_id]["status"] == "achieved"
    started = app.start_year("2026-27")
    assert started["carried"] == [row.target_id] and app.year.value == "2026-27"
    carried = app.form.targets.rows
    assert [r.target_id for r in carried] == [row.target_id]
    assert "carried from 2025-26" in text(carried[0].saved.value)
    assert carried[0].text.value == "Run a parents' wellbeing forum each term"


def test_the_staff_audit_tally_is_saved_as_a_tally_and_replaced_by_the_next_edit(
    db, new_school, text, current, app_for, audit_imports
):
    app = app_for(db, school=new_school, year="2025-26")
    audit = app.form.audit
    assert audit is not None and not audit.locked
    assert [v for v in audit.values] == [1, 2, 3, 4]  # the maturity scale
    assert [i.id for i in audit.items] == [f"SA{k}" for k in range(1, 8)]
    audit.cells[("SA1", 3)].value = 7
    audit.cells[("SA1", 4)].value = 2
    audit.cells[("SA2", 2)].value = 9
    records = audit_imports(db, new_school, "2025-26")
    current = [r for r in records if not r["replaced_by"]]
    assert len(current) == 1 and current[0]["kind"] == "tally" and current[0]["source"] == "form"
    assert current[0]["respondents"] == 9 and current[0]["imported_by"] == "Sam Patel"
    assert len(records) == 3  # every edit kept, each replaced by the next
    with Store.open(db, read_only=True) as store:
        tallies = store.survey_data(store.school_year(new_school, "2025-26")["school_year_id"]).tally_rows()
    got = {(r.item_id, int(r.value)): int(r.count) for r in tallies.itertuples() if r.survey == "staff_audit"}
    assert got == {("SA1", 3): 7, ("SA1", 4): 2, ("SA2", 2): 9}
    again = app_for(db, school=new_school, year="2025-26").form.audit
    assert again.cells[("SA1", 3)].value == 7 and again.cells[("SA2", 1)].value == 0
    audit.cells[("SA3", 1)].value = -1
    assert "cannot be negative" in text(app.status.value)


def test_an_imported_staff_audit_is_shown_read_only(db, new_school, app_for):
    with Store.open(db) as store:
        year_id = store.ensure_school_year(new_school, "2025-26")
        store.import_survey(
            year_id,
            "staff_audit",
            source="google-forms",
            item_ids=["SA1"],
            file_name="audit.csv",
            tallies=[("", "SA1", 3, 6)],
            forms=6,
            on_existing="replace",
        )
    audit = app_for(db, school=new_school, year="2025-26").form.audit
    assert audit.locked and all(cell.disabled for cell in audit.cells.values())
    assert "audit.csv" in audit.status.value and "--replace" in audit.status.value


def test_suggested_targets_are_offered_for_the_weakest_sections_and_added_as_editable_rows(db, new_school, app_for):
    from wqm_nb.data import load_framework

    fw = load_framework("wqm")
    with Store.open(db) as store:
        cycle = store.cycle(new_school, "2025-26", "wqm")["cycle_id"]
        store.record_ratings(
            cycle, [dict(element_id=e.id, rating={"P5": 1, "P2": 2}.get(p.id, 4), evidence="E") for p, e in fw.elements]
        )
        store.record_target(cycle, principle_id="P2", text_="Parents' forum", status="in_progress")
    panel = app_for(db, school=new_school, year="2025-26").form.targets
    # P2 already has an open target; the other sections are at the top of the scale
    assert [s.principle_id for s in panel.suggestions] == ["P5"]
    assert "Suggested targets" in panel.suggested.children[0].value
    assert "Move P5.1" in panel.suggested.children[1].children[1].value
    suggestion = panel.suggestions[0]
    row = panel.add_suggestion(0)
    assert row is not None and panel.rows[-1] is row
    assert (row.principle.value, row.text.value, row.owner.value) == ("P5", suggestion.text, "")
    assert row.review.value.isoformat() == suggestion.review_date
    assert panel.suggestion_buttons[0].disabled and panel.suggestion_buttons[0].description == "Added"
    with Store.open(db, read_only=True) as store:
        saved = store.target(cycle, row.target_id)
    assert (saved["principle_id"], saved["status"], saved["recorded_by"]) == ("P5", "open", "Sam Patel")
    row.owner.value = "Head teacher"  # the added target is edited like any other
    with Store.open(db, read_only=True) as store:
        assert store.target(cycle, row.target_id)["owner"] == "Head teacher"
        assert len(store.target_history(cycle, row.target_id)) == 2


def test_no_suggested_targets_block_when_nothing_is_weak(db, new_school, app_for):
    from wqm_nb.data import load_framework

    with Store.open(db) as store:
        cycle = store.cycle(new_school, "2025-26", "wqm")["cycle_id"]
        store.record_ratings(
            cycle, [dict(element_id=e.id, rating=4, evidence="E") for _, e in load_framework("wqm").elements]
        )
    panel = app_for(db, school=new_school, year="2025-26").form.targets
    assert panel.suggestions == () and panel.suggested.children[0].value == ""


def test_an_award_decision_is_recorded_only_by_the_record_button(
    db, new_school, text, history, app_for, award_decisions
):
    from datetime import date

    app = app_for(db, school=new_school, year="2025-26")
    panel = app.form.awards
    assert panel is not None and panel in app.form.tabs.children[-2].children  # in the Adviser tab
    assert "No award decision recorded yet" in text(panel.history.value)
    assert [v for _, v in panel.level.options] == ["approved", "champion", "beacon"]
    assert panel.year.value == "2025-26" and panel.assessor.value == "Sam Patel"
    panel.level.value, panel.outcome.value, panel.year.value = "champion", "awarded", "2022-23"
    panel.date.value = date(2023, 6, 30)
    panel.assessor.value, panel.reasons.value = "J. Reed", "All seven principles"
    assert award_decisions(db, new_school) == []  # nothing autosaved
    decision_id = panel.record()
    [row] = award_decisions(db, new_school)
    assert row["decision_id"] == decision_id
    assert (
        row["framework"],
        row["level"],
        row["academic_year"],
        row["outcome"],
        row["decided_on"],
        row["assessor"],
        row["reasons"],
        row["recorded_by"],
    ) == ("wqm", "champion", "2022-23", "awarded", "2023-06-30", "J. Reed", "All seven principles", "Sam Patel")
    assert f"recorded decision {decision_id}" in text(panel.status.value)
    history = text(panel.history.value)
    assert "2022-23 Champion School Awarded 2023-06-30 J. Reed All seven principles" in history
    assert panel.reasons.value == ""  # ready for the next one


def test_a_correction_supersedes_the_decision_it_corrects(db, new_school, text, app_for, award_decisions):
    panel = app_for(db, school=new_school, year="2025-26").form.awards
    panel.level.value, panel.year.value = "approved", "2021-22"
    first = panel.record()
    assert [v for _, v in panel.corrects.options] == [None, first]
    panel.year.value, panel.corrects.value = "2022-23", first
    second = panel.record()
    rows = award_decisions(db, new_school)
    assert [(r["decision_id"], r["academic_year"], r["supersedes"]) for r in rows] == [
        (first, "2021-22", None),
        (second, "2022-23", first),
    ]
    assert [d["decision_id"] for d in award_decisions(db, new_school, history=False)] == [second]
    assert f"corrected by {second}" in text(panel.history.value)
    assert [v for _, v in panel.corrects.options] == [None, second]  # a decision is corrected once


def test_a_bad_award_year_is_shown_and_nothing_recorded(db, new_school, text, app_for, award_decisions):
    app = app_for(db, school=new_school, year="2025-26")
    app.form.awards.year.value = "2025/26"
    assert app.form.awards.record() is None
    assert "role='alert'" in app.status.value and "2025/26" in text(app.status.value)
    assert award_decisions(db, new_school) == []


def test_a_signed_link_form_has_no_award_decision_and_cannot_record_one(db, new_school, text, app_for, award_decisions):
    from wqm_nb.ui.capture import AwardDecisionPanel

    app = app_for(
        db, school=new_school, year="2025-26", scope=Scope.link(new_school, "2025-26", page="capture", link_id=LINK_ID)
    )
    assert app.form.awards is None
    adviser = app.form.tabs.children[list(app.form.tabs.titles).index("Adviser")]
    assert not any(isinstance(w, AwardDecisionPanel) for w in adviser.children)
    assert "Award decision" not in "".join(getattr(w, "value", "") for w in adviser.children)
    panel = AwardDecisionPanel(app.form)  # even if one were made
    assert panel.record() is None and "consultant" in text(app.status.value)
    assert award_decisions(db, new_school) == []


def test_a_checklist_has_no_award_decision(db, app_for):
    assert app_for(db, framework="leadership_management").form.awards is None


def test_the_progress_header_reads_the_award_record(db, new_school, text, app_for):
    from wqm_nb.data import load_framework

    app = app_for(db, school=new_school, year="2025-26", framework="vbe")
    for e in load_framework("vbe").element_ids:
        app.form.elements[e].rating.value = 4
        app.form.elements[e].evidence.value = "Values assemblies, pupil panel minutes"
    header = text(app.form.progress.value)
    assert "meets Quality Mark" in header and "Still missing for Enhanced Quality Mark" in header
    assert "Award record : needs Quality Mark held (awarded in 2025-26 or before)" in header
    panel = app.form.awards
    panel.level.value, panel.year.value = "quality_mark", "2024-25"
    panel.record()
    header = text(app.form.progress.value)
    assert "Every award level is met" in header and "Award record" not in header
