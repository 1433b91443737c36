"""The safeguarding list: terms that flag a kept survey comment for a person to read.

``safeguarding.yaml`` (bundled) groups plain terms by category (``harm_at_home``,
``self_harm_suicide``, ``sexual``, ...). A comment that contains a term is
flagged so that a possible disclosure reaches the school's Designated
Safeguarding Lead instead of being lost among other comments. The list is a
prompt for a human to read the comment, not a classifier: it errs toward
flagging, and a comment without a flag must still be read.

How a term matches (:meth:`SafeguardingList.matches`):

* case-insensitively and on whole words ("rapist" does not match "therapist");
* any run of whitespace (spaces, tabs, line breaks) between words matches the
  single space in the term;
* an apostrophe in the term matches a straight ``'``, a curly ``’``/``‘``, a
  modifier ``ʼ``, a backtick or no apostrophe at all ("don't" matches "don’t"
  and "dont");
* a hyphen in the term matches a hyphen or dash, whitespace, or nothing
  ("self-harm" matches "self harm" and "selfharm");
* a trailing ``*`` means "any word ending" ("suicid*" matches suicide and
  suicidal). ``*`` is allowed only at the end of a term, and the word it ends
  must keep at least 3 letters.

A malformed file raises :class:`~wqm_nb.errors.DataFileError` naming the file
and field, e.g. ``safeguarding.yaml: categories.self_harm[3]: must not be empty``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .yaml_reader import Reader, read_yaml

SAFEGUARDING_FILE = Path(__file__).parent / "safeguarding.yaml"

#: Category names: lower case letters, digits and underscores, starting with a letter.
CATEGORY_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
#: The letters a wildcard term must keep before its ``*``.
MIN_STEM = 3

_APOSTROPHES = "'\u2018\u2019\u02bc`"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014"
_APOSTROPHE = "[" + re.escape(_APOSTROPHES) + "]?"
_HYPHEN = r"(?:\s*[" + re.escape(_DASHES) + r"]\s*|\s+)?"


def _word_pattern(word: str) -> str:
    """One word of a term as a regex: apostrophes and hyphens made tolerant."""
    out = []
    for ch in word:
        if ch in _APOSTROPHES:
            out.append(_APOSTROPHE)
        elif ch in _DASHES:
            out.append(_HYPHEN)
        else:
            out.append(re.escape(ch))
    return "".join(out)


def term_problem(term: str) -> str | None:
    """Why ``term`` cannot be used as a safeguarding term, or None when it can."""
    if not term.strip():
        return "must not be empty"
    body = term.strip()
    if "*" in body[:-1]:
        return "'*' is allowed only at the end of a term"
    if not any(ch.isalnum() for ch in body):
        return "must contain a letter or digit"
    if body.endswith("*"):
        stem = body[:-1]
        if not stem or stem[-1].isspace():
            return "'*' must end a word, e.g. 'suicid*'"
        last = stem.split()[-1]
        if sum(ch.isalpha() for ch in last) < MIN_STEM:
            return f"a word ending in '*' must keep at least {MIN_STEM} letters"
    return None


def term_pattern(term: str) -> str:
    """The regex source for one term (see the module docstring for the rules).

    Raises ValueError for a term :func:`term_problem` refuses.
    """
    problem = term_problem(term)
    if problem:
        raise ValueError(f"safeguarding term {term!r}: {problem}")
    body = term.strip()
    wildcard = body.endswith("*")
    if wildcard:
        body = body[:-1]
    source = r"\s+".join(_word_pattern(word) for word in body.split())
    if wildcard:
        source += r"\w*"
    return rf"(?<!\w){source}(?!\w)"


def literal_segments(term: str) -> list[str]:
    """The pieces of ``term`` that every match contains as written (up to case):
    the runs between whitespace, apostrophes, dashes and a trailing ``*``."""
    split = "[\\s" + re.escape(_APOSTROPHES + _DASHES) + "*]+"
    return [piece for piece in re.split(split, term) if piece]


def fold_term(term: str) -> str:
    """A term compared for duplicates: case, apostrophes and spacing folded."""
    text = term.strip().casefold()
    for ch in _APOSTROPHES[1:]:
        text = text.replace(ch, "'")
    return " ".join(text.split())


@dataclass(frozen=True)
class SafeguardingList:
    """Safeguarding terms by category, compiled once for matching.

    ``categories`` maps a category name to its terms as written in the file;
    ``path`` is the file they came from ("" when built in code).
    """

    categories: dict[str, tuple[str, ...]]
    path: str = ""
    _patterns: tuple[tuple[str, re.Pattern[str]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = []
        for category, terms in self.categories.items():
            # longest term first, so "beat me up" wins over "beat me" at the same place
            ordered = sorted(terms, key=lambda t: (-len(t.strip()), t))
            if ordered:
                source = "|".join(f"(?:{term_pattern(t)})" for t in ordered)
                compiled.append((category, re.compile(source, re.IGNORECASE)))
        object.__setattr__(self, "_patterns", tuple(compiled))

    @property
    def terms(self) -> int:
        """How many terms the list holds."""
        return sum(len(terms) for terms in self.categories.values())

    def matches(self, text: str) -> list[tuple[str, str]]:
        """``(category, phrase as written in text)`` for each hit, in the order they occur."""
        if not text:
            return []
        hits: list[tuple[int, int, str, str]] = []
        for order, (category, pattern) in enumerate(self._patterns):
            hits.extend((m.start(), order, category, m.group(0)) for m in pattern.finditer(text))
        return [(category, phrase) for _, _, category, phrase in sorted(hits)]

    def flags(self, text: str) -> tuple[str, ...]:
        """The categories ``text`` matches, once each, in the file's category order."""
        found = {category for category, _ in self.matches(text)}
        return tuple(category for category in self.categories if category in found)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    names: dict[type, str] = {dict: "a mapping", list: "a list"}
    return names.get(type(value), type(value).__name__)


def parse_safeguarding(doc: Any, file: str | Path) -> SafeguardingList:
    """Validate a parsed safeguarding document; fail naming the file and field."""
    r = Reader(file)
    r.mapping(doc, "", allowed=("categories",))
    raw = r.mapping(r.get(doc, "categories", "", dict), "categories")
    if not raw:
        r.fail("categories", "must not be empty")
    categories: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for name in raw:
        where = f"categories.{name}"
        if not isinstance(name, str) or not CATEGORY_NAME.match(name):
            r.fail(where, "a category name must be lower_case_with_underscores, e.g. self_harm")
        terms = r.get(raw, name, "categories", list)
        kept = []
        for i, term in enumerate(terms):
            here = f"{where}[{i}]"
            if term is None:
                r.fail(here, "must not be empty")
            if isinstance(term, bool) or not isinstance(term, (str, int, float)):
                r.fail(here, f"expected text, got {_kind(term)}")
            term = str(term)
            problem = term_problem(term)
            if problem:
                r.fail(here, problem)
            key = fold_term(term)
            if key in seen:
                r.fail(here, f"duplicate term {term.strip()!r} (already at {seen[key]})")
            seen[key] = here
            kept.append(" ".join(term.split()))
        categories[name] = tuple(kept)
    return SafeguardingList(categories, str(file))


@cache
def _load_cached(path: str) -> SafeguardingList:
    return parse_safeguarding(read_yaml(Path(path)), path)


def load_safeguarding_list(path: str | Path | None = None) -> SafeguardingList:
    """The safeguarding list (bundled ``safeguarding.yaml`` unless ``path`` is given).

    Parsed, validated and compiled once per path.
    """
    return _load_cached(str(path or SAFEGUARDING_FILE))
