"""The survey kit (issue 24): a Word document for Microsoft Forms' Quick import, a Google Apps Script, a paper
questionnaire and a tally sheet; exports of a form built from it map by themselves, even after the bank's
wording changes; the SDQ stays off the online forms."""

import csv
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from docx import Document

from wqm_nb.cli import main
from wqm_nb.data.surveys import load_question_bank
from wqm_nb.export.survey_kit import DONT_KNOW, kit_of
from wqm_nb.store import Store


@pytest.fixture
def db(sample_db, tmp_path):
    return shutil.copy(sample_db, tmp_path / "wqm.sqlite")


@pytest.fixture(scope="module")
def pupil_kit(tmp_path_factory, sample_db):
    out = tmp_path_factory.mktemp("kit")
    db = shutil.copy(sample_db, out / "wqm.sqlite")
    assert (
        main(
            [
                "survey",
                "kit",
                "--survey",
                "pupil",
                "--instrument",
                "swemwbs",
                "--instrument",
                "sdq",
                "--out",
                str(out / "kit"),
                "--data",
                str(db),
            ]
        )
        == 0
    )
    return out / "kit", db


def test_the_word_document_lists_the_online_questions_numbered_with_lettered_choices(pupil_kit):
    folder, _ = pupil_kit
    kit = kit_of("pupil", ("swemwbs", "sdq"))
    paragraphs = [p.text for p in Document(str(folder / "pupil-microsoft-forms.docx")).paragraphs]
    numbered = [p for p in paragraphs if re.match(r"^\d+\. ", p)]
    assert numbered == [f"{n}. {q.title}" for n, q in enumerate(kit.online_questions(), 1)]
    first_item = paragraphs.index(f"2. {load_question_bank().surveys['pupil'].items[0].text}")
    assert paragraphs[first_item + 1 : first_item + 7] == [
        "A. Strongly disagree",
        "B. Disagree",
        "C. Neither agree nor disagree",
        "D. Agree",
        "E. Strongly agree",
        f"F. {DONT_KNOW}",
    ]
    assert "swemwbs1" in "\n".join(numbered) and not any("sdq" in p for p in numbered)  # the SDQ: paper only
    assert "(long answer)" in paragraphs


def test_the_apps_script_makes_one_question_per_column_of_the_export(pupil_kit):
    folder, _ = pupil_kit
    script = (folder / "pupil-google-forms.gs").read_text(encoding="utf-8")
    titles = [json.loads(t) for t in re.findall(r"\.setTitle\((\".*?\")\)", script)]
    assert titles == [q.title for q in kit_of("pupil", ("swemwbs", "sdq")).online_questions()]
    assert script.count("addMultipleChoiceItem()") == len(titles) - script.count("addParagraphTextItem()")
    assert "FormApp.create(" in script and "sdq" not in script


def test_the_paper_questionnaire_carries_every_question_and_the_tally_sheet(pupil_kit):
    from pypdf import PdfReader

    folder, _ = pupil_kit
    text = " ".join(page.extract_text() for page in PdfReader(folder / "pupil-paper.pdf").pages)
    text = " ".join(text.split())
    assert "sdq1" in text and "swemwbs7" in text and "Tally sheet" in text
    assert load_question_bank().surveys["pupil"].items[-1].text in text


def test_a_filled_in_tally_sheet_imports_as_a_paper_tally(pupil_kit, tmp_path, capsys):
    folder, db = pupil_kit
    book = openpyxl.load_workbook(folder / "pupil-tally.xlsx")
    sheet = book["Tally"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["item", "year_group"] and header[-1] == DONT_KNOW
    for row in sheet.iter_rows(min_row=2):
        for cell in row[2:]:
            cell.value = 2
    filled = tmp_path / "tally.xlsx"
    book.save(filled)
    status = main(
        [
            "survey",
            "import",
            str(filled),
            "--school",
            "NLT03",
            "--year",
            "2025-26",
            "--survey",
            "pupil",
            "--data",
            str(db),
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0 and "detected: paper tally" in out.lower()


def export_of(titles: list[str], tool: str, rows: int = 8) -> bytes:
    """An export of a form built from the kit, shaped as the tool writes it."""
    bank = load_question_bank()
    pupil = bank.surveys["pupil"]
    values = []
    for k in range(rows):
        answers = []
        for title in titles:
            if title == pupil.subgroup.question:
                answers.append(["Year 5", "Year 6"][k % 2])
            elif title.startswith("swemwbs"):
                answers.append(["Often", "Some of the time"][k % 2])
            elif any(title == c.text for c in pupil.comments):
                answers.append("")
            else:
                answers.append(["Agree", "Strongly agree", "Disagree"][k % 3])
        values.append(answers)
    if tool == "google":
        header, body = ["Timestamp", *titles], [[f"2025/11/0{k + 1} 10:00:00", *v] for k, v in enumerate(values)]
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([header, *body])
        return out.getvalue().encode("utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name", *titles])
    for k, v in enumerate(values, 1):
        sheet.append([k, "11/3/2025 09:00", "11/3/2025 09:05", "anonymous", "", *v])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("tool, name", [("google", "kit.csv"), ("microsoft", "kit.xlsx")])
def test_an_export_of_a_form_built_from_the_kit_maps_by_itself_after_the_wording_changes(
    db, tmp_path, capsys, monkeypatch, tool, name
):
    assert (
        main(
            [
                "survey",
                "kit",
                "--survey",
                "pupil",
                "--instrument",
                "swemwbs",
                "--out",
                str(tmp_path / "kit"),
                "--data",
                str(db),
            ]
        )
        == 0
    )
    capsys.readouterr()
    titles = [q.title for q in kit_of("pupil", ("swemwbs",)).online_questions()]
    export = tmp_path / name
    export.write_bytes(export_of(titles, tool))
    # the bank's wording changes after the kit was made: no statement matches by its text any more
    doc = yaml.safe_load(Path(load_question_bank().path).read_text(encoding="utf-8"))
    for item in doc["surveys"]["pupil"]["items"]:
        item["text"] = "Reworded: " + item["text"]
        item.pop("aliases", None)
    reworded = tmp_path / "bank.yaml"
    reworded.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("WQM_QUESTION_BANK", str(reworded))
    args = [
        "survey",
        "import",
        str(export),
        "--school",
        "NLT03",
        "--year",
        "2025-26",
        "--survey",
        "pupil",
        "--data",
        str(db),
        "--replace",
    ]
    status = main(args)
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "mapping: saved mapping" in err and "from wqm survey kit" in err
    assert "respondents kept: 8" in out and "swemwbs" in out
    with Store.open(db, read_only=True) as store:
        imported = store.survey_imports()[-1]
    assert imported["file_name"] == name and imported["respondents"] == 8
