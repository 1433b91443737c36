"""Seeded generator of survey export fixtures for the survey importer's tests.

Writes small files in the shapes that Microsoft Forms, Google Forms (direct
download and linked-Sheet CSV) and SurveyMonkey (CSV and XLSX, two header
rows) really export (see ``docs/survey-export-formats.md``), plus hand-made
CSVs (semicolon/cp1252, tab, ``sep=`` hint), paper tallies and broken files,
and returns a manifest of what each file holds so a test can check an import
against it.

Everything is invented: the respondent names, emails, IP addresses, ids and
custom data come from fixed made-up lists and never appear in any question or
answer column, so a test can assert that none of them reaches the store. The
item texts come from the bundled question bank (``wqm_nb/data/surveys.yaml``),
read directly with PyYAML.

Usage::

    python tests/intake/make_exports.py OUT_DIR        # also writes OUT_DIR/manifest.json

or from a test (tests run with ``--import-mode=importlib``)::

    spec = importlib.util.spec_from_file_location("make_exports", path)
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    manifest = module.write_exports(tmp_path)

Output is byte-identical for the same seed: every random choice comes from a
``random.Random`` (or ``numpy.random.default_rng``) seeded from ``seed`` and
the file name, timestamps are drawn from fixed ranges, and xlsx files are
re-zipped with fixed entry dates and fixed document properties.

Manifest (``write_exports`` return value), keyed by file name. A valid file::

    tool            "microsoft-forms" | "google-forms" | "surveymonkey" | "generic" | "tally"
    survey          "staff" | "pupil" | "parent"
    rows            data rows in the file (header rows and a ``sep=`` line not counted)
    kept            respondents with at least one answered scale item (None for tallies)
    dropped_empty   rows with no scale answer at all (0 for tallies)
    encoding        "utf-8" | "utf-8-sig" | "cp1252"
    delimiter       "," | ";" | "\\t" | None (xlsx)
    item_counts     {item id: {1: n, 2: n, 3: n, 4: n, 5: n}} over kept answers (all five keys);
                    for tallies summed over subgroups
    subgroup_counts {bank subgroup value, or "" when not given: kept respondents} (None for tallies)
    personal_values every distinct non-empty value written into personal/metadata columns
                    (Email, Name, Email address, Respondent ID, Collector ID, IP Address,
                    First/Last Name, Custom Data 1) and free-text (non-bank) question columns.
                    Not included: "anonymous", Microsoft Forms' sequential ID, timestamps.
    comments        the non-empty comment texts written, in row order

plus helpers: ``items`` (item ids in column order), ``item_headers`` ({item id: header as
written}; for SurveyMonkey the row-2 statement), ``subgroup_header``, ``comment_header``,
``free_text_headers``, ``header_rows`` (1 or 2), ``sheet`` (xlsx), ``comments_naming_staff``,
``safeguarding_comments``; tallies also ``subgroup_item_counts`` / ``dont_know_counts``.
A broken file has ``error``: {``kind``: "unknown_label" | "unmatched_scale_column" | "html" |
"empty" | "header_only" | "not_a_survey", and where relevant ``row`` (1-based spreadsheet row,
header = row 1), ``column`` (header as written), ``value``}.

``write_large_csv`` / ``write_large_xlsx`` write a big Microsoft Forms-like file for the
speed benchmark (numpy-generated; ``large_bank_items`` gives its 30 item ids and texts).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import random
import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml
from openpyxl import Workbook

DEFAULT_SEED = 20261130
FIXED_DOC_TIME = dt.datetime(2025, 1, 1, 9, 0, 0)
_ZIP_TIME = (2025, 1, 1, 9, 0, 0)

#: Invented staff of the invented school; comments name some of them.
STAFF_LIST = ("Ruth Patel", "Daniel Okafor", "Priya Anand", "Helen Marsh")

# Invented respondents (personal data columns only). None of these words occurs in any
# question, answer, comment or free-text value.
_FIRST = (
    "Amelia",
    "Tobias",
    "Marisol",
    "Kwabena",
    "Ingrid",
    "Rafferty",
    "Saoirse",
    "Anouk",
    "Bartholomew",
    "Zuzanna",
    "Oluwaseun",
    "Fenella",
    "Leopold",
    "Ximena",
    "Cosmo",
    "Elspeth",
    "Henrik",
    "Imogen",
    "Jolyon",
    "Wilhelmina",
)
_LAST = (
    "Osei",
    "Lindqvist",
    "Achterberg",
    "Thorsdottir",
    "Villanueva-Pike",
    "Quennell",
    "Abernathy-Roe",
    "Castellanos",
    "Fairweather",
    "Okonkwo-Lund",
    "Zabrowski",
    "Pemberton-Ashe",
    "Hallvardsen",
    "Nakashima-Reid",
    "Trelawney",
    "Vasquez-Holt",
    "Brightwater",
    "Ferreira-Kent",
    "Dunmore",
    "Ravensworth",
)
_DOMAINS = ("example.org", "example.net", "example.com")

# --------------------------------------------------------------------------
# question bank


def bank_path() -> Path:
    """The bundled question bank file."""
    here = Path(__file__).resolve().parents[2] / "wqm_nb" / "data" / "surveys.yaml"
    if here.exists():
        return here
    import importlib.util

    spec = importlib.util.find_spec("wqm_nb")
    return Path(spec.origin).parent / "data" / "surveys.yaml"


def load_bank(path: Path | None = None) -> dict:
    """The question bank as plain data (read with yaml.safe_load)."""
    return yaml.safe_load(Path(path or bank_path()).read_text(encoding="utf-8"))


def _items(bank: dict, survey: str) -> list[tuple[str, str]]:
    return [(i["id"], i["text"]) for i in bank["surveys"][survey]["items"]]


def _comment_text(bank: dict, survey: str) -> str:
    return bank["surveys"][survey]["comments"][0]["text"]


def _subgroup_question(bank: dict, survey: str) -> str:
    return bank["surveys"][survey]["subgroup"]["question"]


# --------------------------------------------------------------------------
# text as real people write it


def curly(text: str) -> str:
    return text.replace("'", "\u2019")


def double_space(text: str) -> str:
    words = text.split(" ")
    k = min(3, len(words) - 1)
    return " ".join(words[:k]) + "  " + " ".join(words[k:])


def question_mark(text: str) -> str:
    return text.rstrip(".") + "?"


def required(text: str) -> str:
    return text + " *"


LIKERT = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree", 5: "Strongly agree"}
DK = "dk"  # an explicit "not answered" ("Don't know", "N/A"), rendered per file


def _fixed_labels(labels: dict[int, str], dk: str | None = None) -> Callable:
    def render(rng: random.Random, value):
        if value is None:
            return ""
        if value == DK:
            return dk or ""
        return labels[value]

    return render


def _messy_labels(rng: random.Random, value):
    """A hand-typed answer: varying case and spacing, aliases, several "don't know" spellings."""
    if value is None:
        return ""
    if value == DK:
        return rng.choice(["Don't know", "N/A", "don\u2019t know", "n/a", " Don't Know"])
    label = LIKERT[value]
    if value == 3:
        label = rng.choice([label, label, "Neutral", "neither agree nor disagree", "Neither agree or disagree"])
    style = rng.random()
    if style < 0.45:
        return label
    if style < 0.65:
        return label.lower()
    if style < 0.75:
        return f" {label} "
    if style < 0.82:
        return label.upper()
    if style < 0.9:
        return label.title()
    if style < 0.95:
        return label + " "
    return label.replace(" ", "  ", 1) if " " in label else " " + label


def _numbers(rng: random.Random, value):
    return "" if value is None or value == DK else value


# --------------------------------------------------------------------------
# comments and free text (invented; none contains a respondent's name)

_SPECIAL = {
    "staff": [
        "Mrs Patel was really kind when I came back after my operation.",
        "Priya in the office always asks how we are doing.",
        "I have thought about self-harm when the workload was at its worst (synthetic test comment).",
    ],
    "pupil": [
        "Mrs Patel was really kind when I fell over at lunch.",
        "Helen on the playground helps me when I am sad.",
        "Sometimes someone at home hurts me (synthetic test comment).",
    ],
    "parent": [
        "Mrs Patel was really kind to my daughter when she was nervous about starting.",
        "Helen on the front desk is always helpful and calm.",
        "My son has said he has thought about self-harm (synthetic test comment).",
    ],
}
_SPECIAL_TITLED_2 = {
    "staff": "Mr Okafor's wellbeing walks on Fridays make a real difference.",
    "pupil": "Mr Okafor makes maths fun.",
    "parent": "Mr Okafor phoned us straight away when there was a problem, thank you.",
}
_ORDINARY = {
    "staff": [
        "Marking load is heavy in the summer term.",
        "More time for planning would help everyone.",
        "The new wellbeing room is lovely.",
        "Thank you for asking!",
        "Staff briefings could be shorter.",
        'The "calm corner" in the infant classrooms works well.',
        "I feel supported by my year team, less so by the wider school.",
        "Cover arrangements are not always fair.",
    ],
    "pupil": [
        "I like golden time.",
        "The toilets are smelly.",
        "More clubs at lunch please",
        "I don\u2019t like wet play.",
        "Our class has a worry box and it helps.",
        "Some people are unkind on the bus.",
        "I wish we had longer break.",
        "Assemblies about feelings are good.",
    ],
    "parent": [
        "Communication has got much better this year.",
        "Homework causes a lot of stress at home.",
        "Pick-up is chaotic, but staff are friendly.",
        "We would like more information about clubs.",
        "The school app messages are really useful.",
        "Thank you to all the staff.",
        "It took a long time to get a reply about an incident.",
        "Our child loves coming to school.",
    ],
}
_MULTILINE = {
    "staff": "Two things:\nfewer meetings after school\nand more praise from leaders.",
    "pupil": "I like school.\n\nI like my teacher.",
    "parent": "Overall positive.\nOne concern about lunchtimes though.",
}
_CP1252_COMMENT = {"staff": "The caf\u00e9 budget of \u00a3200 for the staff room was well spent \u2013 thank you."}

_CHANGE = [  # "What one thing would you change?"
    "Fewer after-school meetings on Mondays.",
    "A quiet room for staff at lunchtime.",
    "Clearer marking policy for the juniors.",
    "Protected planning time every week.",
    "Less data entry at the end of each half term.",
    "Earlier notice of cover.",
    "A proper kettle in the upstairs staffroom.",
    "Termly check-ins with a line manager.",
    "Shorter reports to parents.",
    "More say in the training days.",
    "Start the school day ten minutes later.",
    "Put the timetable online sooner.",
    "Recognise the work of the support team more often.",
    "Trips planned further ahead.",
]
_CHANGE_PARENT = [
    "Parents evening slots in the early evening.",
    "A one-way system at pick-up.",
    "Reading books changed more often.",
    "Healthier snacks at breakfast club.",
    "Earlier dates for the summer trips.",
    "A termly coffee morning with the head.",
    "Weekly newsletter on the same day each week.",
    "More outdoor learning in winter.",
    "Clearer homework instructions.",
    "Cheaper uniform options.",
]
_ACTIVITIES = [
    "Football club",
    "Choir",
    "Forest school",
    "Coding club",
    "Drama club",
    "Lego club",
    "Gymnastics",
    "Art club",
]


# --------------------------------------------------------------------------
# respondents


class Resp:
    """One respondent. A plain class, not a dataclass: dataclasses need the module in
    sys.modules, which a test's spec_from_file_location import does not register."""

    __slots__ = ("group", "values", "comment", "free")

    def __init__(self, group: str, values: dict[str, object], comment: str = "", free: str = ""):
        self.group = group  # bank subgroup value, "" when not given
        self.values = values  # item id -> 1..5, DK or None (blank)
        self.comment = comment
        self.free = free

    @property
    def kept(self) -> bool:
        return any(isinstance(v, int) for v in self.values.values())


def _respondents(
    rng: random.Random,
    bank: dict,
    survey: str,
    n: int,
    n_empty: int,
    groups: dict[str, float] | None,
    *,
    p_no_group=0.06,
    p_partial=0.2,
    p_dk=0.04,
    comment_pool: list[str] | None = None,
    p_free=0.0,
    free: Callable[[random.Random], str] | None = None,
    empty_group_given=0.5,
) -> list[Resp]:
    """n respondents of whom n_empty answered no scale item at all.

    Each comment in ``comment_pool`` is given to one kept respondent; ``free`` makes the
    answer to a free-text question for a share ``p_free`` of kept respondents.
    """
    items = [i for i, _ in _items(bank, survey)]
    centre = {i: rng.uniform(3.5, 4.4) for i in items}
    shift = {"leadership": 0.4, "support": -0.3, "Y9": -0.4, "Y10": -0.5, "Y8": -0.2, "R": 0.3}
    empty_at = set(rng.sample(range(n), n_empty))
    out = []
    for k in range(n):
        if groups and rng.random() >= p_no_group:
            group = rng.choices(list(groups), weights=list(groups.values()))[0]
        else:
            group = ""
        if k in empty_at:
            if empty_group_given == 1.0 and not group:
                group = rng.choices(list(groups), weights=list(groups.values()))[0]
            out.append(Resp(group=group if rng.random() < empty_group_given else "", values={i: None for i in items}))
            continue
        partial = rng.random() < p_partial
        values: dict[str, object] = {}
        for i in items:
            if partial and rng.random() < 0.35:
                values[i] = None
            elif rng.random() < p_dk:
                values[i] = DK
            else:
                values[i] = min(5, max(1, round(rng.gauss(centre[i] + shift.get(group, 0), 0.95))))
        if not any(isinstance(v, int) for v in values.values()):
            values[rng.choice(items)] = rng.randint(2, 5)
        out.append(Resp(group=group, values=values))
    kept = [r for r in out if r.kept]
    if comment_pool:
        commenters = rng.sample(kept, min(len(kept), len(comment_pool)))
        commenters.sort(key=out.index)
        for r, text in zip(commenters, comment_pool, strict=False):
            r.comment = text
    if free:
        for r in kept:
            if rng.random() < p_free:
                r.free = free(rng)
    return out


def _comment_pool(rng: random.Random, survey: str, *, multiline=False, extra: list[str] = ()) -> list[str]:
    """Special comments (staff named with a title, a staff first name, safeguarding) + ordinary ones."""
    special = list(_SPECIAL[survey]) + [_SPECIAL_TITLED_2[survey]]
    ordinary = rng.sample(_ORDINARY[survey], 5) + list(extra)
    if multiline:
        ordinary.append(_MULTILINE[survey])
    pool = special + ordinary
    rng.shuffle(pool)
    return pool


def _people(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """n distinct invented people: (first, last, email)."""
    pairs = rng.sample([(f, s) for f in _FIRST for s in _LAST], n)
    out = []
    for f, s in pairs:
        email = f"{f.lower()}.{s.lower()}@{rng.choice(_DOMAINS)}"
        out.append((f, s, email))
    return out


def _times(rng: random.Random, n: int, start: dt.datetime, days: int) -> list[dt.datetime]:
    """n sorted timestamps on school days between 7:30 and 21:30."""
    out = []
    while len(out) < n:
        day = start + dt.timedelta(days=rng.randrange(days))
        if day.weekday() >= 5:
            continue
        out.append(day.replace(hour=7, minute=30, second=0) + dt.timedelta(seconds=rng.randrange(14 * 3600)))
    return sorted(out)


def _ampm(d: dt.datetime) -> tuple[int, str]:
    h = d.hour % 12 or 12
    return h, ("AM" if d.hour < 12 else "PM")


def google_direct_time(d: dt.datetime, zone: str) -> str:
    h, p = _ampm(d)
    return f"{d:%Y/%m/%d} {h}:{d:%M:%S} {p} {zone}"


def google_sheet_time(d: dt.datetime) -> str:
    return f"{d.month}/{d.day}/{d.year} {d.hour}:{d:%M:%S}"


def surveymonkey_time(d: dt.datetime) -> str:
    h, p = _ampm(d)
    return f"{d:%m/%d/%Y} {h:02d}:{d:%M:%S} {p}"


# --------------------------------------------------------------------------
# writing


def _csv_text(rows: list[list], delimiter=",", lineterminator="\n", quoting=csv.QUOTE_MINIMAL) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator, quoting=quoting)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def _write_text(path: Path, text: str, encoding: str) -> None:
    path.write_bytes(text.encode(encoding))


def _normalise_zip(src, dest: Path) -> None:
    """Re-zip an xlsx with fixed entry dates and fixed core properties (byte-stable output)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            if info.filename == "docProps/core.xml":
                stamp = FIXED_DOC_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
                xml = zin.read(info).decode("utf-8")
                xml = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m, stamp=stamp: m.group(1) + stamp + m.group(3),
                    xml,
                )
                zout.writestr(zi, xml.encode("utf-8"))
                continue
            with zin.open(info) as fin, zout.open(zi, "w", force_zip64=True) as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)


def _save_xlsx(wb: Workbook, path: Path) -> None:
    wb.properties.created = FIXED_DOC_TIME
    wb.properties.modified = FIXED_DOC_TIME
    wb.properties.creator = "wqm test fixtures"
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    _normalise_zip(buf, path)


def _check_no_leak(name: str, rows: list[list], personal_cols: set[int], personal: list[str]) -> None:
    """No personal value may appear in a question header or a non-personal cell."""
    text = "\n".join(str(v) for row in rows for j, v in enumerate(row) if v is not None and j not in personal_cols)
    leaked = [p for p in personal if p in text]
    if leaked:
        raise AssertionError(f"{name}: personal values in answer/question columns: {leaked}")


def _personal(rows: list[list], cols: set[int], skip=("anonymous",)) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for j in sorted(cols):
            v = row[j] if j < len(row) else None
            if v is None or isinstance(v, dt.datetime):
                continue
            s = str(v)
            if s.strip() and s not in skip:
                seen.setdefault(s, None)
    return list(seen)


def _entry(
    tool: str,
    survey: str,
    resps: list[Resp],
    *,
    encoding,
    delimiter,
    personal: list[str],
    item_headers: dict[str, str],
    subgroup_header: str | None,
    comment_header: str | None,
    free_text_headers: list[str] = (),
    header_rows=1,
    **extra,
) -> dict:
    kept = [r for r in resps if r.kept]
    item_counts = {i: {v: 0 for v in range(1, 6)} for i in item_headers}
    for r in kept:
        for i, v in r.values.items():
            if isinstance(v, int):
                item_counts[i][v] += 1
    subgroups: dict[str, int] = {}
    for r in kept:
        subgroups[r.group] = subgroups.get(r.group, 0) + 1
    comments = [r.comment for r in resps if r.comment]
    entry = {
        "tool": tool,
        "survey": survey,
        "rows": len(resps),
        "kept": len(kept),
        "dropped_empty": len(resps) - len(kept),
        "encoding": encoding,
        "delimiter": delimiter,
        "item_counts": item_counts,
        "subgroup_counts": dict(sorted(subgroups.items())) if subgroup_header else None,
        "personal_values": personal,
        "comments": comments,
        "items": list(item_headers),
        "item_headers": dict(item_headers),
        "subgroup_header": subgroup_header,
        "comment_header": comment_header,
        "free_text_headers": list(free_text_headers),
        "header_rows": header_rows,
        "comments_naming_staff": [
            c for c in comments if re.search(r"\b(Mrs|Mr) (Patel|Okafor)\b|\b(Priya|Helen)\b", c)
        ],
        "safeguarding_comments": [c for c in comments if "self-harm" in c or "hurts me" in c],
    }
    entry.update(extra)
    return entry


# --------------------------------------------------------------------------
# Microsoft Forms


def _msforms_staff(out: Path, bank: dict, seed: int) -> dict:
    name = "msforms_staff.xlsx"
    rng = random.Random(f"{seed}/{name}")
    n = 64
    pool = _comment_pool(rng, "staff", multiline=True)
    resps = _respondents(
        rng,
        bank,
        "staff",
        n,
        3,
        {"teaching": 5, "support": 4, "leadership": 1},
        comment_pool=pool,
        p_free=0.35,
        free=lambda r: r.choice(_CHANGE),
        p_dk=0.0,
    )
    role_label = {
        "teaching": ["Teacher"],
        "support": ["Teaching assistant", "Office staff"],
        "leadership": ["Senior leader"],
    }
    labels = _fixed_labels({1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree"})
    items = _items(bank, "staff")
    mangle = {
        "S01": curly,
        "S03": curly,
        "S04": lambda t: t + " ",
        "S07": double_space,
        "S10": lambda t: t.rstrip(".").replace(" ", "\u00a0", 1),
        "S12": lambda t: t + "  ",
    }
    headers = {i: mangle.get(i, lambda t: t)(t) for i, t in items}
    role_q, free_q, comment_q = (
        _subgroup_question(bank, "staff"),
        "What one thing would you change?",
        _comment_text(bank, "staff"),
    )
    header = [
        "ID",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        "Last modified time",
        role_q,
        *headers.values(),
        free_q,
        comment_q,
    ]
    people = _people(rng, n)
    starts = _times(rng, n, dt.datetime(2025, 11, 10), 12)
    rows = [header]
    rid = 0
    for r, start, (first, last, email) in zip(resps, starts, people, strict=False):
        rid += rng.choice([1, 1, 1, 1, 2])
        done = start + dt.timedelta(seconds=rng.randint(95, 900))
        named = rng.random() < 0.55
        modified = (
            done + dt.timedelta(days=rng.randint(0, 3), seconds=rng.randint(60, 7200)) if rng.random() < 0.12 else None
        )
        role = rng.choice(role_label[r.group]) if r.group else None
        rows.append(
            [
                rid,
                start,
                done,
                email if named else "anonymous",
                f"{first} {last}" if named else None,
                modified,
                role,
                *(labels(rng, r.values[i]) or None for i in headers),
                r.free or None,
                r.comment or None,
            ]
        )
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in rows:
        ws.append(row)
    for col in "BCF":
        for cell in ws[col][1:]:
            cell.number_format = "m/d/yy h:mm:ss"
    _save_xlsx(wb, out / name)
    personal_cols = {3, 4, len(header) - 2}
    personal = _personal(rows[1:], personal_cols)
    _check_no_leak(name, rows, personal_cols, personal)
    return _entry(
        "microsoft-forms",
        "staff",
        resps,
        encoding=None,
        delimiter=None,
        personal=personal,
        item_headers=headers,
        subgroup_header=role_q,
        comment_header=comment_q,
        free_text_headers=[free_q],
        sheet="Sheet1",
    )


# --------------------------------------------------------------------------
# Google Forms


def _google_pupil_direct(out: Path, bank: dict, seed: int) -> dict:
    name = "google_pupil_direct.csv"
    rng = random.Random(f"{seed}/{name}")
    n = 72
    pool = _comment_pool(rng, "pupil", multiline=True, extra=["Caf\u00e9 club on Fridays is the best."])

    def activities(r: random.Random) -> str:
        return ";".join(r.sample(_ACTIVITIES, r.randint(2, 3)))

    resps = _respondents(
        rng, bank, "pupil", n, 4, {"Y4": 3, "Y5": 3, "Y6": 3}, comment_pool=pool, p_free=0.6, free=activities, p_dk=0.05
    )
    labels = _fixed_labels(LIKERT, "Don't know")
    items = _items(bank, "pupil")
    grid = "How much do you agree?"
    plain_mangle = {"U05": lambda t: t + " ", "U06": double_space, "U07": lambda t: "  " + t, "U08": lambda t: t}
    headers = {}
    for i, t in items:
        headers[i] = f"{grid} [{t}]" if i in ("U01", "U02", "U03", "U04") else plain_mangle[i](t)
    year_q, free_q, comment_q = (
        "What year are you in?",
        "Which of these activities do you enjoy?",
        _comment_text(bank, "pupil"),
    )
    header = ["Timestamp", year_q, *headers.values(), free_q, comment_q]
    rows = [header]
    for r, t in zip(resps, _times(rng, n, dt.datetime(2026, 6, 8), 12), strict=False):
        year = {"Y4": "Year 4", "Y5": "Year 5", "Y6": "Year 6"}.get(r.group, "")
        rows.append(
            [google_direct_time(t, "GMT+1"), year, *(labels(rng, r.values[i]) for i in headers), r.free, r.comment]
        )
    _write_text(out / name, _csv_text(rows, quoting=csv.QUOTE_ALL), "utf-8")
    personal_cols = {len(header) - 2}
    personal = _personal(rows[1:], personal_cols)
    _check_no_leak(name, rows, personal_cols, personal)
    return _entry(
        "google-forms",
        "pupil",
        resps,
        encoding="utf-8",
        delimiter=",",
        personal=personal,
        item_headers=headers,
        subgroup_header=year_q,
        comment_header=comment_q,
        free_text_headers=[free_q],
        variant="direct",
    )


def _google_parent_sheet(out: Path, bank: dict, seed: int) -> dict:
    name = "google_parent_sheet.csv"
    rng = random.Random(f"{seed}/{name}")
    n = 58
    pool = _comment_pool(rng, "parent")
    groups = {g: 1.0 for g in ("R", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6")}
    resps = _respondents(
        rng,
        bank,
        "parent",
        n,
        3,
        groups,
        comment_pool=pool,
        p_free=0.4,
        free=lambda r: r.choice(_CHANGE_PARENT),
        p_dk=0.0,
    )
    items = _items(bank, "parent")
    mangle = {"R03": curly, "R05": lambda t: t + " "}
    headers = {i: mangle.get(i, lambda t: t)(t) for i, t in items}
    year_q, free_q, comment_q = (
        _subgroup_question(bank, "parent"),
        "What one thing would you change?",
        _comment_text(bank, "parent"),
    )
    header = ["Timestamp", "Email address", year_q, *headers.values(), free_q, comment_q]
    rows = [header]
    people = _people(rng, n)
    for r, t, (_, _, email) in zip(resps, _times(rng, n, dt.datetime(2025, 11, 3), 19), people, strict=False):
        year = "Reception" if r.group == "R" else (f"Year {r.group[1:]}" if r.group else "")
        rows.append(
            [google_sheet_time(t), email, year, *(_numbers(rng, r.values[i]) for i in headers), r.free, r.comment]
        )
    _write_text(out / name, _csv_text(rows, lineterminator="\r\n"), "utf-8-sig")
    personal_cols = {1, len(header) - 2}
    personal = _personal(rows[1:], personal_cols)
    _check_no_leak(name, rows, personal_cols, personal)
    return _entry(
        "google-forms",
        "parent",
        resps,
        encoding="utf-8-sig",
        delimiter=",",
        personal=personal,
        item_headers=headers,
        subgroup_header=year_q,
        comment_header=comment_q,
        free_text_headers=[free_q],
        variant="sheet",
    )


# --------------------------------------------------------------------------
# SurveyMonkey

_SM_META = [
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
]


def _sm_meta(rng: random.Random, n: int, start: dt.datetime, days: int, *, as_text: bool) -> list[list]:
    """Nine SurveyMonkey metadata cells per respondent: web-link rows leave contact fields empty."""
    people = _people(rng, n)
    web, email_collector = 436228068 + rng.randrange(1000), 436229001 + rng.randrange(1000)
    rid = 114900330067 + rng.randrange(10**6)
    ips = rng.sample(range(2, 254), n)
    out = []
    for k, (t, (first, last, email)) in enumerate(zip(_times(rng, n, start, days), people, strict=False)):
        rid += rng.randint(40, 9000)
        end = t + dt.timedelta(seconds=rng.randint(80, 1200))
        by_email = rng.random() < 0.4
        net = "203.0.113" if k % 3 else "198.51.100"
        row = [
            rid,
            email_collector if by_email else web,
            surveymonkey_time(t) if as_text else t,
            surveymonkey_time(end) if as_text else end,
            f"{net}.{ips[k]}",
        ]
        if by_email:
            row += [email, first, last, f"CD-{rng.randint(1000, 9999)}"]
        else:
            row += [None, None, None, None]
        out.append(row)
    return out


def _surveymonkey(
    name: str,
    survey: str,
    out: Path,
    bank: dict,
    seed: int,
    *,
    n: int,
    n_empty: int,
    groups: dict[str, float],
    group_label: dict[str, str],
    group_q: str,
    matrix_q: str,
    not_answered: str,
    free_q: str | None,
    xlsx: bool,
) -> dict:
    rng = random.Random(f"{seed}/{name}")
    pool = _comment_pool(rng, survey, multiline=not xlsx)
    resps = _respondents(
        rng,
        bank,
        survey,
        n,
        n_empty,
        groups,
        comment_pool=pool,
        p_free=0.35 if free_q else 0.0,
        free=(lambda r: r.choice(_CHANGE)) if free_q else None,
    )
    labels = _fixed_labels(LIKERT, not_answered)
    items = _items(bank, survey)
    headers = {i: curly(t) for i, t in items}
    comment_q = _comment_text(bank, survey)
    row1 = _SM_META + [group_q, matrix_q] + [None] * (len(items) - 1)
    row2 = [None] * len(_SM_META) + ["Response", *headers.values()]
    if free_q:
        row1.append(free_q)
        row2.append("Open-Ended Response")
    row1.append(comment_q)
    row2.append("Open-Ended Response")
    meta = _sm_meta(
        rng, n, dt.datetime(2025, 11, 17) if survey == "staff" else dt.datetime(2026, 2, 2), 10, as_text=not xlsx
    )
    rows = [row1, row2]
    for r, m in zip(resps, meta, strict=False):
        row = m + [group_label.get(r.group) or None, *(labels(rng, r.values[i]) or None for i in headers)]
        if free_q:
            row.append(r.free or None)
        row.append(r.comment or None)
        rows.append(row)
    personal_cols = {0, 1, 4, 5, 6, 7, 8} | ({len(row1) - 2} if free_q else set())
    if xlsx:
        wb = Workbook()
        ws = wb.active
        ws.title = "Sheet"
        for row in rows:
            ws.append(row)
        for col in "CD":
            for cell in ws[col][2:]:
                cell.number_format = "mm/dd/yyyy hh:mm:ss AM/PM"
        _save_xlsx(wb, out / name)
        enc, delim = None, None
    else:
        _write_text(out / name, _csv_text(rows, lineterminator="\r\n"), "utf-8")
        enc, delim = "utf-8", ","
    personal = _personal(rows[2:], personal_cols)
    _check_no_leak(name, rows, personal_cols, personal)
    return _entry(
        "surveymonkey",
        survey,
        resps,
        encoding=enc,
        delimiter=delim,
        personal=personal,
        item_headers=headers,
        subgroup_header=group_q,
        comment_header=comment_q,
        free_text_headers=[free_q] if free_q else [],
        header_rows=2,
        matrix_question=matrix_q,
        **({"sheet": "Sheet"} if xlsx else {}),
    )


# --------------------------------------------------------------------------
# generic (hand-made) files


_STAFF_MESSY_ROLES = {
    "teaching": ["Teacher", "teacher", "Class teacher ", "Teaching staff", "TEACHER"],
    "support": ["Teaching assistant", "TA", "Support staff", "Lunchtime supervisor", "admin staff"],
    "leadership": ["Senior leader", "SLT", "Headteacher", "Deputy headteacher"],
}


def _generic(
    name: str,
    survey: str,
    out: Path,
    bank: dict,
    seed: int,
    *,
    n: int,
    n_empty: int,
    group_q: str,
    group_text: Callable[[random.Random, str], str],
    header_style: Callable,
    render: Callable,
    encoding: str,
    delimiter: str,
    lineterminator: str,
    groups: dict[str, float],
    sep_hint=False,
    extra_comments: list[str] = (),
    extra_column: tuple[str, Callable] | None = None,
    tool="generic",
) -> tuple[dict, bytes]:
    rng = random.Random(f"{seed}/{name}")
    pool = _comment_pool(rng, survey, extra=list(extra_comments))
    # someone who filled in only the role: the row is not a blank line
    resps = _respondents(
        rng, bank, survey, n, n_empty, groups, comment_pool=pool, empty_group_given=1.0, p_no_group=0.04
    )
    items = _items(bank, survey)
    headers = {i: header_style(k, i, t) for k, (i, t) in enumerate(items, 1)}
    comment_q = _comment_text(bank, survey)
    header = [group_q, *headers.values()]
    if extra_column:
        header.append(extra_column[0])
    header.append(comment_q)
    rows = [header]
    for r in resps:
        row = [group_text(rng, r.group) if r.group else "", *(render(rng, r.values[i]) for i in headers)]
        if extra_column:
            row.append(extra_column[1](rng, r))
        row.append(r.comment)
        rows.append(row)
    text = _csv_text(rows, delimiter=delimiter, lineterminator=lineterminator)
    if sep_hint:
        text = f"sep={delimiter}{lineterminator}" + text
    data = text.encode(encoding)
    (out / name).write_bytes(data)
    _check_no_leak(name, rows, set(), [])
    entry = _entry(
        tool,
        survey,
        resps,
        encoding=encoding,
        delimiter=delimiter,
        personal=[],
        item_headers=headers,
        subgroup_header=group_q,
        comment_header=comment_q,
        skip_lines=1 if sep_hint else 0,
    )
    return entry, data


def _numbered_staff(k: int, item: str, text: str) -> str:
    if item in ("S03", "S08"):
        return f"{k}. {question_mark(text)}"
    if item in ("S05", "S11"):
        return f"{k}. {required(text)}"
    if item == "S06":
        return f"{k}.  {text} "
    return f"{k}. {text}"


def _q_staff(k: int, item: str, text: str) -> str:
    text = curly(text)
    if item == "S02":
        text = text.lower()
    if item == "S13":
        text = required(text)
    return f"Q{k}) {text}"


def _pupil_tab(k: int, item: str, text: str) -> str:
    if item == "U01":
        return text.upper().rstrip(".")
    if item == "U05":
        return text.lower()
    if item in ("U02", "U07"):
        return required(text)
    if item == "U04":
        return double_space(text) + " "
    return text


def _sep_hint_staff(k: int, item: str, text: str) -> str:
    if item in ("S01", "S09"):
        return text.upper()
    if item == "S04":
        return text.rstrip(".")
    return text


def _pupil_year(rng: random.Random, group: str) -> str:
    n = group[1:]
    return rng.choice([f"Year {n}", f"Yr {n}", f"Y{n}", n, f"year {n} ", f"Year  {n}"])


# --------------------------------------------------------------------------
# tallies


def _tally_staff(out: Path, bank: dict, seed: int) -> dict:
    name = "tally_staff.csv"
    rng = random.Random(f"{seed}/{name}")
    labels = [LIKERT[v] for v in range(1, 6)] + ["Don't know"]
    rows = [["item", "role", *labels]]
    sizes = {"teaching": 21, "support": 15, "leadership": 5}
    by_group: dict[str, dict[str, dict[int, int]]] = {g: {} for g in sizes}
    dont_know: dict[str, int] = {}
    totals: dict[str, dict[int, int]] = {}
    for item, _ in _items(bank, "staff"):
        centre = rng.uniform(3.2, 4.3)
        totals[item] = {v: 0 for v in range(1, 6)}
        for group, size in sizes.items():
            counts = {v: 0 for v in range(1, 6)}
            dk = 0
            for _ in range(size):
                if rng.random() < 0.07:
                    dk += 1
                elif rng.random() < 0.05:
                    continue  # left blank on paper: not counted anywhere
                else:
                    counts[min(5, max(1, round(rng.gauss(centre, 0.9))))] += 1
            by_group[group][item] = counts
            dont_know[item] = dont_know.get(item, 0) + dk
            for v, c in counts.items():
                totals[item][v] += c
            rows.append([item, group, *(counts[v] for v in range(1, 6)), dk])
    _write_text(out / name, _csv_text(rows), "utf-8")
    return {
        "tool": "tally",
        "survey": "staff",
        "rows": len(rows) - 1,
        "kept": None,
        "dropped_empty": 0,
        "encoding": "utf-8",
        "delimiter": ",",
        "item_counts": totals,
        "subgroup_counts": None,
        "personal_values": [],
        "comments": [],
        "items": list(totals),
        "item_headers": {i: i for i in totals},
        "subgroup_header": "role",
        "subgroup_item_counts": by_group,
        "dont_know_counts": dont_know,
        "header_rows": 1,
    }


def _tally_pupil_text(out: Path, bank: dict, seed: int) -> dict:
    name = "tally_pupil_text.csv"
    rng = random.Random(f"{seed}/{name}")
    rows = [["item", "1", "2", "3", "4", "5"]]
    totals = {}
    for item, text in _items(bank, "pupil"):
        counts = {v: 0 for v in range(1, 6)}
        centre = rng.uniform(3.3, 4.4)
        for _ in range(rng.randint(50, 62)):
            counts[min(5, max(1, round(rng.gauss(centre, 1.0))))] += 1
        totals[item] = counts
        rows.append([text, *(counts[v] for v in range(1, 6))])
    _write_text(out / name, _csv_text(rows, lineterminator="\r\n"), "utf-8")
    return {
        "tool": "tally",
        "survey": "pupil",
        "rows": len(rows) - 1,
        "kept": None,
        "dropped_empty": 0,
        "encoding": "utf-8",
        "delimiter": ",",
        "item_counts": totals,
        "subgroup_counts": None,
        "personal_values": [],
        "comments": [],
        "items": list(totals),
        "item_headers": {i: t for i, t in _items(bank, "pupil")},
        "subgroup_header": None,
        "header_rows": 1,
    }


# --------------------------------------------------------------------------
# broken files


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sign in to your account</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:Segoe UI,Arial,sans-serif;background:#f2f2f2}</style>
</head>
<body>
<div class="login">
<h1>Sign in</h1>
<p>Your session has expired. Please sign in again to download the responses.</p>
<form method="post" action="/login"><input type="email" name="loginfmt" placeholder="Email, phone, or Skype">
<input type="submit" value="Next"></form>
</div>
</body>
</html>
"""


def _broken_unknown_label(out: Path, bank: dict, seed: int) -> dict:
    name = "broken_unknown_label.csv"
    rng = random.Random(f"{seed}/{name}")
    n = 34
    resps = _respondents(rng, bank, "staff", n, 1, {"teaching": 5, "support": 4, "leadership": 1})
    items = _items(bank, "staff")
    role_q = _subgroup_question(bank, "staff")
    header = ["Timestamp", role_q, *(t for _, t in items)]
    labels = _fixed_labels(LIKERT, "Don't know")
    role = {"teaching": "Teacher", "support": "Support staff", "leadership": "Senior leader"}
    rows = [header]
    for r, t in zip(resps, _times(rng, n, dt.datetime(2025, 11, 3), 10), strict=False):
        rows.append([google_sheet_time(t), role.get(r.group, ""), *(labels(rng, r.values[i]) for i, _ in items)])
    candidates = [(k, j) for k in range(1, len(rows)) for j in range(2, len(header)) if rows[k][j] == "Strongly agree"]
    k, j = rng.choice(candidates[len(candidates) // 3 :])
    rows[k][j] = "Strongly agre"
    _write_text(out / name, _csv_text(rows, lineterminator="\r\n"), "utf-8")
    return {
        "tool": "google-forms",
        "survey": "staff",
        "rows": n,
        "encoding": "utf-8",
        "delimiter": ",",
        "error": {
            "kind": "unknown_label",
            "row": k + 1,
            "column": header[j],
            "value": "Strongly agre",
            "item": items[j - 2][0],
        },
    }


def _not_a_survey(out: Path) -> dict:
    name = "not_a_survey.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Budget 2025-26"
    ws.append(["Budget line", "Cost centre", "2024-25 actual", "2025-26 budget", "Variance"])
    lines = [
        ("Teaching staff", "E01", 812400, 835000),
        ("Supply cover", "E02", 41250, 30000),
        ("Educational support staff", "E03", 296800, 301500),
        ("Premises staff", "E04", 48100, 49000),
        ("Learning resources", "E19", 23960, 25000),
        ("ICT", "E20", 17420, 18500),
        ("Energy", "E16", 61200, 58000),
        ("Catering", "E25", 88730, 90000),
    ]
    for k, (line, cc, actual, budget) in enumerate(lines, 2):
        ws.append([line, cc, actual, budget, f"=D{k}-C{k}"])
    ws.append(
        [
            "Total",
            None,
            f"=SUM(C2:C{len(lines) + 1})",
            f"=SUM(D2:D{len(lines) + 1})",
            f"=D{len(lines) + 2}-C{len(lines) + 2}",
        ]
    )
    _save_xlsx(wb, out / name)
    return {"error": {"kind": "not_a_survey"}, "sheet": ws.title}


# --------------------------------------------------------------------------
# everything


def write_exports(out: Path, seed: int = DEFAULT_SEED) -> dict[str, dict]:
    """Write every fixture file into ``out`` and return the manifest keyed by file name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bank = load_bank()
    m: dict[str, dict] = {}
    staff_q = _subgroup_question(bank, "staff")

    m["msforms_staff.xlsx"] = _msforms_staff(out, bank, seed)
    m["google_pupil_direct.csv"] = _google_pupil_direct(out, bank, seed)
    m["google_parent_sheet.csv"] = _google_parent_sheet(out, bank, seed)
    m["surveymonkey_staff.csv"] = _surveymonkey(
        "surveymonkey_staff.csv",
        "staff",
        out,
        bank,
        seed,
        n=55,
        n_empty=3,
        groups={"teaching": 5, "support": 4, "leadership": 1},
        group_label={"teaching": "Teaching staff", "support": "Support staff", "leadership": "Senior leadership team"},
        group_q="Which best describes your role?",
        matrix_q="Please tell us how far you agree with each of these statements.",
        not_answered="N/A",
        free_q="What one thing would you change?",
        xlsx=False,
    )
    m["surveymonkey_pupil.xlsx"] = _surveymonkey(
        "surveymonkey_pupil.xlsx",
        "pupil",
        out,
        bank,
        seed,
        n=48,
        n_empty=2,
        groups={"Y7": 3, "Y8": 3, "Y9": 2, "Y10": 2, "Y11": 1},
        group_label={f"Y{k}": f"Year {k}" for k in range(7, 12)},
        group_q="Which year group are you in?",
        matrix_q="How much do you agree with these sentences?",
        not_answered="Don't know",
        free_q=None,
        xlsx=True,
    )

    staff_groups = {"teaching": 5, "support": 4, "leadership": 1}
    m["generic_staff.csv"], _ = _generic(
        "generic_staff.csv",
        "staff",
        out,
        bank,
        seed,
        n=40,
        n_empty=2,
        group_q="Role",
        group_text=lambda r, g: r.choice(_STAFF_MESSY_ROLES[g]),
        header_style=_numbered_staff,
        render=_messy_labels,
        encoding="utf-8",
        delimiter=",",
        lineterminator="\n",
        groups=staff_groups,
    )
    semicolon_labels = {
        1: "Strongly disagree",
        2: "Disagree",
        3: "Neither agree or disagree",
        4: "Agree",
        5: "Strongly agree",
    }
    m["generic_staff_semicolon_cp1252.csv"], _ = _generic(
        "generic_staff_semicolon_cp1252.csv",
        "staff",
        out,
        bank,
        seed,
        n=36,
        n_empty=2,
        group_q="Job role",
        group_text=lambda r, g: {"teaching": "Teacher", "support": "Teaching assistant", "leadership": "Senior leader"}[
            g
        ],
        header_style=_q_staff,
        render=_fixed_labels(semicolon_labels, "n/a"),
        encoding="cp1252",
        delimiter=";",
        lineterminator="\r\n",
        groups=staff_groups,
        extra_comments=[_CP1252_COMMENT["staff"]],
    )
    tab_entry, tab_bytes = _generic(
        "generic_pupil_tab.tsv",
        "pupil",
        out,
        bank,
        seed,
        n=44,
        n_empty=3,
        group_q="Year group",
        group_text=_pupil_year,
        header_style=_pupil_tab,
        render=_messy_labels,
        encoding="utf-8-sig",
        delimiter="\t",
        lineterminator="\r\n",
        groups={"Y4": 1, "Y5": 1, "Y6": 1},
    )
    m["generic_pupil_tab.tsv"] = tab_entry
    (out / "generic_pupil_tab.csv").write_bytes(tab_bytes)
    m["generic_pupil_tab.csv"] = copy.deepcopy(tab_entry)
    m["excel_sep_hint.csv"], _ = _generic(
        "excel_sep_hint.csv",
        "staff",
        out,
        bank,
        seed,
        n=30,
        n_empty=1,
        group_q="Your role",
        group_text=lambda r, g: g.capitalize(),
        header_style=_sep_hint_staff,
        render=_fixed_labels(LIKERT, "Don't know"),
        encoding="utf-8",
        delimiter=";",
        lineterminator="\r\n",
        groups=staff_groups,
        sep_hint=True,
    )

    m["tally_staff.csv"] = _tally_staff(out, bank, seed)
    m["tally_pupil_text.csv"] = _tally_pupil_text(out, bank, seed)

    m["broken_unknown_label.csv"] = _broken_unknown_label(out, bank, seed)
    governors = "Staff feel valued by governors"
    unmatched, _ = _generic(
        "broken_unmatched_scale_column.csv",
        "staff",
        out,
        bank,
        seed,
        n=32,
        n_empty=1,
        group_q="Role",
        group_text=lambda r, g: {"teaching": "Teacher", "support": "Support staff", "leadership": "SLT"}[g],
        header_style=lambda k, i, t: t,
        render=_fixed_labels(LIKERT, "Don't know"),
        encoding="utf-8",
        delimiter=",",
        lineterminator="\n",
        groups=staff_groups,
        extra_column=(governors, lambda r, resp: LIKERT[r.choice([2, 3, 3, 4, 4, 4, 5])]),
    )
    unmatched["error"] = {"kind": "unmatched_scale_column", "column": governors}
    m["broken_unmatched_scale_column.csv"] = unmatched
    (out / "html_error_page.csv").write_bytes(_HTML.encode("utf-8"))
    m["html_error_page.csv"] = {"error": {"kind": "html"}}
    (out / "empty.csv").write_bytes(b"")
    m["empty.csv"] = {"error": {"kind": "empty"}}
    header = ["Timestamp", staff_q, *(t for _, t in _items(bank, "staff"))]
    (out / "header_only.csv").write_bytes(_csv_text([header], lineterminator="\r\n").encode("utf-8"))
    m["header_only.csv"] = {
        "tool": "google-forms",
        "survey": "staff",
        "rows": 0,
        "encoding": "utf-8",
        "delimiter": ",",
        "error": {"kind": "header_only"},
    }
    m["not_a_survey.xlsx"] = _not_a_survey(out)
    return m


# --------------------------------------------------------------------------
# large files for the speed benchmark

_LARGE_ROLES = np.array(["", "Teacher", "Teaching assistant", "Support staff", "Senior leader"], dtype=object)
_LARGE_ROLE_VALUE = ["", "teaching", "support", "support", "leadership"]
_LARGE_ANSWERS = np.array(
    ["", "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree", "Don't know"],
    dtype=object,
)


def large_bank_items(items: int = 30) -> list[tuple[str, str]]:
    """(id, text) of the large files' items: the bank's 13 staff items, then "Extra staff statement N."."""
    staff = _items(load_bank(), "staff")
    extra = [(f"S{k:02d}", f"Extra staff statement {k}.") for k in range(len(staff) + 1, items + 1)]
    return (staff + extra)[:items]


def _large(rows: int, items: int, seed: int) -> tuple[list[str], list[np.ndarray], dict]:
    rng = np.random.default_rng(seed)
    bank_items = large_bank_items(items)
    role_q = "What is your role in school?"
    header = ["ID", "Start time", "Completion time", "Email", "Name", role_q, *(t for _, t in bank_items)]
    ids = np.arange(1, rows + 1)
    base = np.datetime64("2025-11-03T07:30:00")
    start = base + np.sort(rng.integers(0, 18 * 86400, rows)).astype("timedelta64[s]")
    done = start + rng.integers(90, 1200, rows).astype("timedelta64[s]")
    names = np.array([f"{f} {s}" for f in _FIRST for s in _LAST], dtype=object)
    emails = np.array([f"{f.lower()}.{s.lower()}@example.org" for f in _FIRST for s in _LAST], dtype=object)
    who = rng.integers(0, len(names), rows)
    named = rng.random(rows) < 0.5
    email = np.where(named, emails[who], "anonymous").astype(object)
    name = np.where(named, names[who], "").astype(object)
    role_code = rng.choice(len(_LARGE_ROLES), rows, p=[0.05, 0.45, 0.25, 0.15, 0.10])
    probs = np.array([0.06, 0.04, 0.09, 0.16, 0.38, 0.23, 0.04])
    codes = rng.choice(len(_LARGE_ANSWERS), (items, rows), p=probs)
    empty = rng.random(rows) < 0.01
    codes[:, empty] = 0
    kept = (codes != 0) & (codes != 6)
    kept_rows = kept.any(axis=0)
    item_counts = {}
    for k, (item_id, _) in enumerate(bank_items):
        c = np.bincount(codes[k][kept_rows], minlength=7)
        item_counts[item_id] = {v: int(c[v]) for v in range(1, 6)}
    sub = np.bincount(role_code[kept_rows], minlength=len(_LARGE_ROLES))
    subgroup_counts: dict[str, int] = {}
    for code, value in enumerate(_LARGE_ROLE_VALUE):
        subgroup_counts[value] = subgroup_counts.get(value, 0) + int(sub[code])
    columns = [ids, start, done, email, name, _LARGE_ROLES[role_code], *(_LARGE_ANSWERS[c] for c in codes)]
    manifest = {
        "tool": "microsoft-forms",
        "survey": "staff",
        "rows": rows,
        "kept": int(kept_rows.sum()),
        "dropped_empty": int(rows - kept_rows.sum()),
        "items": [i for i, _ in bank_items],
        "item_headers": {i: t for i, t in bank_items},
        "item_counts": item_counts,
        "subgroup_header": role_q,
        "subgroup_counts": {k: v for k, v in sorted(subgroup_counts.items()) if v},
    }
    return header, columns, manifest


def write_large_csv(path: Path, rows: int = 100_000, items: int = 30, seed: int = DEFAULT_SEED) -> dict:
    """A big Microsoft Forms-like CSV (comma, UTF-8); returns its manifest."""
    header, columns, manifest = _large(rows, items, seed)
    fmt = lambda a: np.char.replace(a.astype("datetime64[s]").astype(str), "T", " ").astype(object)  # noqa: E731
    columns[1], columns[2] = fmt(columns[1]), fmt(columns[2])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(zip(*columns, strict=False))
    Path(path).write_bytes(buf.getvalue().encode("utf-8"))
    manifest.update(encoding="utf-8", delimiter=",")
    return manifest


def write_large_xlsx(path: Path, rows: int = 100_000, items: int = 30, seed: int = DEFAULT_SEED) -> dict:
    """A big Microsoft Forms-like xlsx (write-only openpyxl, datetime cells); returns its manifest."""
    header, columns, manifest = _large(rows, items, seed)
    columns[0] = columns[0].tolist()
    columns[1] = columns[1].astype("datetime64[s]").astype(object)
    columns[2] = columns[2].astype("datetime64[s]").astype(object)
    for k in range(3, len(columns)):
        columns[k] = np.where(columns[k] == "", None, columns[k])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(header)
    for row in zip(*columns, strict=False):
        ws.append(row)
    _save_xlsx(wb, Path(path))
    manifest.update(encoding=None, delimiter=None, sheet="Sheet1")
    return manifest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tests/intake/make_exports.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    manifest = write_exports(out)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, entry in manifest.items():
        what = entry.get("error", {}).get("kind") or f"{entry['rows']} rows, kept {entry['kept']}"
        print(f"{name:40} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
