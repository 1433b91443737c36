"""Property tests over generated variants of one staff export (issue 24): whatever the encoding, the container
(CSV, tab-separated, a workbook with other sheets, a zip), and whichever questions were deleted or columns
added, the import reads the same answers."""

import csv
import io
import zipfile

import numpy as np
import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wqm_nb.data.surveys import load_question_bank
from wqm_nb.intake.plan import inspect_export, plan_import

BANK = load_question_bank()
ITEMS = BANK.surveys["staff"].items
LABELS = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree", 5: "Strongly agree"}
EXTRA = {  # columns a school adds that are not on the scale (each starts off it): the import leaves them out
    "Rank these priorities (1 = most important)": ["8", "1", "3", "6"],
    "How many rooms do you teach in?": ["6", "2", "4"],
    "How likely are you to recommend the school (0-10)?": ["0", "9", "10"],
    "Any other comments": ["Great", "Could be better", ""],
}


@st.composite
def exports(draw):
    kept = draw(st.lists(st.sampled_from(range(len(ITEMS))), min_size=1, max_size=len(ITEMS), unique=True))
    extra = draw(st.lists(st.sampled_from(sorted(EXTRA)), unique=True, max_size=len(EXTRA)))
    n = draw(st.integers(min_value=1, max_value=12))
    answers = draw(
        st.lists(st.lists(st.integers(1, 5), min_size=len(kept), max_size=len(kept)), min_size=n, max_size=n)
    )
    headers = ["Timestamp", *(ITEMS[k].text for k in kept), *extra]
    order = draw(st.permutations(range(1, len(headers))))  # columns in any order after the timestamp
    headers = [headers[0], *(headers[k] for k in order)]
    rows = []
    for r, values in enumerate(answers):
        cells = {ITEMS[k].text: LABELS[v] for k, v in zip(kept, values, strict=True)}
        cells |= {h: EXTRA[h][r % len(EXTRA[h])] for h in extra}
        rows.append([f"2025/11/{1 + r % 28:02d} 10:{r:02d}:00", *(cells[h] for h in headers[1:])])
    container = draw(st.sampled_from(["csv", "tsv", "xlsx", "zip"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]))
    expected = {ITEMS[k].id: [v[i] for v in answers] for i, k in enumerate(kept)}
    return headers, rows, container, encoding, expected


def encode(headers, rows, container, encoding) -> tuple[bytes, str]:
    if container == "xlsx":
        book = openpyxl.Workbook()
        book.active.title = "Summary"
        book.active.append(["Responses", len(rows)])
        sheet = book.create_sheet("Form responses 1")
        for row in [headers, *rows]:
            sheet.append(row)
        hidden = book.create_sheet("Old")
        hidden.sheet_state = "hidden"
        for _ in range(len(rows) + 5):
            hidden.append(["x"] * 5)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), "staff.xlsx"
    text = io.StringIO()
    csv.writer(text, delimiter="\t" if container == "tsv" else ",", lineterminator="\r\n").writerows([headers, *rows])
    data = text.getvalue().encode(encoding)
    if container == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("CSV/Sheet_1.csv", data)
        return out.getvalue(), "staff.zip"
    return data, "staff.csv"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
def test_every_variant_imports_the_same_answers(export):
    headers, rows, container, encoding, expected = export
    data, name = encode(headers, rows, container, encoding)
    plan = plan_import(inspect_export(data, name, "staff", bank=BANK))
    assert plan.kept == len(rows)
    for item, values in expected.items():
        column = plan.values[:, plan.item_ids.index(item)]
        assert sorted(column.tolist()) == sorted(values)  # respondents are shuffled on import
    assert set(plan.item_ids) == set(expected)
    assert np.all(plan.values >= 1)
