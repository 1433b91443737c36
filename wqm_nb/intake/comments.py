"""Free-text survey comments: kept only on request, names redacted, safeguarding flagged.

Survey exports may carry free-text answers ("Is there anything else you would
like to tell us?"). The importer keeps them only when the consultant asks
(``wqm import --keep-comments``). Pupils, parents and staff answer on a
promise of anonymity, so a kept comment is stored *redacted* and is never
linked to a respondent or a subgroup. A kept comment that may be a disclosure
of harm is *flagged* (see :mod:`wqm_nb.data.safeguarding`) and listed first,
so that it is read and passed to the school's Designated Safeguarding Lead:
under Keeping Children Safe in Education a disclosure is never kept
confidential.

Redaction rule (:func:`redact_names`). These are replaced, longest match
first, so "Mrs Anna Patel" becomes a single ``[name]``:

1. **A title and the name after it** -> ``[name]``. Titles: Mr, Mrs, Ms, Miss,
   Mx, Dr, Prof, Sir, Dame, Rev, Fr, Sr, in any case, with or without a
   trailing ``.``; then one or two name words, each starting with a capital
   letter (letters, with inner apostrophes or hyphens: "O'Neill",
   "Jean-Luc"). "mrs Patel", "Mr. O'Neill" and "Dr Jean-Luc Smith" are
   redacted. A title followed by a lower-case word is not a name ("I miss my
   friends", "sir is kind" stay), but a capitalised word after one is ("I
   miss Sarah" becomes "I [name]"). A second word is taken only when it is
   capitalised and is not "I" ("Mr Smith I think" keeps "I think").
2. **Names on the staff list** -> ``[name]``: every full name as written
   (case-insensitive, any spacing), with or without a title in front; and
   every part of a name with 3 or more letters (split at spaces, hyphens and
   apostrophes; titles and particles such as "van" or "bin" left out) when it
   is written as a whole word starting with a capital letter, or after a title
   in any case ("mrs patel"). Trade-off: a part that is also an ordinary
   word is redacted whenever it is capitalised ("Will we have ..." becomes
   "[name] we have ..." when a Will is on staff; "In May" becomes "In
   [name]"), and left alone in lower case ("it will rain" stays). Over-redaction
   of a capitalised word is the safer error.
3. **Email addresses** -> ``[email]``; **UK phone numbers** (starting 0,
   +44 or 0044, 9 or 10 digits after the 0, spaces, dashes, dots and brackets
   allowed: "07700 900123", "+44 (0)20 7946 0018") -> ``[phone]``.

In all rules apostrophes may be straight or curly. Names that are on no list
and follow no title (a pupil's first name, a nickname) are NOT found: a
consultant must still read kept comments before they are shared.

The safeguarding list is checked against the *original* text, so redaction
can never hide a phrase.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..data.safeguarding import SafeguardingList, literal_segments, load_safeguarding_list, term_pattern
from ..errors import DataFileError

NAME = "[name]"
EMAIL = "[email]"
PHONE = "[phone]"

#: Titles that introduce a name (matched in any case, with or without a trailing '.').
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Rev", "Fr", "Sr")
#: Name particles that are never redacted on their own, though 3 letters or more.
PARTICLES = ("van", "von", "der", "den", "del", "della", "des", "dos", "das", "bin", "binti", "ibn")
#: Letters a part of a staff name needs to be redacted on its own.
MIN_PART = 3

_TITLE_SET = {t.casefold() for t in TITLES}
_TITLE = "(?i:" + "|".join(sorted(TITLES, key=len, reverse=True)) + ")"
_TITLE_SEP = r"(?:\.[ \t]*|[ \t]+)"
_WORD = r"[^\W\d_]+(?:['\u2019\u2018\u02bc\-][^\W\d_]+)*"
_TITLED = re.compile(rf"(?<!\w)(?:{_TITLE}){_TITLE_SEP}(?P<first>{_WORD})(?:[ \t]+(?P<second>{_WORD}))?")
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+(?!\w)")
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)44[ \t.\-]*(?:\(0\)[ \t.\-]*)?|\(?0)(?:\d[ \t.\-()]{0,2}){8,10}\d(?!\w)")

#: Characters for which ``str.lower`` may not agree with ``re.IGNORECASE``
#: (anything beyond Latin letters and general punctuation, and a few Latin ones).
_UNUSUAL = re.compile(r"[^\x00-\u024f\u2000-\u206f]|[\u00b5\u0130\u0131\u017f]")

Span = tuple[int, int, str]
Accept = Callable[[re.Match[str]], list[Span]]


# --------------------------------------------------------------------------
# redaction


def _is_title(word: str) -> bool:
    return word.rstrip(".").casefold() in _TITLE_SET


def _name_word(word: str | None) -> bool:
    """A capitalised word that can be a name (not a title, not "I", "I'm", ...)."""
    if not word or not word[0].isupper() or _is_title(word):
        return False
    return not (word == "I" or word[:2] in ("I'", "I\u2019"))


def _scan(pattern: re.Pattern[str], text: str, accept: Accept) -> list[Span]:
    """The spans ``accept`` makes of every match of ``pattern``, overlapping matches included."""
    spans: list[Span] = []
    pos = 0
    while pos <= len(text):
        m = pattern.search(text, pos)
        if m is None:
            break
        spans += accept(m)
        pos = m.start() + 1
    return spans


def _titled(m: re.Match[str]) -> list[Span]:
    """Title and first name word; also title and both words when the second is a name."""
    if not _name_word(m.group("first")):
        return []
    spans = [(m.start(), m.end("first"), NAME)]
    if _name_word(m.group("second")):
        spans.append((m.start(), m.end("second"), NAME))
    return spans


def _phone(m: re.Match[str]) -> list[Span]:
    raw = m.group(0)
    digits = re.sub(r"\D", "", raw)
    if raw.startswith(("+", "00")):
        digits = digits[2:] if raw.startswith("+") else digits[4:]
    digits = digits[1:] if digits.startswith("0") else digits
    if len(digits) in (9, 10) and digits[0] != "0":
        return [(m.start(), m.end(), PHONE)]
    return []


def name_parts(name: str) -> list[str]:
    """The parts of a staff name redacted on their own (3+ letters, no titles or particles)."""
    parts: list[str] = []
    for word in name.split():
        word = word.strip('.,;:()[]"')
        pieces = [word, *re.split(r"[-\u2010\u2011'\u2019\u2018\u02bc]", word)]
        for piece in pieces:
            letters = sum(ch.isalpha() for ch in piece)
            if (
                letters >= MIN_PART
                and not _is_title(piece)
                and piece.casefold() not in PARTICLES
                and piece not in parts
            ):
                parts.append(piece)
    return parts


def _clean_name(name: str) -> str:
    return " ".join(str(name).replace("*", " ").split())


def _key(name: str) -> str | None:
    """The longest piece every match of ``name`` contains, lower-cased; None when
    lower-casing may not agree with ``re.IGNORECASE`` for it."""
    key = max(literal_segments(name), key=len, default="")
    return key.lower() if key and not _UNUSUAL.search(key) else None


@lru_cache(maxsize=32)
def _staff_patterns(names: tuple[str, ...]) -> tuple[tuple[str | None, re.Pattern[str], Accept], ...]:
    """``(key, pattern, accept)`` for every full name and name part, one pattern
    each, so that no shorter name at the same place hides behind a longer one."""
    full: set[str] = set()
    parts: set[str] = set()
    for raw in names:
        name = _clean_name(raw)
        if not any(ch.isalnum() for ch in name):
            continue
        full.add(name)
        words = name.split()
        while len(words) > 1 and _is_title(words[0]):
            words = words[1:]
            full.add(" ".join(words))
        parts.update(name_parts(name))
    # with and without a title in front as separate patterns: an optional
    # title would hide a bare match at the same place ("Mrs" on the list)
    titled = rf"(?<!\w)(?P<title>{_TITLE}){_TITLE_SEP}"
    found: list[tuple[str | None, re.Pattern[str], Accept]] = []
    for prefix in ("", titled):
        found += [(_key(n), re.compile(f"{prefix}(?:{term_pattern(n)})", re.IGNORECASE), _whole) for n in sorted(full)]
        found += [
            (_key(p), re.compile(f"{prefix}(?P<part>{term_pattern(p)})", re.IGNORECASE), _part) for p in sorted(parts)
        ]
    return tuple(found)


def _whole(m: re.Match[str]) -> list[Span]:
    return [(m.start(), m.end(), NAME)]


def _part(m: re.Match[str]) -> list[Span]:
    """A staff-name part counts when capitalised or after a title."""
    titled = "title" in m.re.groupindex and m.group("title")
    if titled or m.group("part")[0].isupper():
        return [(m.start(), m.end(), NAME)]
    return []


def _choose(spans: list[Span]) -> list[Span]:
    """Longest spans first; a span that overlaps one already chosen is dropped."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[0], s[2] == NAME)):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def _redact(text: str, names: tuple[str, ...]) -> str:
    spans = _scan(_TITLED, text, _titled)
    spans += [(m.start(), m.end(), EMAIL) for m in _EMAIL.finditer(text)]
    spans += _scan(_PHONE, text, _phone)
    # a pattern whose key is not in the text cannot match; skip it (a speed-up only)
    folded = None if _UNUSUAL.search(text) else text.lower()
    for key, pattern, accept in _staff_patterns(names):
        if folded is None or key is None or key in folded:
            spans += _scan(pattern, text, accept)
    out = []
    pos = 0
    for start, end, token in _choose(spans):
        out.append(text[pos:start])
        out.append(token)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact_names(text: str, staff_names: Iterable[str] = ()) -> str:
    """``text`` with names, email addresses and UK phone numbers replaced.

    Names become ``[name]``, email addresses ``[email]`` and phone numbers
    ``[phone]``, by the rule in this module's docstring: a title and the
    capitalised name after it; any full name on ``staff_names`` (any case);
    any part of a staff name of 3+ letters written capitalised. Longest
    match first.
    """
    if not text:
        return text
    return _redact(text, tuple(n for n in (str(n) for n in staff_names) if n.strip()))


# --------------------------------------------------------------------------
# staff list

_FULL_COLUMNS = ("name", "full_name")
_FIRST_COLUMNS = ("first_name", "forename", "given_name")
_LAST_COLUMNS = ("last_name", "surname", "family_name")


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise DataFileError(path.name, "", "not a text file; save it as UTF-8 text or CSV UTF-8")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise DataFileError(path.name, "", "neither UTF-8 nor Windows-1252 text; save it as UTF-8") from None


def _header_key(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().casefold())


def _csv_header(line: str) -> tuple[str, list[str]] | None:
    """(delimiter, column keys) when ``line`` is a header naming a name column."""
    for delimiter in (",", ";", "\t"):
        keys = [_header_key(c) for c in next(csv.reader([line], delimiter=delimiter))]
        if any(k in _FULL_COLUMNS + _FIRST_COLUMNS + _LAST_COLUMNS for k in keys):
            return delimiter, keys
    return None


def _cell(record: dict[str, Any], columns: tuple[str, ...]) -> str:
    for column in columns:
        value = record.get(column)
        if value and str(value).strip():
            return " ".join(str(value).split())
    return ""


def read_staff_list(path: Path) -> list[str]:
    """Staff names from a text file (one name a line) or a CSV file.

    A CSV file is recognised by its header: a ``name`` (or ``full_name``)
    column, or ``first_name``/``last_name`` columns (also ``forename``,
    ``surname``), separated by commas, semicolons or tabs. Blank lines and
    lines starting with ``#`` are ignored (in a plain list, so is anything
    after a ``#``). The file may be UTF-8, with or without a BOM, or
    Windows-1252. Names are returned once each, in file order.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path.name, "", f"cannot read file: {exc.strerror}") from None
    lines = [line for line in _decode(path, data).splitlines() if line.strip() and not line.lstrip().startswith("#")]
    names: list[str] = []
    header = _csv_header(lines[0]) if lines else None
    if header is None:
        candidates = [" ".join(line.split("#", 1)[0].split()) for line in lines]
    else:
        delimiter, keys = header
        candidates = []
        for row in csv.reader(lines[1:], delimiter=delimiter):
            record = dict(zip(keys, row, strict=False))
            full = _cell(record, _FULL_COLUMNS)
            if not full:
                full = " ".join(p for p in (_cell(record, _FIRST_COLUMNS), _cell(record, _LAST_COLUMNS)) if p)
            candidates.append(full)
    for name in candidates:
        if name and name not in names:
            names.append(name)
    return names


# --------------------------------------------------------------------------
# comments


@dataclass(frozen=True)
class Comment:
    """One kept comment: redacted text and the safeguarding categories it matched.

    Deliberately carries no respondent or subgroup: only the survey item.
    """

    item_id: str
    text: str
    flags: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        """True when the comment must be read for a possible safeguarding concern."""
        return bool(self.flags)


def _blank(text: Any) -> bool:
    if text is None:
        return True
    if isinstance(text, float) and math.isnan(text):
        return True
    return not str(text).strip()


def prepare_comments(
    texts: Iterable[tuple[str, str]], staff_names: Iterable[str] = (), safeguarding: SafeguardingList | None = None
) -> list[Comment]:
    """Redacted, flagged comments from ``(item_id, raw text)`` pairs.

    Blank texts are skipped. Each text is redacted with :func:`redact_names`
    and checked against ``safeguarding`` (the bundled list when None) in its
    *original* form, so redaction cannot hide a phrase. Flagged comments come
    first; otherwise the input order is kept.
    """
    names = tuple(n for n in (str(n) for n in staff_names) if n.strip())
    terms = load_safeguarding_list() if safeguarding is None else safeguarding
    comments = []
    for item_id, raw in texts:
        if _blank(raw):
            continue
        text = str(raw).strip()
        comments.append(Comment(str(item_id), _redact(text, names), terms.flags(text)))
    return sorted(comments, key=lambda c: not c.flags)


__all__ = [
    "EMAIL",
    "NAME",
    "PHONE",
    "PARTICLES",
    "TITLES",
    "Comment",
    "name_parts",
    "prepare_comments",
    "read_staff_list",
    "redact_names",
]
