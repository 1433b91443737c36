"""The capture form, driven in plain pytest (set the widgets, check the store), plus one kernel test
that kills the kernel after a change is acknowledged."""
import asyncio
import html
import os
import re
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from wqm_nb.errors import SettingsError
from wqm_nb.store import Scope, Store
from wqm_nb.ui.capture_app import Autosave, CaptureApp, capture_app, capture_scope, clock_time


LINK_ID = "0a1b2c3d4e5f"


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, path)
    return path


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).strip()


def current(db: Path, school: str = "NLT03", year: str = "2025-26", framework: str = "wqm") -> dict:
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle(school, year, framework)
        return store.current_elements(cycle["cycle_id"]) if cycle else {}


def history(db: Path, element: str, school: str = "NLT03", year: str = "2025-26") -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return store.element_history(store.cycle(school, year, "wqm")["cycle_id"], element)


def app_for(db: Path, **kwargs) -> CaptureApp:
    """The form as ``wqm capture`` serves it: under a link, the server has published the releases it reads
    (the link holder's kernel cannot)."""
    from wqm_nb.disclosure.ledger import publish_report

    kwargs = {"who": "Sam Patel", "autosave_delay": 0, **kwargs}
    school, year = kwargs.pop("school", "NLT03"), kwargs.pop("year", "2025-26")
    scope = kwargs.get("scope")
    if scope is not None and not scope.is_consultant:
        publish_report(db, school, year, scope.framework or "wqm")
    return CaptureApp(school, year, data=str(db), **kwargs)


def test_a_csv_folder_is_refused_naming_the_command_that_makes_a_store(sample_dir):
    with pytest.raises(SettingsError, match="wqm import"):
        CaptureApp("NLT03", "2025-26", data=str(sample_dir), who="x")
    shown = capture_app(school_id="NLT03", year="2025-26", data=str(sample_dir))
    assert "wqm import" in shown.value and "role='alert'" in shown.value


def test_the_person_is_asked_once_and_recorded_with_every_change(db):
    app = CaptureApp("NLT03", "2025-26", data=str(db), autosave_delay=0)
    assert app.form is None and "Enter your name" in text(app.body.children[0].value)
    app.set_who("  ")
    assert "role='alert'" in app.status.value and app.form is None
    app.set_who("Sam Patel")
    assert app.form is not None and app.name.disabled
    app.form.elements["P1.1"].rating.value = 1
    assert history(db, "P1.1")[-1]["recorded_by"] == "Sam Patel"


def test_a_rating_change_is_saved_with_its_state_and_shown_saved(db):
    app = app_for(db)
    before = len(history(db, "P2.1"))
    row = app.form.elements["P2.1"]
    row.rating.value = 2
    row.sorting.value = "want_to_do"
    row.evidence.value = "Pupil voice panel minutes, termly; “quotes” and ünïcode"
    entries = history(db, "P2.1")
    assert len(entries) == before + 3                     # one entry per edit
    last = entries[-1]
    assert (last["rating"], last["sorting"], last["source"]) == (2, "want_to_do", "form")
    assert last["evidence"] == "Pupil voice panel minutes, termly; “quotes” and ünïcode"
    assert re.search(r"saved \d\d:\d\d:\d\d by Sam Patel", text(row.status.value))
    assert re.search(r"saved \d\d:\d\d:\d\d", text(app.status.value))
    assert "Shared understanding" in row.help.value      # the chosen level's descriptor
    # setting the same value again writes nothing
    row.evidence.value = row.evidence.value + "  "
    assert len(history(db, "P2.1")) == before + 3


def test_reopening_shows_the_latest_values(db):
    app = app_for(db)
    row = app.form.elements["P3.2"]
    row.rating.value, row.evidence.value, row.sorting.value = 4, "Referral log", "doing_now"
    app.close()
    again = app_for(db, who="Another Person")
    reopened = again.form.elements["P3.2"]
    assert (reopened.rating.value, reopened.evidence.value, reopened.sorting.value) == (4, "Referral log", "doing_now")


def test_clearing_a_rating_keeps_the_evidence_and_counts_it_unrated(db):
    app = app_for(db)
    row = app.form.elements["P5.1"]
    row.rating.value = None
    assert current(db)["P5.1"]["rating"] is None and current(db)["P5.1"]["evidence"]
    p5 = next(s for s in app.form.compute_progress().sections if s.principle_id == "P5")
    assert p5.rated == 0 and p5.with_evidence == 1
    assert "0 of 1 rated" in app.form.section_progress["P5"].value
    assert "P5" in text(app.form.progress.value)          # listed as missing for the next level


def test_progress_header_names_the_next_level_and_what_is_missing(db):
    app = app_for(db)
    header = text(app.form.progress.value)
    assert "complete" in header and "Still missing for" in header
    for e in app.form.framework.element_ids:
        app.form.elements[e].rating.value = 1
    header = text(app.form.progress.value)
    assert "Still missing for Approved School" in header and "rated 1 (needs 2)" in header


def test_the_history_view_lists_every_saved_change(db):
    app = app_for(db)
    row = app.form.elements["P1.4"]
    for value in (1, 2, 3):
        row.rating.value = value
    row.history_button.click()
    shown = row.history.value
    assert row.history.layout.display != "none"
    assert shown.count("<tr>") - 1 == len(history(db, "P1.4"))   # a header row plus one row per entry
    assert "1 Deciding to act" in shown and "3 Developing practice" in shown and "form" in shown
    row.history_button.click()
    assert row.history.layout.display == "none"


def test_an_error_is_shown_in_the_form_and_the_value_saved_with_the_next_change(db):
    app = app_for(db)
    app.store._store.conn.execute("PRAGMA busy_timeout = 50")       # the store under the scoped view
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")                    # another writer holds the lock
    before = len(history(db, "P4.1"))
    try:
        app.form.elements["P4.1"].rating.value = 1
        assert "role='alert'" in app.status.value and "not saved" in text(app.status.value)
        assert "busy" in text(app.status.value)
        assert "not saved" in text(app.form.elements["P4.1"].status.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert len(history(db, "P4.1")) == before
    app.form.elements["P4.1"].evidence.value = "Programme leads named"
    last = history(db, "P4.1")[-1]
    assert (last["rating"], last["evidence"]) == (1, "Programme leads named")


def test_adviser_notes_are_edited_in_place_with_history_and_can_be_withdrawn(db):
    app = app_for(db)
    note = app.form.notes["P2"]
    note.text.value = "Parents' forum planned"
    note.text.value = "Parents' forum planned for spring"
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle("NLT03", "2025-26", "wqm")["cycle_id"]
        shown = [n for n in store.current_notes(cycle, "P2")]
        assert shown[-1]["note"] == "Parents' forum planned for spring"
        assert [n["note"] for n in store.note_history(cycle, "P2")][-2:] == [
            "Parents' forum planned", "Parents' forum planned for spring"]
    note.history_button.click()
    assert html.escape("Parents' forum planned for spring") in note.history.value
    note.text.value = ""
    with Store.open(db, read_only=True) as store:
        assert "Parents' forum planned for spring" not in list(store.notes(cycle)["note"])
    again = app_for(db)
    assert again.form.notes["P2"].text.value == ""


def test_targets_are_added_edited_and_carried_into_a_new_year(db):
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
    assert (first["principle_id"], first["owner"], first["review_date"], first["status"]) == \
        ("P2", "Deputy head", "2026-07-01", "open")
    assert targets[done.target_id]["status"] == "achieved"
    started = app.start_year("2026-27")
    assert started["carried"] == [row.target_id] and app.year.value == "2026-27"
    carried = app.form.targets.rows
    assert [r.target_id for r in carried] == [row.target_id]
    assert "carried from 2025-26" in text(carried[0].saved.value)
    assert carried[0].text.value == "Run a parents' wellbeing forum each term"


def test_vbe_reflections_are_saved_as_versions(db):
    app = app_for(db, school="NLT01", framework="vbe")
    assert set(app.form.reflections) == {"stand_out", "next_steps", "conclusion"}
    with Store.open(db, read_only=True) as store:
        before = len(store.reflection_history(store.cycle("NLT01", "2025-26", "vbe")["cycle_id"], "conclusion"))
    app.form.reflections["conclusion"].text.value = "Meets the Quality Mark"
    app.form.reflections["conclusion"].text.value = "Meets the Quality Mark; strong pupil voice"
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle("NLT01", "2025-26", "vbe")["cycle_id"]
        assert store.reflections(cycle)["conclusion"]["text"] == "Meets the Quality Mark; strong pupil voice"
        assert len(store.reflection_history(cycle, "conclusion")) == before + 2


def test_a_checklist_framework_shows_its_checklist_scale(db):
    app = app_for(db, school="NLT01", framework="leadership_management")
    row = next(iter(app.form.elements.values()))
    labels = [label for label, _ in row.rating.options]
    assert labels[1:] == ["1 \u2013 Not in place", "2 \u2013 Partly in place", "3 \u2013 In place"]
    assert "Still to complete" in text(app.form.progress.value) or "100% complete" in text(app.form.progress.value)


def test_a_school_and_its_first_year_can_be_added_from_the_form(db):
    app = app_for(db)
    assert app.add_school("NLT99", "Brook Primary", "primary", "North Lakes Trust")
    assert app.school.value == "NLT99" and "no academic year yet" in text(app.body.children[0].value)
    assert app.start_year("2026-27")["created"]
    app.form.elements["P1.1"].rating.value = 2
    assert current(db, "NLT99", "2026-27")["P1.1"]["rating"] == 2
    assert not app.add_school("NLT99", "Again", "primary")
    assert "role='alert'" in app.status.value


def test_a_signed_link_form_is_fixed_to_its_school(db):
    app = app_for(db, scope=Scope.link("NLT03", "2025-26", page="capture", link_id=LINK_ID))
    assert app.school.disabled and [v for _, v in app.school.options] == ["NLT03"]
    assert not app.add_school("NLT98", "Other", "primary")
    with Store.open(db, read_only=True) as store:
        assert "NLT98" not in [s["school_id"] for s in store.schools()]


def test_scope_outside_voila_is_the_parameters(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    scope = capture_scope(school_id="NLT03", year="2025-26", framework="vbe")
    assert (scope.school_id, scope.year, scope.framework, scope.fixed) == ("NLT03", "2025-26", "vbe", False)


def test_clock_time_shows_the_date_when_not_today():
    assert clock_time("2024-03-03T15:30:00") == "3 Mar 2024 15:30"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", clock_time(time.strftime("%Y-%m-%dT%H:%M:%S")))


def test_typing_saves_one_entry_once_the_field_is_idle(db):
    """With the real debounce on an event loop: keystrokes within the delay make one history entry."""
    app = app_for(db, autosave_delay=0.2)
    row = app.form.elements["P6.1"]
    before = len(history(db, "P6.1"))

    async def type_then_wait():
        for i in range(1, 12):
            row.evidence.value = "Behaviour policy review"[: i * 2]
            await asyncio.sleep(0.02)
        assert app.autosave.pending == 1 and len(history(db, "P6.1")) == before   # nothing yet: still typing
        await asyncio.sleep(0.5)

    asyncio.run(type_then_wait())
    entries = history(db, "P6.1")
    assert len(entries) == before + 1 and entries[-1]["evidence"] == "Behaviour policy review"[:22]


def test_flush_saves_pending_changes_before_switching_year(db):
    app = app_for(db, autosave_delay=5)
    row = app.form.elements["P6.1"]

    async def edit_and_switch():
        row.rating.value = 1
        assert app.autosave.pending == 1
        app.year.value = "2024-25"            # switching flushes first

    asyncio.run(edit_and_switch())
    assert current(db)["P6.1"]["rating"] == 1 and app.autosave.pending == 0


def test_autosave_without_a_loop_saves_at_once():
    saved = []
    Autosave(0.5).touch("k", lambda: saved.append(1))
    assert saved == [1]


@pytest.mark.slow
def test_nothing_acknowledged_is_lost_when_the_kernel_is_killed(db):
    """In a real kernel with the real debounce: once the form shows "saved", kill -9 the kernel;
    the store has every acknowledged change."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        def run(code: str) -> str:
            out = []
            reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: out.append(
                m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
            assert reply["content"]["status"] == "ok", reply["content"]
            return "".join(out)

        run(f"from wqm_nb.ui.capture_app import CaptureApp\n"
            f"app = CaptureApp('NLT03', '2025-26', data={str(db)!r}, who='Kill Test', autosave_delay=0.3)\n"
            "row = app.form.elements['P7.3']\n"
            "row.rating.value = 1\n"
            "for i in range(1, 30): row.evidence.value = 'Typed just before the kill'[:i]\n"
            "app.form.notes['P7'].text.value = 'Note typed before the kill'")
        deadline = time.time() + 30
        while time.time() < deadline:
            shown = run("print(row.status.value, '|', app.form.notes['P7'].status.value)")
            if "by Kill Test" in shown and len(re.findall(r"saved \d", shown)) == 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the form never acknowledged the change: {shown}")
        os.kill(km.provisioner.process.pid, signal.SIGKILL)
        km.provisioner.process.wait(timeout=10)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    entries = history(db, "P7.3")
    assert (entries[-1]["rating"], entries[-1]["evidence"], entries[-1]["recorded_by"]) == \
        (1, "Typed just before the kill", "Kill Test")
    assert sum(e["recorded_by"] == "Kill Test" for e in entries) == 1       # typing was one edit
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle("NLT03", "2025-26", "wqm")["cycle_id"]
        assert store.current_notes(cycle, "P7")[-1]["note"] == "Note typed before the kill"


def audit_imports(db: Path, school: str, year: str) -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return [i for i in store.survey_imports(store.school_year(school, year)["school_year_id"], "staff_audit")]


@pytest.fixture
def new_school(db):
    """A school with one year and no data yet."""
    with Store.open(db) as store:
        store.add_school("NLT99", "Brook Primary", "primary")
        store.start_year("NLT99", "2025-26", "wqm")
    return "NLT99"


def test_the_staff_audit_tally_is_saved_as_a_tally_and_replaced_by_the_next_edit(db, new_school):
    app = app_for(db, school=new_school, year="2025-26")
    audit = app.form.audit
    assert audit is not None and not audit.locked
    assert [v for v in audit.values] == [1, 2, 3, 4]                  # the maturity scale
    assert [i.id for i in audit.items] == [f"SA{k}" for k in range(1, 8)]
    audit.cells[("SA1", 3)].value = 7
    audit.cells[("SA1", 4)].value = 2
    audit.cells[("SA2", 2)].value = 9
    records = audit_imports(db, new_school, "2025-26")
    current = [r for r in records if not r["replaced_by"]]
    assert len(current) == 1 and current[0]["kind"] == "tally" and current[0]["source"] == "form"
    assert current[0]["respondents"] == 9 and current[0]["imported_by"] == "Sam Patel"
    assert len(records) == 3                                           # every edit kept, each replaced by the next
    with Store.open(db, read_only=True) as store:
        tallies = store.survey_data(store.school_year(new_school, "2025-26")["school_year_id"]).tally_rows()
    got = {(r.item_id, int(r.value)): int(r.count) for r in tallies.itertuples() if r.survey == "staff_audit"}
    assert got == {("SA1", 3): 7, ("SA1", 4): 2, ("SA2", 2): 9}
    again = app_for(db, school=new_school, year="2025-26").form.audit
    assert again.cells[("SA1", 3)].value == 7 and again.cells[("SA2", 1)].value == 0
    audit.cells[("SA3", 1)].value = -1
    assert "cannot be negative" in text(app.status.value)


def test_an_imported_staff_audit_is_shown_read_only(db, new_school):
    with Store.open(db) as store:
        year_id = store.ensure_school_year(new_school, "2025-26")
        store.import_survey(year_id, "staff_audit", source="google-forms", item_ids=["SA1"], file_name="audit.csv",
                            tallies=[("", "SA1", 3, 6)], forms=6, on_existing="replace")
    audit = app_for(db, school=new_school, year="2025-26").form.audit
    assert audit.locked and all(cell.disabled for cell in audit.cells.values())
    assert "audit.csv" in audit.status.value and "--replace" in audit.status.value


def test_suggested_targets_are_offered_for_the_weakest_sections_and_added_as_editable_rows(db, new_school):
    from wqm_nb.data import load_framework

    fw = load_framework("wqm")
    with Store.open(db) as store:
        cycle = store.cycle(new_school, "2025-26", "wqm")["cycle_id"]
        store.record_ratings(cycle, [dict(element_id=e.id, rating={"P5": 1, "P2": 2}.get(p.id, 4), evidence="E")
                                     for p, e in fw.elements])
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
    row.owner.value = "Head teacher"                       # the added target is edited like any other
    with Store.open(db, read_only=True) as store:
        assert store.target(cycle, row.target_id)["owner"] == "Head teacher"
        assert len(store.target_history(cycle, row.target_id)) == 2


def test_no_suggested_targets_block_when_nothing_is_weak(db, new_school):
    from wqm_nb.data import load_framework

    with Store.open(db) as store:
        cycle = store.cycle(new_school, "2025-26", "wqm")["cycle_id"]
        store.record_ratings(cycle, [dict(element_id=e.id, rating=4, evidence="E")
                                     for _, e in load_framework("wqm").elements])
    panel = app_for(db, school=new_school, year="2025-26").form.targets
    assert panel.suggestions == () and panel.suggested.children[0].value == ""


# -- the Adviser tab's award decision ------------------------------------------------------------------------------


def award_decisions(db: Path, school: str, history: bool = True) -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return store.award_decisions(school, history=history)


def test_an_award_decision_is_recorded_only_by_the_record_button(db, new_school):
    from datetime import date

    app = app_for(db, school=new_school, year="2025-26")
    panel = app.form.awards
    assert panel is not None and panel in app.form.tabs.children[-2].children    # in the Adviser tab
    assert "No award decision recorded yet" in text(panel.history.value)
    assert [v for _, v in panel.level.options] == ["approved", "champion", "beacon"]
    assert panel.year.value == "2025-26" and panel.assessor.value == "Sam Patel"
    panel.level.value, panel.outcome.value, panel.year.value = "champion", "awarded", "2022-23"
    panel.date.value = date(2023, 6, 30)
    panel.assessor.value, panel.reasons.value = "J. Reed", "All seven principles"
    assert award_decisions(db, new_school) == []                                 # nothing autosaved
    decision_id = panel.record()
    [row] = award_decisions(db, new_school)
    assert row["decision_id"] == decision_id
    assert (row["framework"], row["level"], row["academic_year"], row["outcome"], row["decided_on"], row["assessor"],
            row["reasons"], row["recorded_by"]) == ("wqm", "champion", "2022-23", "awarded", "2023-06-30", "J. Reed",
                                                    "All seven principles", "Sam Patel")
    assert f"recorded decision {decision_id}" in text(panel.status.value)
    history = text(panel.history.value)
    assert "2022-23 Champion School Awarded 2023-06-30 J. Reed All seven principles" in history
    assert panel.reasons.value == ""                                              # ready for the next one


def test_a_correction_supersedes_the_decision_it_corrects(db, new_school):
    panel = app_for(db, school=new_school, year="2025-26").form.awards
    panel.level.value, panel.year.value = "approved", "2021-22"
    first = panel.record()
    assert [v for _, v in panel.corrects.options] == [None, first]
    panel.year.value, panel.corrects.value = "2022-23", first
    second = panel.record()
    rows = award_decisions(db, new_school)
    assert [(r["decision_id"], r["academic_year"], r["supersedes"]) for r in rows] == [
        (first, "2021-22", None), (second, "2022-23", first)]
    assert [d["decision_id"] for d in award_decisions(db, new_school, history=False)] == [second]
    assert f"corrected by {second}" in text(panel.history.value)
    assert [v for _, v in panel.corrects.options] == [None, second]              # a decision is corrected once


def test_a_bad_award_year_is_shown_and_nothing_recorded(db, new_school):
    app = app_for(db, school=new_school, year="2025-26")
    app.form.awards.year.value = "2025/26"
    assert app.form.awards.record() is None
    assert "role='alert'" in app.status.value and "2025/26" in text(app.status.value)
    assert award_decisions(db, new_school) == []


def test_a_signed_link_form_has_no_award_decision_and_cannot_record_one(db, new_school):
    from wqm_nb.ui.capture_app import AwardDecisionPanel

    app = app_for(db, school=new_school, year="2025-26",
                  scope=Scope.link(new_school, "2025-26", page="capture", link_id=LINK_ID))
    assert app.form.awards is None
    adviser = app.form.tabs.children[list(app.form.tabs.titles).index("Adviser")]
    assert not any(isinstance(w, AwardDecisionPanel) for w in adviser.children)
    assert "Award decision" not in "".join(getattr(w, "value", "") for w in adviser.children)
    panel = AwardDecisionPanel(app.form)                                          # even if one were made
    assert panel.record() is None and "consultant" in text(app.status.value)
    assert award_decisions(db, new_school) == []


def test_a_checklist_has_no_award_decision(db):
    assert app_for(db, framework="leadership_management").form.awards is None


def test_the_progress_header_reads_the_award_record(db, new_school):
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


def test_a_capture_link_writes_only_its_school_year_and_framework(db):
    """The attack on the old form, through the widgets a comm message drives: a link for NLT01 2025-26
    switched the Year dropdown and edited 2023-24 (which feeds the consecutive-years award rules), started
    2031-32, wrote to the VbE cycle, and recorded whatever name was typed. Now the store refuses each."""
    scope = Scope.link("NLT01", "2025-26", page="capture", framework="wqm", link_id=LINK_ID)
    app = app_for(db, school="NLT01", year="2025-26", scope=scope, who="Somebody Else")
    assert [v for _, v in app.school.options] == ["NLT01"]
    assert app.start_button.layout.display == "none" and app.add_school_box.children == ()
    assert app.year.options == ("2023-24", "2024-25", "2025-26")         # earlier years are there to read
    before = history(db, "P1.1", "NLT01", "2023-24")
    app.year.value = "2023-24"
    assert not app.form.writable and "read-only" in text(app.form.children[0].value)
    app.form.elements["P1.1"].rating.value = 1
    assert "not saved" in text(app.status.value) and "may not" in text(app.status.value)
    assert history(db, "P1.1", "NLT01", "2023-24") == before
    with Store.open(db, read_only=True) as store:
        years = [y["academic_year"] for y in store.school_years("NLT01")]
    assert app.start_year("2031-32") is None and "may not" in text(app.status.value)
    assert app.start_year("2025-26") is None
    def vbe_history():
        with Store.open(db, read_only=True) as store:
            cycle = store.cycle("NLT01", "2025-26", "vbe")
            return store.rating_history(cycle["cycle_id"]).to_dict("records") if cycle else []

    vbe_before = vbe_history()
    vbe = app_for(db, school="NLT01", year="2025-26", framework="vbe", scope=scope)
    first = next(iter(vbe.form.elements))
    vbe.form.elements[first].rating.value = 1 if vbe.form.elements[first].rating.value != 1 else 2
    assert "may not" in text(vbe.status.value)
    assert vbe_history() == vbe_before
    with Store.open(db, read_only=True) as store:
        assert [y["academic_year"] for y in store.school_years("NLT01")] == years
    # its own year: written, signed with the link's id beside the typed name
    app.year.value = "2025-26"
    assert app.form.writable
    app.form.elements["P1.1"].rating.value = 2
    last = history(db, "P1.1", "NLT01", "2025-26")[-1]
    assert (last["rating"], last["recorded_by"]) == (2, f"Somebody Else (link {LINK_ID})")


def test_a_link_with_the_start_year_right_starts_its_own_year_only(db):
    scope = Scope.link("NLT01", "2026-27", page="capture", framework="wqm", link_id=LINK_ID,
                       rights={"read", "write_sef", "start_year"})
    app = app_for(db, school="NLT01", year="2025-26", scope=scope)
    assert app.start_button.layout.display != "none"
    assert app.start_year("2027-28") is None
    started = app.start_year("2026-27")
    assert started and started["created"]
    with Store.open(db, read_only=True) as store:
        assert store.cycle("NLT01", "2026-27", "wqm")["cycle_id"]
        assert "2027-28" not in [y["academic_year"] for y in store.school_years("NLT01")]


def test_a_link_form_whose_figures_are_not_published_says_so_rather_than_failing(db):
    """Served, the server records the releases a form reads before the page starts; a form opened under a link
    without them (the data changed meanwhile) shows why it cannot open the year, and publishes nothing."""
    from wqm_nb.disclosure.ledger import Ledger, ledger_path

    app = CaptureApp("NLT03", "2025-26", data=str(db), who="Sam Patel", autosave_delay=0,
                     scope=Scope.link("NLT03", "2025-26", page="capture", link_id=LINK_ID))
    assert "not published yet" in text(app.status.value) and "role='alert'" in app.status.value
    assert Ledger(ledger_path(db)).entries("NLT03") == []
