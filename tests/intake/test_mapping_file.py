"""`wqm survey map`'s mapping to edit: every column with its suggestion, '?' where the user must choose, every
unknown answer label; headers quoted so they match when the file is read back."""

import csv
import io

import pytest
import yaml

from wqm_nb.data.import_mapping import load_import_mapping, parse_import_mapping
from wqm_nb.errors import DataFileError
from wqm_nb.intake.mapping_file import CHOOSE, mapping_template
from wqm_nb.intake.plan import inspect_export, plan_import


def export(bank, extra_headers, extra_columns, rows=6) -> bytes:
    items = [i.text for i in bank.surveys["staff"].items[:4]]
    header = ["Timestamp", "Email address", *items, *extra_headers, "What is your role in school?"]
    body = [
        [
            f"2025/11/0{k} 10:00:00",
            f"x{k}@example.org",
            *(["Agree"] * len(items)),
            *[c[k % len(c)] for c in extra_columns],
            "Teacher",
        ]
        for k in range(rows)
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    return out.getvalue().encode("utf-8")


AWKWARD = 'Overall, how\u00a0happy are you\nat "work"?'


def test_every_column_is_listed_and_the_unedited_file_is_refused_naming_the_column(bank, tmp_path):
    data = export(bank, [AWKWARD, "Rank 1-8"], [["Agree", "Strongly agree", "Agree a lot"], ["1", "8", "6"]])
    text = mapping_template(inspect_export(data, "staff.csv", "staff", bank=bank))
    doc = yaml.safe_load(text)
    assert doc["survey"] == "staff" and len(doc["columns"]) == 9  # every column, by its exact header
    assert doc["columns"][AWKWARD] == CHOOSE and doc["columns"]["Rank 1-8"] == "ignore"
    assert doc["columns"]["Email address"] == "ignore" and doc["columns"]["What is your role in school?"] == "subgroup"
    assert doc["answer_labels"] == {"Agree a lot": CHOOSE}
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="choose what this column is: an item of the staff survey"):
        load_import_mapping(path, bank)


def test_the_edited_file_maps_the_awkward_header_and_the_label(bank):
    data = export(bank, [AWKWARD], [["Agree", "Strongly agree", "Agree a lot"]])
    doc = yaml.safe_load(mapping_template(inspect_export(data, "staff.csv", "staff", bank=bank)))
    doc["columns"][AWKWARD] = "S09"
    doc["answer_labels"]["Agree a lot"] = 5
    mapping = parse_import_mapping(doc, "map.yaml", bank)
    plan = plan_import(inspect_export(data, "staff.csv", "staff", bank=bank, mapping=mapping))
    assert "S09" in plan.item_ids and plan.kept == 6
    column = plan.values[:, plan.item_ids.index("S09")]
    assert sorted(set(column.tolist())) == [4, 5]


def test_a_file_with_nothing_to_choose_is_a_valid_mapping_as_written(bank):
    data = export(bank, [], [])
    doc = yaml.safe_load(mapping_template(inspect_export(data, "staff.csv", "staff", bank=bank)))
    assert CHOOSE not in doc["columns"].values() and "answer_labels" not in doc
    parse_import_mapping(doc, "map.yaml", bank)
