"""Benchmark files (YAML and CSV): what is read, and errors naming the file and the field, row or column."""

from pathlib import Path

import pytest
import yaml

from wqm_nb.data.benchmark_file import BenchmarkFile, load_benchmark_file, parse_benchmark_file
from wqm_nb.errors import DataFileError

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "benchmarks-example.yaml"

GOOD = {
    "source": "Regional Wellbeing Survey",
    "year": "2024-25",
    "framework": "wqm",
    "phase": "primary",
    "figures": [
        {"survey": "pupil", "section": "P1", "value": 78, "q1": 70, "q3": 85},
        {"survey": "staff_audit", "section": "P3", "measure": "rating", "value": 2.5},
        {"survey": "self_evaluation", "section": "P2", "value": 2.7},
    ],
}


def write_yaml(tmp_path: Path, doc: dict, name: str = "bench.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_a_yaml_file_is_read_with_shares_as_fractions(tmp_path):
    bf = load_benchmark_file(write_yaml(tmp_path, GOOD))
    assert (bf.source, bf.year, bf.framework, bf.phase, bf.illustrative) == (
        "Regional Wellbeing Survey",
        "2024-25",
        "wqm",
        "primary",
        False,
    )
    pupil = bf.figure("pupil", "P1", "agreement")
    assert (pupil.value, pupil.q1, pupil.q3) == pytest.approx((0.78, 0.70, 0.85))
    assert bf.figure("staff_audit", "P3", "rating").value == 2.5
    assert bf.figure("self_evaluation", "P2", "mean_rating").value == 2.7  # measure from the survey
    assert bf.figure("pupil", "P2", "agreement") is None
    assert bf.citation == "Source: Regional Wellbeing Survey, 2024-25 (primary schools)."
    assert bf.applies_to("wqm", "primary") == "" and bf.applies_to("wqm", "") == ""
    assert "secondary" not in bf.applies_to("wqm", "secondary") and "primary schools" in bf.applies_to(
        "wqm", "secondary"
    )
    assert "vbe" not in bf.applies_to("vbe", "primary") and "wqm framework" in bf.applies_to("vbe", "primary")


def test_the_shipped_example_loads_and_says_it_is_illustrative():
    bf = load_benchmark_file(EXAMPLE)
    assert bf.illustrative and "Illustrative figures, not real data" in bf.citation
    assert "EXAMPLE ONLY" in EXAMPLE.read_text() and "NOT REAL" in EXAMPLE.read_text()
    assert len(bf.figures) > 20


def test_a_calendar_year_is_accepted(tmp_path):
    assert load_benchmark_file(write_yaml(tmp_path, GOOD | {"year": 2024})).year == "2024"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"source": None}, "bench.yaml: source: required field is missing"),
        ({"year": "2024/25"}, "bench.yaml: year: must be an academic year such as 2024-25"),
        ({"year": "2024-26"}, "bench.yaml: year: must be an academic year"),
        ({"phase": "nursery"}, "bench.yaml: phase: must be one of primary, secondary, all-through, special"),
        ({"colour": "red"}, "bench.yaml: colour: unknown field"),
        ({"illustrative": "maybe"}, "bench.yaml: illustrative: expected true or false"),
        ({"figures": []}, "bench.yaml: figures: must not be empty"),
        (
            {"figures": [{"survey": "pupils", "section": "P1", "value": 70}]},
            "bench.yaml: figures[0].survey: unknown survey 'pupils'",
        ),
        (
            {"figures": [{"survey": "pupil", "section": "P9", "value": 70}]},
            "bench.yaml: figures[0].section: wqm has no section 'P9'",
        ),
        (
            {"figures": [{"survey": "pupil", "section": "P1", "value": 170}]},
            "bench.yaml: figures[0].value: must be between 0 and 100",
        ),
        (
            {"figures": [{"survey": "pupil", "section": "P1", "value": "lots"}]},
            "bench.yaml: figures[0].value: expected a number",
        ),
        (
            {"figures": [{"survey": "pupil", "section": "P1"}]},
            "bench.yaml: figures[0].value: required field is missing",
        ),
        (
            {"figures": [{"survey": "pupil", "section": "P1", "value": 70, "measure": "rating"}]},
            "bench.yaml: figures[0].measure: the pupil figures are agreement, got 'rating'",
        ),
        (
            {"figures": [{"survey": "staff_audit", "section": "P1", "value": 5}]},
            "bench.yaml: figures[0].value: must be between 1 and 4",
        ),
        (
            {"figures": [{"survey": "self_evaluation", "section": "P1", "value": 0.5}]},
            "figures[0].value: must be between 1 and 4",
        ),
        (
            {"figures": [{"survey": "pupil", "section": "P1", "value": 70, "q1": 60}]},
            "figures[0].q3: give both quartiles",
        ),
        (
            {"figures": [{"survey": "pupil", "section": "P1", "value": 70, "q1": 75, "q3": 80}]},
            "figures[0].value: must lie between q1 and q3",
        ),
        (
            {
                "figures": [
                    {"survey": "pupil", "section": "P1", "value": 70},
                    {"survey": "pupil", "section": "P1", "value": 71},
                ]
            },
            "bench.yaml: figures[1]: duplicate figure: pupil P1 agreement (also figures[0])",
        ),
        (
            {
                "figures": [
                    {"survey": "pupil", "section": "P1", "value": 0.78},
                    {"survey": "staff", "section": "P1", "value": 0.7},
                ]
            },
            "figures[0].value: agreement is a percentage from 0 to 100: 0.78 looks like a share",
        ),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path, change, message):
    with pytest.raises(DataFileError) as err:
        load_benchmark_file(write_yaml(tmp_path, GOOD | change))
    assert message in str(err.value)


def test_a_custom_framework_id_is_not_checked_section_by_section(tmp_path):
    doc = GOOD | {"framework": "my_own", "figures": [{"survey": "self_evaluation", "section": "X1", "value": 7}]}
    bf = load_benchmark_file(write_yaml(tmp_path, doc))
    assert bf.figure("self_evaluation", "X1", "mean_rating").value == 7 and bf.applies_to("wqm", "") != ""


CSV = (
    "source,year,framework,phase,survey,section,measure,value,q1,q3\n"
    "National survey,2024-25,wqm,,pupil,P1,,78%,70,85\n"
    "National survey,2024-25,wqm,,staff,P2,agreement,71,,\n"
    "\n"
)


def test_a_csv_file_is_read_the_same_way(tmp_path):
    path = tmp_path / "national.csv"
    path.write_text(CSV, encoding="utf-8")
    bf = load_benchmark_file(path)
    assert isinstance(bf, BenchmarkFile) and bf.phase == "" and bf.source == "National survey"
    assert bf.figure("pupil", "P1", "agreement").value == pytest.approx(0.78)
    assert bf.figure("staff", "P2", "agreement").q1 is None
    assert bf.citation == "Source: National survey, 2024-25."


@pytest.mark.parametrize(
    "text, message",
    [
        (
            CSV.replace("National survey,2024-25,wqm,,staff", "Other,2024-25,wqm,,staff"),
            "national.csv, row 3, column 'source': source must be the same on every row",
        ),
        (
            CSV.replace("staff,P2,agreement,71", "staff,P2,agreement,171"),
            "national.csv, row 3, column 'value': must be between 0 and 100",
        ),
        (CSV.replace(",pupil,P1,", ",pupil,P0,"), "national.csv, row 2, column 'section': wqm has no section 'P0'"),
        ("survey,section,value\npupil,P1,70\n", "national.csv: missing column(s): source, year, framework"),
        ("source,year,framework,survey,section,value,colour\n", "national.csv: unknown column 'colour'"),
        ("source,year,framework,survey,section,value\n", "national.csv: no figures"),
        ("", "national.csv: the file is empty"),
        (CSV.replace("2024-25", "2024/25"), "national.csv, row 2, column 'year': must be an academic year"),
    ],
)
def test_csv_errors_name_the_file_row_and_column(tmp_path, text, message):
    path = tmp_path / "national.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_benchmark_file(path)
    assert message in str(err.value)


def test_a_missing_or_wrong_kind_of_file_is_refused(tmp_path):
    with pytest.raises(DataFileError, match="no benchmark file at"):
        load_benchmark_file(tmp_path / "nowhere.yaml")
    with pytest.raises(DataFileError, match="a benchmark file is YAML"):
        load_benchmark_file(tmp_path / "bench.xlsx")
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01\x02\xff" * 10)
    with pytest.raises(DataFileError, match="binary.csv"):
        load_benchmark_file(tmp_path / "binary.csv")


def test_parse_benchmark_file_names_the_file():
    with pytest.raises(DataFileError, match="mine.yaml: expected a mapping"):
        parse_benchmark_file(["not", "a", "mapping"], "mine.yaml")
