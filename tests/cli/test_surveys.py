"""`wqm score INSTRUMENT FILE`: end to end on CSV and XLSX files (numbers and response labels), JSON and CSV
output, and one-line errors naming file, row and column."""

import csv
import io
import json

import openpyxl
import pytest

from wqm_nb.cli import main

SDQ_LABELS = ["Not True", "Somewhat True", "Certainly True"]


def sdq_header(impact: int = 0) -> list[str]:
    return ["respondent"] + [f"sdq{i}" for i in range(1, 26)] + [f"sdqimpact{i}" for i in range(1, impact + 1)]


#: respondent, 25 answers (0/1/2 or blank), impact answers (parent: 8).
ROWS = [
    ["p1"] + [1] * 25 + [1, 3, 2, 2, 0, 0, 0, 1],  # every scale 5, total 20; impact: 1 + 1 = 2
    ["p2"] + [0] * 25 + [0, "", "", "", "", "", "", ""],  # reversed items 0 -> 2: conduct 2, hyper 4, peer 4
    ["p3"] + [2, 2, 2] + [""] * 22 + [""] * 8,  # too few answers: prosocial 1 of 5 ... no scores
]


def write_csv(path, header, rows, *, labels=False, delimiter=",", sep_line=False, encoding="utf-8"):
    def cell(v):
        return SDQ_LABELS[v] if labels and isinstance(v, int) and v <= 2 else v

    buf = io.StringIO()
    if sep_line:
        buf.write(f"sep={delimiter}\n")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows([[cell(v) if i > 0 and i <= 25 else v for i, v in enumerate(r)] for r in rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path, header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append([None if v == "" else v for v in r])
    wb.save(path)
    return path


def read_out(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_sdq_csv_numbers_end_to_end(tmp_path, capsys):
    path = write_csv(tmp_path / "parents.csv", sdq_header(8), ROWS)
    assert main(["score", "sdq", str(path), "--informant", "parent"]) == 0
    out, err = capsys.readouterr()
    rows = read_out(out)
    assert list(rows[0]) == [
        "respondent",
        "emotional",
        "emotional_band",
        "conduct",
        "conduct_band",
        "hyperactivity",
        "hyperactivity_band",
        "peer",
        "peer_band",
        "prosocial",
        "prosocial_band",
        "total_difficulties",
        "total_difficulties_band",
        "externalising",
        "internalising",
        "impact",
    ]
    p1, p2, p3 = rows
    assert (p1["emotional"], p1["total_difficulties"], p1["total_difficulties_band"], p1["impact"]) == (
        "5",
        "20",
        "Abnormal",
        "2",
    )
    assert (p2["conduct"], p2["hyperactivity"], p2["peer"], p2["prosocial"], p2["impact"]) == ("2", "4", "4", "0", "0")
    assert (p2["conduct_band"], p2["total_difficulties"], p2["prosocial_band"]) == ("Normal", "10", "Abnormal")
    assert all(p3[k] == "" for k in p3 if k != "respondent")  # too few answers: empty, never 0
    assert "parents.csv: 3 respondents scored" in err and "bands: original 3-band" in err


def test_sdq_labels_in_a_semicolon_csv_with_a_sep_line(tmp_path, capsys):
    path = write_csv(
        tmp_path / "teachers.csv",
        sdq_header(6),
        [r[:26] + r[26:32] for r in ROWS],
        labels=True,
        delimiter=";",
        sep_line=True,
        encoding="cp1252",
    )
    assert main(["score", "sdq", str(path), "--informant", "teacher", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["respondent"] for r in records] == ["p1", "p2", "p3"]
    assert records[0]["total_difficulties"] == 20 and records[0]["total_difficulties_band"] == "Very high"
    assert records[0]["impact"] == 2  # teacher: distres 2 -> 1, impfrie 2 -> 1, impclas 0
    assert records[2]["emotional"] is None and records[2]["emotional_band"] == ""


def test_sdq_xlsx_with_labels_writes_csv_to_a_file(tmp_path, capsys):
    rows = [[r[0]] + [SDQ_LABELS[v] if isinstance(v, int) else v for v in r[1:26]] + r[26:] for r in ROWS]
    path = write_xlsx(tmp_path / "self.xlsx", sdq_header(8), rows)
    out = tmp_path / "scores.csv"
    assert main(["score", "sdq", str(path), "--informant", "self", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "-> " in err and "note: the self bands are UNCONFIRMED" in err
    rows = read_out(out.read_text())
    assert rows[0]["total_difficulties"] == "20" and rows[0]["total_difficulties_band"] == "Abnormal"
    assert rows[1]["peer"] == "4" and rows[1]["peer_band"] == "Borderline"


def test_swemwbs_and_stirling_from_xlsx_numbers_and_labels(tmp_path, capsys):
    header = ["respondent"] + [f"swemwbs{i}" for i in range(1, 8)]
    path = write_xlsx(
        tmp_path / "sw.xlsx",
        header,
        [
            ["a", 1, 1, 1, 1, 1, 1, 1],
            ["b", "Often", "often", 4, "All of the time", 3, 3, 2],
            ["c", 5, 5, 5, 5, 5, 5, ""],
        ],
    )
    assert main(["score", "swemwbs", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"respondent": "a", "raw": 7, "metric": 7},
        {"respondent": "b", "raw": 25, "metric": 22.35},
        {"respondent": "c", "raw": None, "metric": None},
    ]
    header = [f"stirling{i}" for i in range(1, 16)]
    path = write_csv(tmp_path / "st.csv", header, [["Never"] * 15, [5] * 12 + ["", 5, 5]])
    assert main(["score", "stirling", str(path)]) == 0
    assert read_out(capsys.readouterr().out) == [{"total": "12"}, {"total": "60"}]


def test_prescored_sdq_scores(tmp_path, capsys):
    path = tmp_path / "scored.csv"
    path.write_text("respondent,emotional,conduct,hyperactivity,peer,prosocial\nx,3,2,6,1,9\ny,3,,6,1,9\n")
    assert main(["score", "sdq", str(path), "--informant", "teacher", "--prescored", "--format", "json"]) == 0
    x, y = json.loads(capsys.readouterr().out)
    assert (x["total_difficulties"], x["total_difficulties_band"], x["impact"]) == (12, "Slightly raised", None)
    assert y["total_difficulties"] is None and y["externalising"] is None and y["internalising"] == 4


def test_formula_looking_cells_are_neutralised_in_the_csv(tmp_path, capsys):
    path = write_csv(
        tmp_path / "f.csv",
        ["respondent"] + [f"swemwbs{i}" for i in range(1, 8)],
        [['=HYPERLINK("x")', 3, 3, 3, 3, 3, 3, 3]],
    )
    out = tmp_path / "o.csv"
    assert main(["score", "swemwbs", str(path), "--out", str(out)]) == 0
    assert out.read_text().splitlines()[1].startswith("\"'=HYPERLINK")
    assert main(["score", "swemwbs", str(path)]) == 0
    assert "'=HYPERLINK" in capsys.readouterr().out


def test_a_bad_value_names_file_row_and_column(tmp_path, capsys):
    rows = [r[:] for r in ROWS]
    rows[1][17] = "Sometimes"  # row 3 of the sheet, column sdq17
    path = write_csv(tmp_path / "bad.csv", sdq_header(8), rows)
    assert main(["score", "sdq", str(path), "--informant", "parent"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(
        "wqm: error: bad.csv, row 3, column 'sdq17': 'Sometimes' is not an answer to sdq17 "
        "(expected 0-2 or Not True, Somewhat True, Certainly True, or blank)"
    )


def test_row_numbers_follow_the_sheet_after_a_sep_line_and_in_xlsx(tmp_path, capsys):
    header = [f"swemwbs{i}" for i in range(1, 8)]
    path = write_csv(tmp_path / "s.csv", header, [[3] * 7, [3] * 6 + [9]], delimiter=";", sep_line=True)
    assert main(["score", "swemwbs", str(path)]) == 2
    assert "s.csv, row 4, column 'swemwbs7': '9' is not an answer" in capsys.readouterr().err
    path = write_xlsx(tmp_path / "s.xlsx", header, [[3] * 7, [3] * 7, [3, 3, "x", 3, 3, 3, 3]])
    assert main(["score", "swemwbs", str(path)]) == 2
    assert "s.xlsx, row 4, column 'swemwbs3': 'x' is not an answer" in capsys.readouterr().err


def test_sdq_without_an_informant_names_the_choices(tmp_path, capsys):
    path = write_csv(tmp_path / "p.csv", sdq_header(), [r[:26] for r in ROWS])
    assert main(["score", "sdq", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "wqm: error: sdq needs an informant: one of parent, teacher, self (--informant)"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["score", "kidscreen", "{f}"], "wqm: error: unknown instrument 'kidscreen' (bundled: sdq, stirling, swemwbs"),
        (["score", "swemwbs", "{missing}"], "wqm: error: nope.csv: cannot read file"),
        (["score", "swemwbs", "{f}", "--informant", "parent"], "wqm: error: swemwbs has no 'parent' informant"),
        (["score", "swemwbs", "{sdq}"], "wqm: error: sdq.csv, row 1, column 'swemwbs1': missing item columns swemwbs1"),
        (["score", "swemwbs", "{empty}"], "wqm: error: empty.csv: the file is empty"),
    ],
)
def test_other_errors_are_one_line_with_status_2(tmp_path, capsys, args, message):
    files = {
        "f": write_csv(tmp_path / "f.csv", [f"swemwbs{i}" for i in range(1, 8)], [[3] * 7]),
        "missing": tmp_path / "nope.csv",
        "sdq": write_csv(tmp_path / "sdq.csv", sdq_header(), [ROWS[0][:26]]),
        "empty": tmp_path / "empty.csv",
    }
    files["empty"].write_text("")
    assert main([a.format(**{k: str(v) for k, v in files.items()}) for a in args]) == 2
    assert capsys.readouterr().err.strip().startswith(message)
