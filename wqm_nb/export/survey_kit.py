"""The survey kit: one survey of the question bank as forms a school can run, whose exports need no mapping.

``wqm survey kit --survey S [--school X] [--instrument swemwbs] --out DIR`` writes (:func:`write_kit`):

* ``<survey>-microsoft-forms.docx``: the questions laid out for Microsoft Forms' Quick import (a Word
  document of numbered questions, each followed by its choices as ``A.``, ``B.`` ... lines; a comment
  question says "(long answer)"), built with python-docx;
* ``<survey>-google-forms.gs``: a Google Apps Script that creates the same form (one multiple-choice
  question per statement, so each becomes a column of its own);
* ``<survey>-paper.pdf``: a printable questionnaire, and the tally sheet after it;
* ``<survey>-tally.xlsx``: the tally sheet (one row per statement and subgroup, one column per answer), which
  ``wqm survey import`` reads as a paper tally once the counts are filled in.

Every question is the bank's, in one order: the subgroup question (staff role, year group), the statements,
the validated measures asked for (``--instrument``), then the comment questions. A measure's questions are
titled with their column code (``swemwbs1`` ...), with a placeholder for the licensed wording, which the
school pastes from the publisher's copy; a measure whose licence does not allow online use (the SDQ) goes on
the paper questionnaire only. The kit saves its mapping in the store under the header signature of the form
(:mod:`wqm_nb.intake.saved_mappings`): the export of a form built from it is mapped by it, question by
question, even after the bank's wording changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..data import QuestionBank, load_question_bank
from ..data.import_mapping import COMMENT, SUBGROUP, ImportMapping, default_informant, normalise_text
from ..data.instruments import Instrument, load_instrument
from ..errors import SettingsError
from ..present.html import render

if TYPE_CHECKING:
    from ..store import Store

#: The answers every question of the kit offers besides the scale's: not an answer
DONT_KNOW = "Don't know"


@dataclass(frozen=True)
class KitQuestion:
    """One question of the kit: its title (the export's column header), its choices, and what it maps to."""

    title: str
    choices: tuple[str, ...]
    target: str
    description: str = ""
    online: bool = True

    @property
    def open(self) -> bool:
        """A free-text question (no choices)."""
        return not self.choices


@dataclass(frozen=True)
class Kit:
    """A survey's questions as the kit asks them."""

    survey: str
    name: str
    respondents: str
    scale: tuple[str, ...]
    questions: tuple[KitQuestion, ...]
    subgroup_field: str = ""
    subgroup_values: tuple[tuple[str, str], ...] = ()  # (value, the label the kit offers)
    licences: tuple[str, ...] = ()

    def online_questions(self) -> tuple[KitQuestion, ...]:
        """The questions of the online forms (a measure not licensed for online use left out)."""
        return tuple(q for q in self.questions if q.online)

    def mapping(self) -> ImportMapping:
        """The mapping of the online forms' exports: each question's title to its target."""
        questions = self.online_questions()
        return ImportMapping(
            survey=self.survey,
            columns={normalise_text(q.title): q.target for q in questions},
            headers={normalise_text(q.title): q.title for q in questions},
            subgroup_values={normalise_text(label): value for value, label in self.subgroup_values},
        )


def kit_of(survey_id: str, instruments: tuple[str, ...] = (), bank: QuestionBank | None = None) -> Kit:
    """The kit's questions for ``survey_id`` with the validated measures ``instruments``."""
    bank = bank or load_question_bank()
    if survey_id not in bank.surveys:
        raise SettingsError(f"unknown survey {survey_id!r} (question bank: {', '.join(bank.surveys)})")
    survey = bank.surveys[survey_id]
    scale = tuple(level.label for level in bank.scale_of(survey_id).levels)
    questions: list[KitQuestion] = []
    values: tuple[tuple[str, str], ...] = ()
    if survey.subgroup is not None:
        sub = survey.subgroup
        values = tuple((v, next((label for label in sub.labels_of(v)[1:] if label), v)) for v in sub.values)
        questions.append(KitQuestion(sub.question or sub.label, tuple(label for _, label in values), SUBGROUP))
    questions += [KitQuestion(item.text, (*scale, DONT_KNOW), item.id) for item in survey.items]
    licences = []
    for name in instruments:
        instrument = load_instrument(name)
        questions += _measure_questions(instrument, survey_id)
        licences.append(f"{instrument.name}: {instrument.licence}")
    questions += [KitQuestion(c.text, (), f"{COMMENT} {c.id}") for c in survey.comments]
    return Kit(
        survey.id,
        survey.name,
        survey.respondents,
        scale,
        tuple(questions),
        survey.subgroup.field if survey.subgroup else "",
        values,
        tuple(licences),
    )


def _measure_questions(instrument: Instrument, survey_id: str) -> list[KitQuestion]:
    """A measure's questions, titled with their column codes; no wording is shipped."""
    informant = instrument.resolve_informant(default_informant(instrument, survey_id) or None)
    return [
        KitQuestion(
            item.column,
            tuple(o.label for o in item.responses.options),
            item.column,
            f"[Paste item {item.number or item.column} of the {instrument.name} here, from your licensed copy.]",
            instrument.online,
        )
        for item in instrument.items_for(informant)
    ]


def microsoft_forms_docx(kit: Kit, path: Path) -> Path:
    """The Word document for Microsoft Forms' Quick import (see the module notes)."""
    from docx import Document

    document = Document()
    document.core_properties.title = f"{kit.name} (wqm survey kit)"
    document.add_heading(kit.name, level=1)
    document.add_paragraph(
        f"For {kit.respondents}. Answers are anonymous: please do not write your name in any answer."
    )
    for number, question in enumerate(kit.online_questions(), 1):
        document.add_paragraph(f"{number}. {question.title}")
        if question.description:
            document.add_paragraph(question.description)
        if question.open:
            document.add_paragraph("(long answer)")
        for letter, choice in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", question.choices, strict=False):
            document.add_paragraph(f"{letter}. {choice}")
    document.save(str(path))
    return path


def google_apps_script(kit: Kit) -> str:
    """A Google Apps Script (``function createForm()``) that makes the same form in Google Forms."""
    lines = [
        f"// {kit.name}: run createForm() once in https://script.google.com to make the form (wqm survey kit).",
        "function createForm() {",
        f"  var form = FormApp.create({json.dumps(kit.name)});",
        f"  form.setDescription({json.dumps(f'For {kit.respondents}. Answers are anonymous.')});",
        "  form.setCollectEmail(false);",
    ]
    for question in kit.online_questions():
        if question.open:
            lines.append(f"  form.addParagraphTextItem().setTitle({json.dumps(question.title)});")
            continue
        item = (
            f"  form.addMultipleChoiceItem().setTitle({json.dumps(question.title)})"
            f".setChoiceValues({json.dumps(list(question.choices), ensure_ascii=False)})"
        )
        if question.description:
            item += f".setHelpText({json.dumps(question.description, ensure_ascii=False)})"
        lines.append(item + ";")
    lines += ["  Logger.log('Form: ' + form.getEditUrl());", "}", ""]
    return "\n".join(lines)


def tally_rows(kit: Kit) -> tuple[list[str], list[list[object]]]:
    """The tally sheet's header and rows: one row per statement (and subgroup), one column per answer."""
    header = ["item", *([kit.subgroup_field] if kit.subgroup_field else []), *kit.scale, DONT_KNOW]
    statements = [
        q
        for q in kit.questions
        if q.target not in (SUBGROUP,) and not q.open and q.choices[: len(kit.scale)] == kit.scale
    ]
    groups = [label for _, label in kit.subgroup_values] or [""]
    rows: list[list[object]] = []
    for question in statements:
        for group in groups:
            rows.append([question.target, *([group] if kit.subgroup_field else []), *([None] * (len(kit.scale) + 1))])
    return header, rows


def tally_workbook(kit: Kit, path: Path) -> Path:
    """The tally sheet as a workbook (its first sheet the tally; a second lists the statements)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Tally"
    header, rows = tally_rows(kit)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    questions = book.create_sheet("Statements")
    questions.append(["item", "statement"])
    for q in kit.questions:
        if q.target not in (SUBGROUP,) and not q.open:
            questions.append([q.target, q.title])
    book.save(str(path))
    return path


def paper_pdf(kit: Kit, path: Path) -> Path:
    """The printable questionnaire and, after it, the tally sheet (A4, tagged PDF)."""
    from .render import to_pdf

    header, rows = tally_rows(kit)
    html = render("kit_questionnaire.html.j2", "questionnaire", kit=kit, tally_header=header, tally_rows=rows).html
    source = path.with_suffix(".html")
    source.write_text(html, encoding="utf-8")
    try:
        return to_pdf(source, path)
    finally:
        source.unlink(missing_ok=True)


def write_kit(kit: Kit, out: Path) -> list[Path]:
    """Write the kit's four files into ``out`` (made if needed); returns them."""
    out.mkdir(parents=True, exist_ok=True)
    stem = kit.survey.replace("_", "-")
    script = out / f"{stem}-google-forms.gs"
    script.write_text(google_apps_script(kit), encoding="utf-8")
    return [
        microsoft_forms_docx(kit, out / f"{stem}-microsoft-forms.docx"),
        script,
        paper_pdf(kit, out / f"{stem}-paper.pdf"),
        tally_workbook(kit, out / f"{stem}-tally.xlsx"),
    ]


def save_kit_mapping(
    store: Store, kit: Kit, school_ids: list[str], *, for_trust: bool, saved_by: str = ""
) -> list[int]:
    """Save the kit's mapping under its form's header signature, for each school of ``school_ids`` (with
    ``for_trust``: for each school's trust, once per trust). Returns the saved mappings' ids."""
    from ..intake.saved_mappings import header_signature

    titles = [q.title for q in kit.online_questions()]
    signature = header_signature(titles)
    saved = []
    for school_id in school_ids:
        saved.append(
            store.save_import_mapping(
                school_id,
                kit.survey,
                signature,
                kit.mapping().to_yaml(),
                for_trust=for_trust,
                headers="\n".join(titles),
                file_name="wqm survey kit",
                saved_by=saved_by,
                source="survey kit",
            )
        )
    return saved


__all__ = [
    "DONT_KNOW",
    "Kit",
    "KitQuestion",
    "google_apps_script",
    "kit_of",
    "microsoft_forms_docx",
    "paper_pdf",
    "save_kit_mapping",
    "tally_rows",
    "tally_workbook",
    "write_kit",
]
