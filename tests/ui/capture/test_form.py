"""The capture form whole: who writes, which school and year, what a link may write, the progress header."""

import pytest

from wqm_nb.errors import SettingsError
from wqm_nb.store import Scope, Store
from wqm_nb.ui.capture import CaptureApp, capture_app, capture_scope

LINK_ID = "0a1b2c3d4e5f"


def test_a_csv_folder_is_refused_naming_the_command_that_makes_a_store(sample_dir):
    with pytest.raises(SettingsError, match="wqm import"):
        CaptureApp("NLT03", "2025-26", data=str(sample_dir), who="x")
    shown = capture_app(school_id="NLT03", year="2025-26", data=str(sample_dir))
    assert "wqm import" in shown.value and "role='alert'" in shown.value


def test_the_person_is_asked_once_and_recorded_with_every_change(db, text, history):
    app = CaptureApp("NLT03", "2025-26", data=str(db), autosave_delay=0)
    assert app.form is None and "Enter your name" in text(app.body.children[0].value)
    app.set_who("  ")
    assert "role='alert'" in app.status.value and app.form is None
    app.set_who("Sam Patel")
    assert app.form is not None and app.name.disabled
    app.form.elements["P1.1"].rating.value = 1
    assert history(db, "P1.1")[-1]["recorded_by"] == "Sam Patel"


def test_progress_header_names_the_next_level_and_what_is_missing(db, text, app_for):
    app = app_for(db)
    header = text(app.form.progress.value)
    assert "complete" in header and "Still missing for" in header
    for e in app.form.framework.element_ids:
        app.form.elements[e].rating.value = 1
    header = text(app.form.progress.value)
    assert "Still missing for Approved School" in header and "rated 1 (needs 2)" in header


def test_a_school_and_its_first_year_can_be_added_from_the_form(db, text, current, app_for):
    app = app_for(db)
    assert app.add_school("NLT99", "Brook Primary", "primary", "North Lakes Trust")
    assert app.school.value == "NLT99" and "no academic year yet" in text(app.body.children[0].value)
    assert app.start_year("2026-27")["created"]
    app.form.elements["P1.1"].rating.value = 2
    assert current(db, "NLT99", "2026-27")["P1.1"]["rating"] == 2
    assert not app.add_school("NLT99", "Again", "primary")
    assert "role='alert'" in app.status.value


def test_a_signed_link_form_is_fixed_to_its_school(db, app_for):
    app = app_for(db, scope=Scope.link("NLT03", "2025-26", page="capture", link_id=LINK_ID))
    assert app.school.disabled and [v for _, v in app.school.options] == ["NLT03"]
    assert not app.add_school("NLT98", "Other", "primary")
    with Store.open(db, read_only=True) as store:
        assert "NLT98" not in [s["school_id"] for s in store.schools()]


def test_scope_outside_voila_is_the_parameters(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    scope = capture_scope(school_id="NLT03", year="2025-26", framework="vbe")
    assert (scope.school_id, scope.year, scope.framework, scope.fixed) == ("NLT03", "2025-26", "vbe", False)


def test_a_capture_link_writes_only_its_school_year_and_framework(db, text, history, app_for):
    """The attack on the old form, through the widgets a comm message drives: a link for NLT01 2025-26
    switched the Year dropdown and edited 2023-24 (which feeds the consecutive-years award rules), started
    2031-32, wrote to the VbE cycle, and recorded whatever name was typed. Now the store refuses each."""
    scope = Scope.link("NLT01", "2025-26", page="capture", framework="wqm", link_id=LINK_ID)
    app = app_for(db, school="NLT01", year="2025-26", scope=scope, who="Somebody Else")
    assert [v for _, v in app.school.options] == ["NLT01"]
    assert app.start_button.layout.display == "none" and app.add_school_box.children == ()
    assert app.year.options == ("2023-24", "2024-25", "2025-26")  # earlier years are there to read
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


def test_a_link_with_the_start_year_right_starts_its_own_year_only(db, app_for):
    scope = Scope.link(
        "NLT01", "2026-27", page="capture", framework="wqm", link_id=LINK_ID, rights={"read", "write_sef", "start_year"}
    )
    app = app_for(db, school="NLT01", year="2025-26", scope=scope)
    assert app.start_button.layout.display != "none"
    assert app.start_year("2027-28") is None
    started = app.start_year("2026-27")
    assert started and started["created"]
    with Store.open(db, read_only=True) as store:
        assert store.cycle("NLT01", "2026-27", "wqm")["cycle_id"]
        assert "2027-28" not in [y["academic_year"] for y in store.school_years("NLT01")]


def test_a_link_form_whose_figures_are_not_published_says_so_rather_than_failing(db, text):
    """Served, the server records the releases a form reads before the page starts; a form opened under a link
    without them (the data changed meanwhile) shows why it cannot open the year, and publishes nothing."""
    from wqm_nb.disclosure.ledger import Ledger, ledger_path

    app = CaptureApp(
        "NLT03",
        "2025-26",
        data=str(db),
        who="Sam Patel",
        autosave_delay=0,
        scope=Scope.link("NLT03", "2025-26", page="capture", link_id=LINK_ID),
    )
    assert "not published yet" in text(app.status.value) and "role='alert'" in app.status.value
    assert Ledger(ledger_path(db)).entries("NLT03") == []


def test_a_link_form_of_a_year_not_started_shows_empty_reflections_without_an_error(db, new_school, app_for):
    scope = Scope.link(
        new_school, "2025-26", page="capture", framework="vbe", link_id=LINK_ID, rights={"read", "write_sef"}
    )
    app = app_for(db, school=new_school, year="2025-26", framework="vbe", scope=scope)
    form = app.form
    assert form.reflections and all(field.text.value == "" for field in form.reflections.values())
    for field in form.reflections.values():
        field.toggle_history()
    assert "wqm-error" not in app.status.value
