import inspect

import pytest

from wqm_nb import errors
from wqm_nb.errors import (
    DataFileError,
    NotebookError,
    NotebookExecutionError,
    NotebookParameterError,
    RenderError,
    SettingsError,
    StoreError,
    UnknownSchoolError,
    UnknownYearError,
    WqmError,
)


def test_every_error_class_is_a_wqm_error():
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, BaseException) and obj.__module__ == errors.__name__
    ]
    assert len(classes) >= 10
    for cls in classes:
        assert issubclass(cls, WqmError), cls
    for cls in (SettingsError, DataFileError, StoreError, NotebookError, RenderError):
        assert cls.__bases__ == (WqmError,)
    assert issubclass(NotebookParameterError, NotebookError)
    assert issubclass(NotebookExecutionError, NotebookError)


def test_unknown_school_and_year_are_store_errors_and_lookup_errors():
    for cls in (UnknownSchoolError, UnknownYearError):
        assert issubclass(cls, StoreError) and issubclass(cls, LookupError)
    with pytest.raises(LookupError, match="unknown school 'S9'"):  # callers may catch a failed lookup
        raise UnknownSchoolError("S9", ["S1"])
    assert not issubclass(SettingsError, LookupError)


def test_data_file_error_for_a_yaml_field():
    err = DataFileError("wqm.yaml", "principles[2].name", "required field is missing")
    assert str(err) == "wqm.yaml: principles[2].name: required field is missing"
    assert (err.file, err.field, err.message, err.row, err.column) == (
        "wqm.yaml",
        "principles[2].name",
        "required field is missing",
        None,
        None,
    )
    assert err.location == "wqm.yaml: principles[2].name"
    assert str(DataFileError("wqm.yaml", "", "cannot read file")) == "wqm.yaml: cannot read file"


def test_data_file_error_for_a_table_row_and_column(tmp_path):
    err = DataFileError("x.csv", "", "'7' is not on the Likert scale", row=3, column="S01")
    assert str(err) == "x.csv, row 3, column 'S01': '7' is not on the Likert scale"
    assert (err.row, err.column) == (3, "S01")
    assert str(DataFileError("x.csv", "", "bad", row=2)) == "x.csv, row 2: bad"
    assert str(DataFileError("x.csv", "", "bad", column="pupils")) == "x.csv, column 'pupils': bad"
    # a Path is accepted and kept as text
    assert DataFileError(tmp_path / "y.csv", "", "bad").file == str(tmp_path / "y.csv")


def test_unknown_school_error_lists_known_ids():
    err = UnknownSchoolError("S9", ["S1", "S2"])
    assert str(err) == "unknown school 'S9' (known: S1, S2)"
    assert err.school_id == "S9" and err.known == ("S1", "S2")
    assert str(UnknownSchoolError("S9")) == "unknown school 'S9' (known: none)"
    many = UnknownSchoolError("X", [f"S{i:02d}" for i in range(25)])
    assert "S19, ..." in str(many) and "S20" not in str(many)


def test_unknown_year_error_lists_known_years():
    err = UnknownYearError("S1", "2019-20", ["2023-24", "2024-25"], what="vbe")
    assert str(err) == "school 'S1' has no vbe data for 2019-20 (years: 2023-24, 2024-25)"
    assert str(UnknownYearError("S1", "")) == "school 'S1' has no data for any year (years: none)"


def test_notebook_execution_error_names_notebook_and_cell():
    err = NotebookExecutionError("school_report.ipynb", "ValueError", "no ratings", cell=7)
    assert str(err) == "ValueError: no ratings (notebook school_report.ipynb, cell 7)"
    assert (err.notebook, err.ename, err.evalue, err.cell) == ("school_report.ipynb", "ValueError", "no ratings", 7)
    assert str(NotebookExecutionError("g.ipynb", "KeyError", "'x'")) == "KeyError: 'x' (notebook g.ipynb)"
    assert str(NotebookExecutionError("g.ipynb", "KeyError", "'x'", cell=0)).endswith("(notebook g.ipynb, cell 0)")
