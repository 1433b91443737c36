"""What the capture form's tests share: a copy of the sample store, a new school, and readers of the store
(each a fixture returning the function)."""

import re
import shutil
from pathlib import Path

import pytest

from wqm_nb.store import Store
from wqm_nb.ui.capture import CaptureApp


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, path)
    return path


@pytest.fixture
def new_school(db):
    """A school with one year and no data yet."""
    with Store.open(db) as store:
        store.add_school("NLT99", "Brook Primary", "primary")
        store.start_year("NLT99", "2025-26", "wqm")
    return "NLT99"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).strip()


@pytest.fixture
def text():
    return _text


def _current(db: Path, school: str = "NLT03", year: str = "2025-26", framework: str = "wqm") -> dict:
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle(school, year, framework)
        return store.current_elements(cycle["cycle_id"]) if cycle else {}


@pytest.fixture
def current():
    return _current


def _history(db: Path, element: str, school: str = "NLT03", year: str = "2025-26") -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return store.element_history(store.cycle(school, year, "wqm")["cycle_id"], element)


@pytest.fixture
def history():
    return _history


def _app_for(db: Path, **kwargs) -> CaptureApp:
    """The form as ``wqm capture`` serves it: under a link, the server has published the releases it reads
    (the link holder's kernel cannot)."""
    from wqm_nb.disclosure.ledger import publish_report

    kwargs = {"who": "Sam Patel", "autosave_delay": 0, **kwargs}
    school, year = kwargs.pop("school", "NLT03"), kwargs.pop("year", "2025-26")
    scope = kwargs.get("scope")
    if scope is not None and not scope.is_consultant:
        publish_report(db, school, year, scope.framework or "wqm")
    return CaptureApp(school, year, data=str(db), **kwargs)


@pytest.fixture
def app_for():
    return _app_for


def _audit_imports(db: Path, school: str, year: str) -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return [i for i in store.survey_imports(store.school_year(school, year)["school_year_id"], "staff_audit")]


@pytest.fixture
def audit_imports():
    return _audit_imports


def _award_decisions(db: Path, school: str, history: bool = True) -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return store.award_decisions(school, history=history)


@pytest.fixture
def award_decisions():
    return _award_decisions
