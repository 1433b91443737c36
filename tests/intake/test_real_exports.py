"""Real exports from public repositories (tests/intake/real_exports/SOURCES.md): each is read, its tool and
header rows recognised, its personal and metadata columns marked, and none is taken for a file without
header row."""

from pathlib import Path

import pytest

from wqm_nb.errors import DataFileError
from wqm_nb.intake.files import read_table
from wqm_nb.intake.plan import inspect_export
from wqm_nb.intake.shapes import (
    GOOGLE_FORMS,
    METADATA,
    MICROSOFT_FORMS,
    PERSONAL,
    SURVEYMONKEY,
    detect_shape,
)

FOLDER = Path(__file__).parent / "real_exports"
FILES = sorted(p for p in FOLDER.iterdir() if p.suffix in (".csv", ".xlsx"))
TOOLS = {"surveymonkey": SURVEYMONKEY, "googleforms": GOOGLE_FORMS, "msforms": MICROSOFT_FORMS}


def test_there_are_real_exports_of_every_tool():
    assert {p.name.split("_")[0] for p in FILES} == set(TOOLS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_real_export_is_read_and_its_tool_recognised(path, bank):
    table = read_table(path.read_bytes(), path.name)
    shape = detect_shape(table, bank)
    assert shape.tool == TOOLS[path.name.split("_")[0]]
    expected_rows = 1 if shape.tool != SURVEYMONKEY or "single-header" in path.name else 2
    assert shape.header_rows == expected_rows
    kinds = {c.header.split(" / ")[0].strip().casefold(): c.kind for c in shape.columns}
    for header in (
        "respondentid",
        "respondent id",
        "collectorid",
        "email address",
        "email",
        "ip address",
        "lastname",
        "first name",
        "name",
    ):
        if header in kinds:
            assert kinds[header] == PERSONAL, header
    for header in ("timestamp", "startdate", "enddate", "start time", "completion time"):
        if header in kinds:
            assert kinds[header] == METADATA, header


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_real_export_is_taken_for_one_without_its_header_row(path, bank):
    try:
        inspect_export(path.read_bytes(), path.name, "staff", bank=bank)
    except DataFileError as exc:  # these are not wellbeing surveys: an error, but never the missing-header one
        assert "header row seems to have been deleted" not in exc.message
