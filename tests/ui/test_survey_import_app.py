"""The survey import form, driven in plain pytest: set the widgets, click, check the store."""

import importlib.util
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from traitlets import TraitError

from wqm_nb.data.surveys import load_question_bank
from wqm_nb.store import Scope, Store
from wqm_nb.ui.survey_import_app import UPLOAD_LIMIT_MB, SurveyImportApp, import_scope

STAMP = datetime(2026, 11, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    spec = importlib.util.spec_from_file_location(
        "make_exports", Path(__file__).resolve().parents[1] / "intake" / "make_exports.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("exports")
    return out, module.write_exports(out)


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, path)
    return path


def upload(app: SurveyImportApp, path: Path) -> None:
    """What the FileUpload does when a file is chosen."""
    app.upload.value = (
        {
            "name": path.name,
            "type": "",
            "size": path.stat().st_size,
            "content": memoryview(path.read_bytes()),
            "last_modified": STAMP,
        },
    )


def imports(db: Path) -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return store.survey_imports()


def test_an_upload_is_detected_previewed_and_imported(exports, db):
    folder, manifest = exports
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    before = len(imports(db))
    upload(app, folder / "surveymonkey_staff.csv")
    assert "Detected: SurveyMonkey (two header rows)" in re.sub("<[^>]+>", "", app.detected.value)
    assert f"respondents kept: {manifest['surveymonkey_staff.csv']['kept']}" in app.preview.value
    assert "P1" in app.preview.value  # respondents per principle
    assert not app.import_button.disabled
    app.import_button.click()  # the sample already has a staff survey: refused
    assert "already has data" in app.status.value and len(imports(db)) == before
    app.on_existing.value = "replace"
    app.import_button.click()
    assert "Imported as import" in app.status.value
    latest = imports(db)[-1]
    assert (latest["school_id"], latest["academic_year"], latest["survey"], latest["source"]) == (
        "NLT03",
        "2025-26",
        "staff",
        "surveymonkey",
    )
    assert latest["respondents"] == manifest["surveymonkey_staff.csv"]["kept"]
    assert app.import_button.disabled  # one click, one import


def test_an_unmatched_column_is_shown_and_corrected_with_its_dropdown(exports, db):
    folder, _ = exports
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    upload(app, folder / "broken_unmatched_scale_column.csv")
    assert "Staff feel valued by governors" in app.status.value and app.import_button.disabled
    match = next(m for m in app.inspection.matches if m.action == "unmatched")
    row = next(r for r in app.mapping_box.children[1:] if match.column.header in r.children[0].value)
    row.children[1].value = "ignore"  # the consultant's correction
    assert app.status.value == "" and not app.import_button.disabled
    app.show_mapping()
    assert "Staff feel valued by governors: ignore" in app.mapping_text.value
    app.on_existing.value = "replace"
    app.import_button.click()
    assert imports(db)[-1]["file_name"] == "broken_unmatched_scale_column.csv"


def test_errors_are_shown_in_the_form(exports, db):
    folder, _ = exports
    app = SurveyImportApp("NLT03", "2025-26", data=str(db))
    upload(app, folder / "html_error_page.csv")
    assert "web page" in app.status.value and "role='alert'" in app.status.value
    upload(app, folder / "broken_unknown_label.csv")
    assert "Strongly agre" in app.status.value and "row 35" in app.status.value
    assert app.import_button.disabled
    app.upload.value = (
        {
            "name": "huge.csv",
            "type": "",
            "size": 0,
            "last_modified": STAMP,
            "content": memoryview(b"x" * (UPLOAD_LIMIT_MB * 2**20 + 1)),
        },
    )
    assert "larger than" in app.status.value


def test_changing_the_survey_rematches_the_columns(exports, db):
    folder, _ = exports
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    upload(app, folder / "google_pupil_direct.csv")
    assert app.import_button.disabled  # pupil items are not staff items
    app.survey.value = "pupil"
    assert not app.import_button.disabled and "Y4" in app.preview.value


def test_a_signed_link_fixes_the_school(db):
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), scope=link("NLT03", "2025-26"))
    assert app.school.disabled and app.school.value == "NLT03"
    assert import_scope(school_id="NLT02", year="2024-25").school_id == "NLT02"  # outside Voila: the parameters


LINK_ID = "a1b2c3d4e5f6"


def link(school: str, year: str, **kw) -> Scope:
    return Scope.link(school, year, page="survey-import", link_id=LINK_ID, **kw)


def staff_imports(db: Path) -> list[tuple]:
    return sorted((i["school_id"], i["academic_year"], i["import_id"], i["replaced_by"]) for i in imports(db))


def test_an_import_link_lists_only_its_school_and_year(db):
    app = SurveyImportApp("NLT01", "2025-26", data=str(db), scope=link("NLT01", "2025-26"))
    assert [v for _, v in app.school.options] == ["NLT01"]  # no other school's name or id is sent
    assert list(app.year.options) == ["2025-26"]
    with pytest.raises(TraitError):
        app.school.value = "NLT02"  # what a comm message setting the dropdown's index would ask
    with pytest.raises(TraitError):
        app.year.value = "2024-25"


def test_an_import_link_cannot_write_to_another_school_or_year_even_past_its_widgets(exports, db):
    """The attack on the old form: an NLT01 link's widgets were changed by comm messages to NLT02, and to
    NLT01 2024-25, and Replace wrote a staff survey there. Now the store itself refuses."""
    folder, _ = exports
    app = SurveyImportApp("NLT01", "2025-26", data=str(db), survey="staff", scope=link("NLT01", "2025-26"))
    before = staff_imports(db)
    upload(app, folder / "surveymonkey_staff.csv")
    app.on_existing.value = "replace"
    for school, year in (("NLT02", "2025-26"), ("NLT01", "2024-25"), ("NLT01", "2031-32")):
        # a widget that let any value through (disabled= is cosmetic): the store still says no
        app.school.set_trait("options", [(school, school)])
        app.school.set_trait("value", school)
        app.year.set_trait("options", [year])
        app.year.set_trait("value", year)
        app.import_button.disabled = False
        app.import_button.click()
        assert (
            re.search("this page (may not|does not show)", app.status.value) and "role='alert'" in app.status.value
        ), (school, year)
        assert staff_imports(db) == before
    # its own school and year: written, and the import names the link beside the typed name
    app.school.set_trait("options", [("NLT01", "NLT01")])
    app.school.set_trait("value", "NLT01")
    app.year.set_trait("options", ["2025-26"])
    app.year.set_trait("value", "2025-26")
    app.imported_by = "Head teacher"
    app.import_button.disabled = False
    app.import_button.click()
    assert "Imported as import" in app.status.value
    latest = imports(db)[-1]
    assert (latest["school_id"], latest["academic_year"]) == ("NLT01", "2025-26")
    assert latest["imported_by"] == f"Head teacher (link {LINK_ID})"


def test_the_consultant_may_import_into_any_school_and_a_new_year(exports, db):
    folder, _ = exports
    app = SurveyImportApp("NLT02", "2026-27", data=str(db), survey="staff")
    assert len(app.school.options) == 8 and "2025-26" in app.year.options
    upload(app, folder / "surveymonkey_staff.csv")
    app.import_button.click()
    assert "Imported as import" in app.status.value
    assert (imports(db)[-1]["school_id"], imports(db)[-1]["academic_year"]) == ("NLT02", "2026-27")


def test_the_preview_publishes_what_a_release_would(exports, db, tmp_path):
    """The preview is a surface (issue 22): a section or subgroup below the threshold shows its reason, not its
    count, and the counts shown are those the release of the file alone publishes."""
    import pandas as pd

    rows = [["Strongly agree"] * 3 + ["leadership"]] + [
        [answer] * 3 + ["teaching"]
        for answer in ("Agree", "Disagree", "Agree", "Neither agree nor disagree", "Strongly disagree", "Agree")
    ]
    bank = load_question_bank()
    texts = [i.text for i in bank.surveys["staff"].items][:3]
    field = bank.surveys["staff"].subgroup.label
    path = tmp_path / "staff.csv"
    pd.DataFrame(rows, columns=texts + [field]).to_csv(path, index=False)
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    upload(app, path)
    text = re.sub("<[^>]+>", " ", app.preview.value)
    assert "leadership fewer than 5" in text and "leadership 1" not in text and "teaching 6" in text
    published = app.plan.section_counts(app.framework, app.threshold).set_index("section")["respondents"]
    exact = app.plan.section_counts(app.framework).set_index("section")["respondents"]
    assert len(exact) and (exact >= 5).all()
    for section, n in exact.items():
        assert published[section] == n
    assert set(published.drop(exact.index)) <= {"no responses"}
    # everyone agreeing, the leader's hidden answers would be known ("all agree"): the release hides the
    # section, and so does the preview
    rows = [["Strongly agree"] * 3 + ["leadership"]] + [["Agree"] * 3 + ["teaching"]] * 6
    pd.DataFrame(rows, columns=texts + [field]).to_csv(path, index=False)
    upload(app, path)
    published = app.plan.section_counts(app.framework, app.threshold).set_index("section")["respondents"]
    assert {published[section] for section in exact.index} == {
        "not shown, so that a smaller group cannot be worked out"
    }


def school_export(tmp_path: Path, name: str = "form.csv", numbers: bool = False) -> Path:
    """A school's own staff form: its questions worded its own way (nothing matches by text), a name column,
    an unknown label, and (``numbers``) answers as numbers that run the other way (1 = Strongly agree)."""
    import csv

    items = load_question_bank().surveys["staff"].items
    header = ["Timestamp", "Your name", *(f"Our staff: {i.text.lower()}" for i in items[:3]), "Any other thoughts?"]
    rows = []
    for k in range(6):
        answers = ["1", "2", "1"] if numbers else ["Agree", "Agree a lot" if k % 2 else "Agree", "Disagree"]
        rows.append([f"2025/11/0{k + 1} 10:00:00", f"Person {k}", *answers, "fine"])
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def dropdowns(app: SurveyImportApp) -> list:
    return [row.children[1] for row in app.mapping_box.children[1:]]


def test_every_column_has_a_dropdown_and_personal_data_can_only_be_ignored(db, tmp_path):
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    app.load_file(school_export(tmp_path).read_bytes(), "form.csv")
    boxes = dropdowns(app)
    assert len(boxes) == 6  # every column of the file
    name = boxes[1]
    assert name.disabled and [v for _, v in name.options] == ["ignore"]
    assert [b.value for b in boxes[2:5]] == ["", "", ""]  # answers on the scale: the user chooses
    assert app.ignore_button.layout.display is None and app.import_button.disabled


def test_columns_labels_and_saving_the_mapping_in_a_few_actions(db, tmp_path):
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff", imported_by="Sam")
    app.load_file(school_export(tmp_path).read_bytes(), "form.csv")
    items = load_question_bank().surveys["staff"].item_ids
    for box, item in zip(dropdowns(app)[2:5], items[:3], strict=True):
        box.value = item  # three actions: the three questions
    labels = app.labels_box.children[1:]
    assert [re.sub("<[^>]+>", "", row.children[0].value) for row in labels] == ["Agree a lot (in D)"]
    labels[0].children[1].value = 5  # the school's own label
    assert not app.import_button.disabled, app.status.value
    assert sorted(app.plan.values[:, app.plan.item_ids.index(items[1])].tolist()) == [4, 4, 4, 5, 5, 5]
    app.remember()
    assert "Mapping saved" in app.status.value and "every school of the trust" in app.status.value

    again = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    again.load_file(school_export(tmp_path, "spring.csv").read_bytes(), "spring.csv")  # the next export
    assert again.use_saved.layout.display is None and "saved mapping" in again.use_saved.description
    assert not again.import_button.disabled and [b.value for b in dropdowns(again)[2:5]] == list(items[:3])
    again.use_saved.value = False  # declined: the columns are the user's to choose
    assert again.import_button.disabled and [b.value for b in dropdowns(again)[2:5]] == ["", "", ""]


def test_ignore_every_unmatched_column_in_one_action(db, tmp_path):
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    app.load_file(school_export(tmp_path).read_bytes(), "form.csv")
    items = load_question_bank().surveys["staff"].item_ids
    dropdowns(app)[2].value = items[0]
    app.ignore_button.click()
    assert not app.import_button.disabled and app.plan.item_ids == (items[0],)


def test_a_block_of_numbers_that_runs_the_other_way_is_reversed_with_one_box(db, tmp_path):
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    app.load_file(school_export(tmp_path, numbers=True).read_bytes(), "form.csv")
    items = load_question_bank().surveys["staff"].item_ids
    for box, item in zip(dropdowns(app)[2:5], items[:3], strict=True):
        box.value = item
    (box,) = app.blocks_box.children[1:]
    assert "Columns C-E: 1 means Strongly agree" in box.description
    assert app.plan.values[0].tolist() == [1, 2, 1]
    box.value = True
    assert app.plan.values[0].tolist() == [5, 4, 5]
    assert "reversed:" in app.inspection.mapping_used().to_yaml()


def test_a_schools_import_link_saves_the_mapping_for_its_school_only(db, tmp_path):
    scope = Scope.link("NLT03", "2025-26", page="survey-import", link_id="0a1b2c3d4e5f")
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff", scope=scope)
    app.load_file(school_export(tmp_path).read_bytes(), "form.csv")
    app.remember()
    assert "for this school" in app.status.value
    with Store.open(db, read_only=True) as store:
        (saved,) = store.import_mappings()
    assert saved["school_id"] == "NLT03"
