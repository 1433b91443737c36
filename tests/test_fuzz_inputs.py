"""Fuzz tests over every reader and importer: any input ends in success or a
WqmError (never another exception), and a failed import writes nothing."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wqm_nb.data import (
    load_framework,
    load_question_bank,
    parse_framework,
    parse_mapping,
    parse_question_bank,
    parse_scales,
    read_yaml,
)
from wqm_nb.errors import WqmError
from wqm_nb.settings import GroupSettings, ReportSettings
from wqm_nb.store import Store, import_csv_dir

FOLDER = {
    "schools.csv": [
        ["school_id", "name", "phase", "trust", "local_authority", "pupils"],
        ["S1", "Test Primary", "primary", "T", "LA", "200"],
    ],
    "cycles.csv": [["school_id", "framework", "academic_year"], ["S1", "wqm", "2024-25"], ["S1", "vbe", "2024-25"]],
    "sef_ratings.csv": [
        ["school_id", "framework", "academic_year", "element_id", "rating", "evidence", "recorded_by", "recorded_at"],
        ["S1", "wqm", "2024-25", "P1.1", "3", "Plan", "Head", "2024-11-01T09:00:00"],
    ],
    "adviser_notes.csv": [
        ["school_id", "framework", "academic_year", "principle_id", "author", "note", "created_at"],
        ["S1", "wqm", "2024-25", "P1", "AR", "Visit", "2024-12-01T10:00:00"],
    ],
    "reflections.csv": [
        ["school_id", "framework", "academic_year", "reflection_id", "text", "author", "recorded_at"],
        ["S1", "vbe", "2024-25", "next_steps", "Keep going", "AR", "2025-06-01T10:00:00"],
    ],
    "staff_survey.csv": [
        ["school_id", "academic_year", "respondent", "role", "S01", "S02"],
        ["S1", "2024-25", "a", "teaching", "5", "4"],
        ["S1", "2024-25", "b", "support", "", "2"],
    ],
}
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "5",
            "4.0",
            "Strongly agre",
            "2024-26",
            "=1+1",
            "../x",
            "wqm",
            "P9.9",
            "-1",
            "1e309",
            "nan",
            "\x00",
            "é",
            "S1",
            "2024-25",
        ]
    ),
)


def write(folder: Path, files: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(
                "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in content) + "\n",
                encoding="utf-8",
            )


def import_or_error(folder: Path) -> None:
    store = Store(":memory:")
    try:
        import_csv_dir(store, folder)
    except WqmError:
        # nothing half-written
        assert store.schools() == [] and store.school_years() == [] and store.cycles() == []
        assert store.conn.execute("SELECT count(*) FROM survey_answers").fetchone()[0] == 0


@FUZZ
@given(name=st.sampled_from(sorted(FOLDER)), content=st.binary(max_size=300))
def test_any_bytes_in_any_file(tmp_path, name, content):
    write(tmp_path / "f", {**FOLDER, name: content})
    import_or_error(tmp_path / "f")


@FUZZ
@given(name=st.sampled_from(sorted(FOLDER)), data=st.data())
def test_any_cell_changed(tmp_path, name, data):
    rows = [list(r) for r in FOLDER[name]]
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, len(rows[i]) - 1))
    rows[i][j] = data.draw(cell_text)
    if data.draw(st.booleans()):
        rows[i].append(data.draw(cell_text))  # a ragged row
    write(tmp_path / "f", {**FOLDER, name: rows})
    import_or_error(tmp_path / "f")


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10), st.floats(allow_nan=True), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


def mutate(doc, data):
    """Replace one value somewhere inside a document with a random one."""
    if isinstance(doc, dict) and doc and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(doc, key=str)))
        return {**doc, key: mutate(doc[key], data)}
    if isinstance(doc, list) and doc and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(doc) - 1))
        return doc[:i] + [mutate(doc[i], data)] + doc[i + 1 :]
    return data.draw(yaml_values)


def parse_or_error(parse, *args) -> None:
    try:
        parse(*args)
    except WqmError:
        pass


@FUZZ
@given(data=st.data())
def test_any_change_to_a_framework_scales_bank_or_mapping(data):
    fw = load_framework("wqm")
    bank = load_question_bank()
    framework_doc = read_yaml(Path(fw.path))
    parse_or_error(parse_framework, mutate(framework_doc, data), "wqm.yaml")
    parse_or_error(parse_question_bank, mutate(read_yaml(Path(bank.path)), data), "surveys.yaml")
    parse_or_error(parse_scales, mutate(read_yaml(Path(fw.path).parent.parent / "scales.yaml"), data), "scales.yaml")
    mapping_doc = read_yaml(Path(fw.path).parent.parent / "mappings" / "wqm.yaml")
    parse_or_error(parse_mapping, mutate(mapping_doc, data), "wqm.yaml", fw, bank)


@FUZZ
@given(content=st.binary(max_size=200))
def test_any_bytes_as_a_yaml_file(tmp_path, content):
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    parse_or_error(load_framework, path)


@FUZZ
@given(
    school=cell_text,
    year=cell_text,
    framework=cell_text,
    size=st.one_of(st.integers(-3, 30), st.text(max_size=3), st.booleans()),
)
def test_any_settings(school, year, framework, size):
    parse_or_error(ReportSettings, "", year, framework, size, school)
    parse_or_error(GroupSettings, year, "", framework, size, school)
