"""The survey import form, driven in plain pytest: set the widgets, click, check the store."""
import importlib.util
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from wqm_nb.store import Store
from wqm_nb.ui.survey_import_app import UPLOAD_LIMIT_MB, SurveyImportApp, import_scope


STAMP = datetime(2026, 11, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    spec = importlib.util.spec_from_file_location(
        "make_exports", Path(__file__).resolve().parents[1] / "intake" / "make_exports.py")
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
    app.upload.value = ({"name": path.name, "type": "", "size": path.stat().st_size,
                         "content": memoryview(path.read_bytes()), "last_modified": STAMP},)


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
    assert "P1" in app.preview.value                        # respondents per principle
    assert not app.import_button.disabled
    app.import_button.click()                               # the sample already has a staff survey: refused
    assert "already has data" in app.status.value and len(imports(db)) == before
    app.on_existing.value = "replace"
    app.import_button.click()
    assert "Imported as import" in app.status.value
    latest = imports(db)[-1]
    assert (latest["school_id"], latest["academic_year"], latest["survey"], latest["source"]) == \
        ("NLT03", "2025-26", "staff", "surveymonkey")
    assert latest["respondents"] == manifest["surveymonkey_staff.csv"]["kept"]
    assert app.import_button.disabled                        # one click, one import


def test_an_unmatched_column_is_shown_and_corrected_with_its_dropdown(exports, db):
    folder, _ = exports
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    upload(app, folder / "broken_unmatched_scale_column.csv")
    assert "Staff feel valued by governors" in app.status.value and app.import_button.disabled
    match = next(m for m in app.inspection.matches if m.action == "unmatched")
    row = next(r for r in app.mapping_box.children[1:] if match.column.header in r.children[0].value)
    row.children[1].value = "ignore"                         # the consultant's correction
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
    app.upload.value = ({"name": "huge.csv", "type": "", "size": 0, "last_modified": STAMP,
                         "content": memoryview(b"x" * (UPLOAD_LIMIT_MB * 2**20 + 1))},)
    assert "larger than" in app.status.value


def test_changing_the_survey_rematches_the_columns(exports, db):
    folder, _ = exports
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), survey="staff")
    upload(app, folder / "google_pupil_direct.csv")
    assert app.import_button.disabled                       # pupil items are not staff items
    app.survey.value = "pupil"
    assert not app.import_button.disabled and "Y4" in app.preview.value


def test_a_signed_link_fixes_the_school(db):
    app = SurveyImportApp("NLT03", "2025-26", data=str(db), school_fixed=True)
    assert app.school.disabled and app.school.value == "NLT03"
    assert import_scope(school_id="NLT02", year="2024-25").school_id == "NLT02"   # outside Voila: the parameters
