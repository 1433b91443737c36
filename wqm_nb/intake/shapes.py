"""Which tool made an export, how many header rows it has, and what each column is.

The shapes (sources in ``docs/survey-export-formats.md``):

* **Microsoft Forms** (``.xlsx``, or a CSV saved from it): one header row that
  starts ``ID, Start time, Completion time, Email, Name`` (also ``Id``, and
  the French, Spanish and German wordings), sometimes ``Last modified time``;
  quizzes add ``Total points``, ``Quiz feedback`` and ``Points - <Q>`` /
  ``Feedback - <Q>`` columns. A Likert question is one column per statement.
* **Google Forms** (CSV from the form, or from its response sheet): one header
  row that starts ``Timestamp``; ``Email address`` (or ``Email Address``) and
  ``Score`` when collected; a grid question is one column per row, headed
  ``Question [Row]``.
* **SurveyMonkey** (CSV or XLSX, "All individual responses"): two header
  rows; row 1 the question (blank under the second and later columns of the
  same question), row 2 ``Response``, ``Open-Ended Response`` or the
  sub-label (a matrix row's statement, an option, ``Other (please
  specify)``); metadata columns ``Respondent ID, Collector ID, Start Date, End
  Date, IP Address, Email Address, First Name, Last Name, Custom Data 1``, or
  in the legacy export ``RespondentID, CollectorID, StartDate, EndDate, ...,
  LastName, Custom Data`` (its row 2 may hold NUL bytes under them). Known
  also when the metadata columns were deleted, by row 2 alone; with one
  header row when a ``RespondentID`` column holds an id in row 2 (the sub-labels
  were merged into row 1 as ``Question - Other (please specify)``). A column
  of ``Other (please specify)`` answers is never matched by its question's
  text: the question's own column is. A ``Unnamed: 13`` header (the file went
  through pandas) is a blank one.
* **Paper tally**: one row per item (and subgroup), a column ``item`` (an
  item id or its text) and one column per answer label holding counts.
* **Generic**: any other table with one header row.

Columns that carry personal data or metadata (names, emails, IP addresses,
respondent and collector ids, custom data, times, quiz scores) are marked
here by their header and never read further.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..data import QuestionBank
from ..data.import_mapping import normalise_text
from ..data.surveys import NOT_ANSWERED
from .files import RawTable, column_letter

MICROSOFT_FORMS = "microsoft-forms"
GOOGLE_FORMS = "google-forms"
SURVEYMONKEY = "surveymonkey"
TALLY = "tally"
GENERIC = "generic"
TOOL_NAMES = {
    MICROSOFT_FORMS: "Microsoft Forms",
    GOOGLE_FORMS: "Google Forms",
    SURVEYMONKEY: "SurveyMonkey",
    TALLY: "paper tally",
    GENERIC: "generic table",
}

PERSONAL, METADATA, QUESTION = "personal", "metadata", "question"
#: A column of "Other (please specify)" answers: free text beside a question, never the question's item.
OTHER = "other"
_OTHER = re.compile(r"(^|\s-\s)other \(please specify\)$")

#: Headers (normalised) of columns with personal data: dropped on read, in every shape.
PERSONAL_HEADERS = frozenset(
    {
        "id",
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "name",
        "full name",
        "your name",
        "your full name",
        "your email",
        "your email address",
        "first name",
        "last name",
        "surname",
        "forename",
        "given name",
        "family name",
        "ip address",
        "ip",
        "respondent id",
        "respondent",
        "collector id",
        "username",
        "user name",
        "user",
        "responder",
        "phone",
        "phone number",
        "telephone",
        "mobile",
        "address",
        "postcode",
        "date of birth",
        "dob",
        "upn",
        "pupil number",
        "student id",
        "staff id",
        # SurveyMonkey's legacy export
        "respondentid",
        "collectorid",
        "firstname",
        "lastname",
        "adresse de messagerie",
        "nom",
        "correo electrónico",
        "nombre",
        "e-mail-adresse",
    }
)
#: Prefixes (normalised) of personal-data headers (``Custom Data 1``, ``Custom Data 2``...).
PERSONAL_PREFIXES = ("custom data", "custom variable", "contact information")
#: Headers (normalised) of metadata columns: dropped on read.
METADATA_HEADERS = frozenset(
    {
        "start time",
        "completion time",
        "last modified time",
        "timestamp",
        "start date",
        "end date",
        "startdate",
        "enddate",
        "score",
        "total score",
        "total points",
        "quiz feedback",
        "grade posted time",
        "submitted",
        "submission time",
        "date",
        "time",
        "heure de début",
        "heure de fin",
        "hora de inicio",
        "hora de finalización",
        "startzeit",
        "fertigstellungszeit",
        "marca temporal",
        "horodateur",
        "zeitstempel",
        "informazioni cronologiche",
    }
)
METADATA_PREFIXES = ("points - ", "feedback - ")
METADATA_SUFFIXES = ("[score]", "[feedback]")
_START_TIME = {"start time", "heure de début", "hora de inicio", "startzeit"}
_COMPLETION_TIME = {"completion time", "heure de fin", "hora de finalización", "fertigstellungszeit"}
_TIMESTAMP = {"timestamp", "marca temporal", "horodateur", "zeitstempel", "informazioni cronologiche"}
_GOOGLE_DIRECT_TIME = re.compile(r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}( [AP]M)? ?(GMT[+-]?[\d:]*|[A-Z]{2,5})?$")
_GRID = re.compile(r"^(?P<question>.*\S)\s*\[(?P<row>[^\[\]]+)\]\s*$")
TALLY_ITEM_HEADERS = ("item", "item id", "question", "statement")


@dataclass(frozen=True)
class Column:
    """One column of an export: where it is, its header, and the texts to match it by."""

    index: int
    header: str  # as exported (SurveyMonkey: "question / sub-label")
    texts: tuple[str, ...]  # candidate texts for matching, best first
    kind: str  # PERSONAL, METADATA or QUESTION

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass(frozen=True)
class Shape:
    """What :func:`detect_shape` found."""

    tool: str
    header_rows: int
    columns: tuple[Column, ...]
    detail: str = ""  # e.g. "downloaded from the form (timestamps with a time zone)"

    @property
    def tool_name(self) -> str:
        return TOOL_NAMES[self.tool]


def shown_header(header: str, width: int = 70) -> str:
    """A header as the user sees it in a one-line list: a line break shown as ``⏎``, a no-break space as a
    space, and a long header cut in the middle (``…``), so a grid column's ``[Row]`` at its end stays
    visible."""
    text = " ⏎ ".join(part.strip() for part in str(header).replace("\r\n", "\n").split("\n"))
    text = text.replace("\u00a0", " ").replace("\t", " ")
    if len(text) <= width:
        return text
    head = (width - 1) * 3 // 5
    return text[:head].rstrip() + "…" + text[len(text) - (width - 1 - head) :].lstrip()


def quoted_header(header: str) -> str:
    """A header in double quotes as a YAML mapping file needs it: what is pasted from a message into a mapping
    matches its column (a line break as ``\\n``, a no-break space kept as it is)."""
    return json.dumps(str(header), ensure_ascii=False)


def header_kind(header: str) -> str:
    """PERSONAL, METADATA, OTHER ("Other (please specify)") or QUESTION, by the header alone."""
    text = normalise_text(header)
    if text in PERSONAL_HEADERS or text.startswith(PERSONAL_PREFIXES):
        return PERSONAL
    if text in METADATA_HEADERS or text.startswith(METADATA_PREFIXES) or text.endswith(METADATA_SUFFIXES):
        return METADATA
    if _OTHER.search(text):
        return OTHER
    return QUESTION


def _row(table: RawTable, k: int) -> list[str]:
    if len(table.cells) <= k:
        return []
    return [str(v).strip() for v in table.cells.iloc[k].tolist()]


#: A survey tool's layout: the :class:`Shape` of a table it recognises from its first row (as written,
#: and folded), else None.
Detector = Callable[[RawTable, list[str], list[str], QuestionBank], "Shape | None"]


#: SurveyMonkey's metadata headers (current and legacy), normalised, and its generic second-row labels
_SURVEYMONKEY_IDS = {"respondent id", "collector id", "respondentid", "collectorid"}
_SURVEYMONKEY_SUBS = {"response", "open-ended response"}
_PANDAS_BLANK = re.compile(r"^unnamed: \d+$")


def _surveymonkey_export(table: RawTable, first: list[str], folded: list[str], bank: QuestionBank) -> Shape | None:
    second = [normalise_text(v) for v in _row(table, 1)]
    ids = [i for i, h in enumerate(folded[:12]) if h in _SURVEYMONKEY_IDS]
    if ids:
        if not any(second[i].strip() for i in ids if i < len(second)):  # no id in row 2: a header row
            return _surveymonkey(table, first)
        return _one_header(table, first, SURVEYMONKEY, "one header row (sub-labels in the question)")
    if _SURVEYMONKEY_SUBS & set(second):  # metadata deleted: known by its second header row
        return _surveymonkey(table, first, "two header rows, metadata columns deleted")
    return None


def _microsoft_forms(table: RawTable, first: list[str], folded: list[str], bank: QuestionBank) -> Shape | None:
    if len(folded) >= 3 and folded[0] == "id" and folded[1] in _START_TIME and folded[2] in _COMPLETION_TIME:
        return _one_header(table, first, MICROSOFT_FORMS, "")
    return None


def _google_forms(table: RawTable, first: list[str], folded: list[str], bank: QuestionBank) -> Shape | None:
    if not (folded and folded[0] in _TIMESTAMP):
        return None
    sample = _row(table, 1)[:1]
    direct = bool(sample and _GOOGLE_DIRECT_TIME.match(sample[0]))
    detail = (
        "downloaded from the form (timestamps with a time zone)" if direct else "downloaded from the response sheet"
    )
    return _one_header(table, first, GOOGLE_FORMS, detail)


def _paper_tally(table: RawTable, first: list[str], folded: list[str], bank: QuestionBank) -> Shape | None:
    return _one_header(table, first, TALLY, "counts per item and answer") if _is_tally(folded, bank) else None


#: The layouts recognised, tried in order; the first that recognises a table wins, and a table none
#: recognises is read as a generic one-header table. A new tool's export is one more detector here.
DETECTORS: list[Detector] = [_surveymonkey_export, _microsoft_forms, _google_forms, _paper_tally]


def detect_shape(table: RawTable, bank: QuestionBank) -> Shape:
    """Recognise the tool and header layout of ``table`` (see the module notes and :data:`DETECTORS`)."""
    first = _row(table, 0)
    folded = [normalise_text(h) for h in first]
    for detect in DETECTORS:
        shape = detect(table, first, folded, bank)
        if shape is not None:
            return shape
    return _one_header(table, first, GENERIC, "")


def _one_header(table: RawTable, first: list[str], tool: str, detail: str) -> Shape:
    columns = []
    for index, header in enumerate(first):
        grid = _GRID.match(header)
        texts = (header, grid["row"], grid["question"]) if grid else (header,)
        columns.append(Column(index, header, texts, header_kind(header)))
    return Shape(tool, 1, tuple(columns), detail)


def _surveymonkey(table: RawTable, first: list[str], detail: str = "two header rows") -> Shape:
    second = [v.replace("\x00", "") for v in _row(table, 1)]
    generic_subs = _SURVEYMONKEY_SUBS | {""}
    columns, question = [], ""
    for index, header in enumerate(first):
        sub = " ".join(second[index].split()) if index < len(second) else ""
        if header and not _PANDAS_BLANK.match(normalise_text(header)):
            question = header
        kind = header_kind(question)
        if normalise_text(sub) in generic_subs:
            columns.append(Column(index, question, (question,), kind))
        else:
            shown = f"{question} / {sub}" if question else sub
            kind = header_kind(sub) if header_kind(sub) in (PERSONAL, OTHER) else kind
            # a sub-label is matched by itself (a matrix row's statement), never by its question's text alone:
            # "Other (please specify)" and an option's column would take the question's item
            columns.append(Column(index, shown, (sub, shown), kind))
    return Shape(SURVEYMONKEY, 2, tuple(columns), detail)


_DATE_TIME = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?.*)?$")


def _is_answer(cell: str, bank: QuestionBank) -> bool:
    """Whether a cell reads as an answer (a date or time, a number, a label of any scale), not a question."""
    text = cell.strip()
    if _DATE_TIME.match(text):
        return True
    try:
        float(text)
        return True
    except ValueError:
        pass
    for scale in bank.scales:
        try:
            if scale.value_of(text) is not None:
                return True
        except ValueError:
            continue
    return False


def looks_like_answers(table: RawTable, bank: QuestionBank) -> bool:
    """Whether the first row of ``table`` reads as a row of answers, as the second does: the header row was
    deleted (at least three filled cells, 60% or more of them dates, numbers or answer labels)."""
    rows = [[c for c in _row(table, k) if c.strip()] for k in (0, 1)]
    if any(len(r) < 3 for r in rows):
        return False
    return all(sum(_is_answer(c, bank) for c in r) >= 0.6 * len(r) for r in rows)


def _is_tally(folded: list[str], bank: QuestionBank) -> bool:
    if not folded or folded[0] not in TALLY_ITEM_HEADERS:
        return False
    labels = set()
    for scale in bank.scales:  # the survey is not known yet: any survey's answer labels
        labels |= {normalise_text(level.label) for level in scale.levels} | {str(v) for v in scale.values}
        labels |= {normalise_text(a) for _, values in scale.aliases for a in values}
    answers = [h for h in folded[1:] if h in labels or h in NOT_ANSWERED]
    return len(answers) >= 3


__all__ = [
    "GENERIC",
    "GOOGLE_FORMS",
    "METADATA",
    "MICROSOFT_FORMS",
    "OTHER",
    "PERSONAL",
    "QUESTION",
    "SURVEYMONKEY",
    "TALLY",
    "TOOL_NAMES",
    "Column",
    "DETECTORS",
    "Detector",
    "Shape",
    "detect_shape",
    "header_kind",
    "looks_like_answers",
    "quoted_header",
    "shown_header",
]
