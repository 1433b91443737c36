"""Tests of the export fixture generator itself (tests/intake/make_exports.py).

Checks that it writes every file in its manifest, that two runs give identical
bytes, and that the manifest's counts agree with what pandas reads back.
"""

import hashlib
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

_SPEC = importlib.util.spec_from_file_location("make_exports", Path(__file__).with_name("make_exports.py"))
make_exports = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(make_exports)

LABELS = {
    "strongly disagree": 1,
    "disagree": 2,
    "neither agree nor disagree": 3,
    "neither agree or disagree": 3,
    "neutral": 3,
    "agree": 4,
    "strongly agree": 5,
}
NOT_ANSWERED = {"", "don't know", "n/a", "nan", "none"}


def _fold(value) -> str:
    return " ".join(str(value).replace("\u2019", "'").split()).casefold()


def _value(cell) -> int | None:
    text = _fold("" if cell is None else cell)
    if text in NOT_ANSWERED:
        return None
    if text in LABELS:
        return LABELS[text]
    number = float(text)
    assert number.is_integer() and 1 <= number <= 5, cell
    return int(number)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    return out, make_exports.write_exports(out)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_writes_every_manifest_file_and_is_deterministic(exports, tmp_path):
    out, manifest = exports
    assert set(_digests(out)) == set(manifest)
    again = make_exports.write_exports(tmp_path)
    assert _digests(tmp_path) == _digests(out)
    assert again == manifest
    other = make_exports.write_exports(tmp_path / "other", seed=7)
    assert _digests(tmp_path / "other")["google_parent_sheet.csv"] != _digests(out)["google_parent_sheet.csv"]
    assert other["google_parent_sheet.csv"]["item_counts"] != manifest["google_parent_sheet.csv"]["item_counts"]


def _read(path: Path, entry: dict) -> tuple[list[str], pd.DataFrame]:
    """(item header row, data) of a file read back with pandas, every cell as text."""
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, header=None, dtype=object, engine="openpyxl")
        raw = raw.astype(object).where(raw.notna(), None)
    else:
        raw = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            encoding=entry["encoding"],
            sep=entry["delimiter"],
            skiprows=entry.get("skip_lines", 0),
        )
    n = entry["header_rows"]
    header = [("" if v is None else str(v)) for v in raw.iloc[n - 1]]
    return header, raw.iloc[n:].reset_index(drop=True)


@pytest.mark.parametrize(
    "name",
    [
        "msforms_staff.xlsx",
        "google_parent_sheet.csv",
        "surveymonkey_staff.csv",
        "generic_staff_semicolon_cp1252.csv",
        "generic_pupil_tab.tsv",
    ],
)
def test_manifest_counts_agree_with_what_pandas_reads(exports, name):
    out, manifest = exports
    entry = manifest[name]
    header, data = _read(out / name, entry)
    assert len(data) == entry["rows"]
    columns = {item: header.index(text) for item, text in entry["item_headers"].items()}
    values = pd.DataFrame({item: data.iloc[:, j].map(_value) for item, j in columns.items()})
    answered = values.notna().any(axis=1)
    assert int(answered.sum()) == entry["kept"]
    assert int((~answered).sum()) == entry["dropped_empty"] > 0
    for item, counts in entry["item_counts"].items():
        seen = values.loc[answered, item].dropna().astype(int).value_counts().to_dict()
        assert {v: seen.get(v, 0) for v in range(1, 6)} == counts, item
    comment_col = data.iloc[:, header.index(entry["comment_header"])] if entry["header_rows"] == 1 else data.iloc[:, -1]
    assert [c for c in comment_col if c] == entry["comments"]
    assert entry["comments_naming_staff"] and entry["safeguarding_comments"]


def test_personal_values_stay_in_personal_columns(exports):
    out, manifest = exports
    for name in ("msforms_staff.xlsx", "surveymonkey_staff.csv", "google_parent_sheet.csv"):
        entry = manifest[name]
        header, data = _read(out / name, entry)
        assert entry["personal_values"]
        personal = set(entry["personal_values"])
        item_cols = [header.index(t) for t in entry["item_headers"].values()]
        answers = {str(v) for j in item_cols for v in data.iloc[:, j] if v}
        assert not personal & answers
        text = "\n".join(entry["comments"]) + "\n".join(entry["item_headers"].values())
        assert not [p for p in personal if p in text]
    assert "anonymous" not in manifest["msforms_staff.xlsx"]["personal_values"]


def test_encodings_and_broken_files(exports):
    out, manifest = exports
    assert (out / "google_parent_sheet.csv").read_bytes().startswith(b"\xef\xbb\xbfTimestamp,Email address,")
    assert (out / "google_pupil_direct.csv").read_bytes().startswith(b'"Timestamp","')
    raw = (out / "generic_staff_semicolon_cp1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "\u00a3" in raw.decode("cp1252") and "\u2019" in raw.decode("cp1252")
    assert (out / "generic_pupil_tab.tsv").read_bytes() == (out / "generic_pupil_tab.csv").read_bytes()
    assert (out / "excel_sep_hint.csv").read_bytes().startswith(b"sep=;\r\n")
    assert (out / "empty.csv").stat().st_size == 0
    assert len(pd.read_csv(out / "header_only.csv")) == 0
    error = manifest["broken_unknown_label.csv"]["error"]
    rows = pd.read_csv(out / "broken_unknown_label.csv", header=None, dtype=str, keep_default_na=False)
    assert rows.iloc[error["row"] - 1].tolist().count("Strongly agre") == 1
    assert rows.iloc[0].tolist().index(error["column"]) == rows.iloc[error["row"] - 1].tolist().index("Strongly agre")
    assert (rows == "Strongly agre").to_numpy().sum() == 1
    tally = pd.read_csv(out / "tally_staff.csv")
    assert len(tally) == 39 and tally.groupby("item")["Agree"].sum().to_dict() == {
        item: counts[4] for item, counts in manifest["tally_staff.csv"]["item_counts"].items()
    }


def test_large_csv_is_forms_shaped_and_counted(tmp_path):
    path = tmp_path / "large.csv"
    entry = make_exports.write_large_csv(path, rows=2000, items=30, seed=3)
    data = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(data.columns[:6]) == [
        "ID",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        "What is your role in school?",
    ]
    assert list(data.columns[6:]) == [t for _, t in make_exports.large_bank_items(30)]
    assert data.columns[-1] == "Extra staff statement 30."
    values = data.iloc[:, 6:].apply(lambda col: col.map(_value))
    assert int(values.notna().any(axis=1).sum()) == entry["kept"]
    first = values.iloc[:, 0].dropna().astype(int).value_counts().to_dict()
    assert {v: first.get(v, 0) for v in range(1, 6)} == entry["item_counts"]["S01"]
