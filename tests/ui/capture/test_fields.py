"""The capture form's fields: an element's rating, evidence and history; notes and reflections."""

import html
import re
import sqlite3

from wqm_nb.store import Store


def test_a_rating_change_is_saved_with_its_state_and_shown_saved(db, text, history, app_for):
    app = app_for(db)
    before = len(history(db, "P2.1"))
    row = app.form.elements["P2.1"]
    row.rating.value = 2
    row.sorting.value = "want_to_do"
    row.evidence.value = "Pupil voice panel minutes, termly; “quotes” and ünïcode"
    entries = history(db, "P2.1")
    assert len(entries) == before + 3  # one entry per edit
    last = entries[-1]
    assert (last["rating"], last["sorting"], last["source"]) == (2, "want_to_do", "form")
    assert last["evidence"] == "Pupil voice panel minutes, termly; “quotes” and ünïcode"
    assert re.search(r"saved \d\d:\d\d:\d\d by Sam Patel", text(row.status.value))
    assert re.search(r"saved \d\d:\d\d:\d\d", text(app.status.value))
    assert "Shared understanding" in row.help.value  # the chosen level's descriptor
    # setting the same value again writes nothing
    row.evidence.value = row.evidence.value + "  "
    assert len(history(db, "P2.1")) == before + 3


def test_reopening_shows_the_latest_values(db, app_for):
    app = app_for(db)
    row = app.form.elements["P3.2"]
    row.rating.value, row.evidence.value, row.sorting.value = 4, "Referral log", "doing_now"
    app.close()
    again = app_for(db, who="Another Person")
    reopened = again.form.elements["P3.2"]
    assert (reopened.rating.value, reopened.evidence.value, reopened.sorting.value) == (4, "Referral log", "doing_now")


def test_clearing_a_rating_keeps_the_evidence_and_counts_it_unrated(db, text, current, app_for):
    app = app_for(db)
    row = app.form.elements["P5.1"]
    row.rating.value = None
    assert current(db)["P5.1"]["rating"] is None and current(db)["P5.1"]["evidence"]
    p5 = next(s for s in app.form.compute_progress().sections if s.principle_id == "P5")
    assert p5.rated == 0 and p5.with_evidence == 1
    assert "0 of 1 rated" in app.form.section_progress["P5"].value
    assert "P5" in text(app.form.progress.value)  # listed as missing for the next level


def test_the_history_view_lists_every_saved_change(db, history, app_for):
    app = app_for(db)
    row = app.form.elements["P1.4"]
    for value in (1, 2, 3):
        row.rating.value = value
    row.history_button.click()
    shown = row.history.value
    assert row.history.layout.display != "none"
    assert shown.count("<tr>") - 1 == len(history(db, "P1.4"))  # a header row plus one row per entry
    assert "1 Deciding to act" in shown and "3 Developing practice" in shown and "form" in shown
    row.history_button.click()
    assert row.history.layout.display == "none"


def test_an_error_is_shown_in_the_form_and_the_value_saved_with_the_next_change(db, text, history, app_for):
    app = app_for(db)
    app.store._store.conn.execute("PRAGMA busy_timeout = 50")  # the store under the scoped view
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
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


def test_adviser_notes_are_edited_in_place_with_history_and_can_be_withdrawn(db, app_for):
    app = app_for(db)
    note = app.form.notes["P2"]
    note.text.value = "Parents' forum planned"
    note.text.value = "Parents' forum planned for spring"
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle("NLT03", "2025-26", "wqm")["cycle_id"]
        shown = [n for n in store.current_notes(cycle, "P2")]
        assert shown[-1]["note"] == "Parents' forum planned for spring"
        assert [n["note"] for n in store.note_history(cycle, "P2")][-2:] == [
            "Parents' forum planned",
            "Parents' forum planned for spring",
        ]
    note.history_button.click()
    assert html.escape("Parents' forum planned for spring") in note.history.value
    note.text.value = ""
    with Store.open(db, read_only=True) as store:
        assert "Parents' forum planned for spring" not in list(store.notes(cycle)["note"])
    again = app_for(db)
    assert again.form.notes["P2"].text.value == ""


def test_vbe_reflections_are_saved_as_versions(db, app_for):
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


def test_a_checklist_framework_shows_its_checklist_scale(db, text, app_for):
    app = app_for(db, school="NLT01", framework="leadership_management")
    row = next(iter(app.form.elements.values()))
    labels = [label for label, _ in row.rating.options]
    assert labels[1:] == ["1 \u2013 Not in place", "2 \u2013 Partly in place", "3 \u2013 In place"]
    assert "Still to complete" in text(app.form.progress.value) or "100% complete" in text(app.form.progress.value)
