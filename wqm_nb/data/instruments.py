"""Validated measures as data: the SDQ, SWEMWBS and the Stirling scale, validated on load.

An instrument file (``instruments/*.yaml``) holds everything needed to score the measure exactly as its
publisher says, and no item wording:

* ``response_sets``: the response options of each kind of item, their numeric coding and labels (a label is
  accepted on input in any case and spacing, e.g. ``certainly  TRUE``);
* ``items``: each item's column (``sdq1``, ``swemwbs7``, ``sdqimpact3``), number, short label, response set,
  whether it is reverse-scored, whether it is scored at all (the Stirling social-desirability items are not),
  and which informants answer it (the SDQ impact supplement differs between parent, teacher and self-report);
* ``scores``: how each score is made: ``kind: items`` (a sum of item values, with a ``missing:`` rule:
  ``all_required``, ``prorate`` with ``min_answered``, or ``zero_if_any_answered``; optional ``recode`` and
  ``zero_when``), ``kind: sum`` (of other scores, all needed) or ``kind: lookup`` (a conversion table),
  and ``higher_is_better`` (the SDQ's difficulty scores are better low, its prosocial score high);
* ``bands``: per informant, the published banding (``scheme``) and its ranges per score;
* ``sources``: the publication behind each rule (title, publisher, URL, year); every ``source:`` names one,
  and anything not confirmed from a source is marked ``status: UNCONFIRMED`` and listed under ``unconfirmed``;
* ``min_group`` and ``min_group_source``: the smallest group a report compares, and where that comes from.

:func:`load_instrument` loads a bundled instrument by id or a file by path; a malformed file raises
:class:`~wqm_nb.errors.DataFileError` naming the file and the field, e.g.
``sdq.yaml: scores[0].items[2]: unknown item column 'sdq99'``. Scoring itself is
:mod:`wqm_nb.model.scoring`.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import DataFileError, SettingsError
from .yaml_reader import Reader, join, read_yaml

INSTRUMENT_DIR = Path(__file__).parent / "instruments"

SCORE_KINDS = ("items", "sum", "lookup")
MISSING_RULES = ("all_required", "prorate", "zero_if_any_answered")
STATUSES = ("confirmed", "UNCONFIRMED")
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-"})


def normalise_label(text: str) -> str:
    """A response label as compared on input: case, spacing, dash style and a final full stop ignored
    (``'Yes – minor  difficulties.'`` and ``'yes-minor difficulties'`` are the same answer)."""
    text = " ".join(str(text).translate(_DASHES).split()).casefold()
    text = re.sub(r"\s*-\s*", "-", text)
    return text.rstrip(".").strip()


# --------------------------------------------------------------------------
# data classes


@dataclass(frozen=True)
class Source:
    """The publication a rule comes from."""

    key: str
    title: str
    publisher: str
    url: str
    year: int
    note: str = ""
    status: str = "confirmed"

    @property
    def citation(self) -> str:
        """``title, publisher, year, url``."""
        return f"{self.title}, {self.publisher}, {self.year}, {self.url}"


@dataclass(frozen=True)
class ResponseOption:
    """One answer: its numeric value and its published label."""

    value: int
    label: str


@dataclass(frozen=True)
class ResponseSet:
    """The answers an item takes: numeric values with their published labels."""

    id: str
    options: tuple[ResponseOption, ...]
    coding: str
    source: str
    status: str = "confirmed"

    @property
    def values(self) -> tuple[int, ...]:
        """The answer values, lowest first."""
        return tuple(o.value for o in self.options)

    @property
    def min(self) -> int:
        """The lowest answer value."""
        return self.options[0].value

    @property
    def max(self) -> int:
        """The highest answer value."""
        return self.options[-1].value

    @property
    def choices(self) -> str:
        """``0-2 or Not True, Somewhat True, Certainly True``, for an error message."""
        return f"{self.min}-{self.max} or {', '.join(o.label for o in self.options)}"

    def value_of(self, cell: Any) -> int | None:
        """The value of one answer: ``None`` for a blank (a missing answer), the value for a number or a label.

        Raises :class:`ValueError` for anything else (a number outside the set, 1.5, an unknown label).
        """
        if cell is None:
            return None
        if isinstance(cell, bool):
            raise ValueError(f"{cell!r} is not an answer")
        if isinstance(cell, numbers.Real):
            if cell != cell:  # NaN: a blank cell
                return None
            number = float(cell)
        else:
            text = str(cell).strip()
            if not text:
                return None
            wanted = normalise_label(text)
            for option in self.options:
                if normalise_label(option.label) == wanted:
                    return option.value
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{text!r} is not an answer") from None
        if number.is_integer() and int(number) in self.values:
            return int(number)
        raise ValueError(f"{cell!r} is not an answer")


@dataclass(frozen=True)
class Item:
    """One question, by column: no wording, a short label only."""

    column: str
    label: str
    responses: ResponseSet
    number: int | None = None
    reverse: bool = False
    optional: bool = False
    scored: bool = True
    informants: tuple[str, ...] = ()

    def score(self, value: int) -> int:
        """The item's score for an answer value (reverse-scored items count from the other end)."""
        return self.responses.min + self.responses.max - value if self.reverse else value


@dataclass(frozen=True)
class MissingRule:
    """How a score treats unanswered items."""

    rule: str = "all_required"
    min_answered: int = 0


@dataclass(frozen=True)
class Band:
    """One band of a score: its label and the score range it covers (both ends included)."""

    label: str
    min: int
    max: int

    def contains(self, value: float) -> bool:
        """Whether ``value`` falls in this band."""
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Banding:
    """One informant's published banding: the scheme's name and the ranges of each banded score."""

    informant: str
    scheme: str
    source: str
    scores: dict[str, tuple[Band, ...]]
    status: str = "confirmed"


@dataclass(frozen=True)
class ScoreSpec:
    """One score of an instrument: how it is made, its range, whether it is banded."""

    id: str
    label: str
    kind: str
    min: float
    max: float
    source: str
    banded: bool = False
    items: dict[str, tuple[str, ...]] = field(default_factory=dict)  # informant -> item columns
    of: tuple[str, ...] = ()
    from_score: str = ""
    table: dict[int, float] = field(default_factory=dict)
    recode: dict[int, int] = field(default_factory=dict)
    missing: MissingRule = field(default_factory=MissingRule)
    zero_when: tuple[str, tuple[int, ...]] | None = None
    max_by_informant: dict[str, float] = field(default_factory=dict)
    status: str = "confirmed"
    min_group: int = 0
    min_group_source: str = ""
    #: whether a higher score is the better one (SDQ prosocial, SWEMWBS, Stirling) or the worse (SDQ difficulties)
    higher_is_better: bool | None = None

    def range(self, informant: str | None = None) -> tuple[float, float]:
        """``(min, max)`` for an informant (the SDQ teacher impact score stops at 6)."""
        return self.min, self.max_by_informant.get(informant or "", self.max)

    def item_columns(self, informant: str) -> tuple[str, ...]:
        """The item columns a ``kind: items`` score adds up for ``informant``."""
        return self.items.get(informant, ())


@dataclass(frozen=True)
class Instrument:
    """A validated measure: items, response coding, scores, bands and the source of every rule."""

    id: str
    name: str
    informants: tuple[str, ...]
    response_sets: dict[str, ResponseSet]
    items: tuple[Item, ...]
    scores: tuple[ScoreSpec, ...]
    bands: dict[str, Banding]
    sources: dict[str, Source]
    missing_rule: str
    licence: str
    min_group: int
    min_group_source: str
    prescored: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    licence_source: str = ""
    missing_source: str = ""
    path: str = ""
    #: whether its licence lets it be asked in an online form (the SDQ's does not): the survey kit's
    #: Microsoft and Google forms carry only these
    online: bool = False

    def resolve_informant(self, informant: str | None) -> str:
        """``informant`` checked against the instrument's; the only one when the instrument has one."""
        if informant is None or informant == "":
            if len(self.informants) == 1:
                return self.informants[0]
            raise SettingsError(f"{self.id} needs an informant: one of {', '.join(self.informants)} (--informant)")
        if informant not in self.informants:
            raise SettingsError(f"{self.id} has no {informant!r} informant (one of {', '.join(self.informants)})")
        return informant

    def items_for(self, informant: str | None = None) -> tuple[Item, ...]:
        """The items ``informant`` answers, in file order (every item when ``informant`` is None)."""
        if informant is None:
            return self.items
        informant = self.resolve_informant(informant)
        return tuple(i for i in self.items if informant in i.informants)

    def item_columns(self, informant: str | None = None) -> tuple[str, ...]:
        """The answer columns ``informant`` fills (every column of every informant when None)."""
        seen: dict[str, None] = {}
        for item in self.items_for(informant):
            seen.setdefault(item.column, None)
        return tuple(seen)

    def item(self, column: str, informant: str) -> Item:
        """The item in ``column`` as ``informant`` answers it (KeyError if there is none)."""
        for it in self.items_for(informant):
            if it.column == column:
                return it
        raise KeyError(f"{self.id}: no item {column!r} for {informant}")

    def score(self, score_id: str) -> ScoreSpec:
        """The score ``score_id`` (KeyError if there is none)."""
        for s in self.scores:
            if s.id == score_id:
                return s
        raise KeyError(f"{self.id}: no score {score_id!r}")

    @property
    def score_ids(self) -> tuple[str, ...]:
        """The ids of the scores, in output order."""
        return tuple(s.id for s in self.scores)

    def banding(self, informant: str | None = None) -> Banding | None:
        """The banding used for ``informant`` (None when the instrument has none)."""
        return self.bands.get(self.resolve_informant(informant))

    def band_labels(self, score_id: str, informant: str | None = None) -> tuple[str, ...]:
        """The band labels of a score, lowest score first (``()`` when it is not banded)."""
        banding = self.banding(informant)
        bands = banding.scores.get(score_id, ()) if banding else ()
        return tuple(b.label for b in sorted(bands, key=lambda b: b.min))

    def band(self, score_id: str, informant: str | None, value: float | None) -> str:
        """The band of a score value (``''`` for no value or an unbanded score)."""
        if value is None or value != value:
            return ""
        banding = self.banding(informant)
        for b in banding.scores.get(score_id, ()) if banding else ():
            if b.contains(value):
                return b.label
        return ""

    def source(self, key: str) -> Source:
        """The source a rule cites by ``key``."""
        return self.sources[key]


# --------------------------------------------------------------------------
# parsing


def _status(r: Reader, raw: dict, path: str) -> str:
    status = r.get(raw, "status", path, str, required=False, default="confirmed")
    if status not in STATUSES:
        r.fail(join(path, "status"), f"must be one of {', '.join(STATUSES)}, got {status!r}")
    return status


def _source_ref(
    r: Reader, raw: dict, path: str, sources: dict[str, Source], key: str = "source", required: bool = True
) -> str:
    ref = r.get(raw, key, path, str, required=required, default="")
    if ref and ref not in sources:
        r.fail(join(path, key), f"unknown source {ref!r} (sources: {', '.join(sources)})")
    return ref


def _ident(r: Reader, raw: dict, key: str, path: str) -> str:
    value = r.get(raw, key, path, str)
    if not _IDENT.match(value):
        r.fail(join(path, key), f"must be lower-case letters, digits and _, starting with a letter, got {value!r}")
    return value


def _parse_sources(r: Reader, raw: Any) -> dict[str, Source]:
    r.mapping(raw, "sources")
    if not raw:
        r.fail("sources", "must not be empty")
    sources = {}
    for key, body in raw.items():
        path = f"sources.{key}"
        r.mapping(body, path, ("title", "publisher", "url", "year", "note", "status"))
        year = r.get(body, "year", path, int)
        if not 1900 <= year <= 2100:
            r.fail(join(path, "year"), f"must be a year, got {year}")
        sources[str(key)] = Source(
            key=str(key),
            title=r.get(body, "title", path, str).strip(),
            publisher=r.get(body, "publisher", path, str).strip(),
            url=r.get(body, "url", path, str).strip(),
            year=year,
            note=" ".join(r.get(body, "note", path, str, required=False, default="").split()),
            status=_status(r, body, path),
        )
    return sources


def _parse_response_sets(r: Reader, raw: Any, sources: dict[str, Source]) -> dict[str, ResponseSet]:
    r.mapping(raw, "response_sets")
    if not raw:
        r.fail("response_sets", "must not be empty")
    sets = {}
    for key, body in raw.items():
        path = f"response_sets.{key}"
        r.mapping(body, path, ("coding", "source", "status", "options"))
        options = []
        for i, opt in enumerate(r.get(body, "options", path, list)):
            op = f"{path}.options[{i}]"
            r.mapping(opt, op, ("value", "label"))
            options.append(ResponseOption(value=r.get(opt, "value", op, int), label=r.get(opt, "label", op, str)))
        values = [o.value for o in options]
        if values != sorted(set(values)):
            r.fail(f"{path}.options", "values must be unique and in increasing order")
        if len(options) < 2:
            r.fail(f"{path}.options", "needs at least two options")
        labels = [normalise_label(o.label) for o in options]
        for i, label in enumerate(labels):
            if label in labels[:i]:
                r.fail(f"{path}.options[{i}].label", f"duplicate label {options[i].label!r}")
            try:
                float(label)
            except ValueError:
                continue
            r.fail(f"{path}.options[{i}].label", "a label must not be a number")
        sets[str(key)] = ResponseSet(
            id=str(key),
            options=tuple(options),
            coding=" ".join(r.get(body, "coding", path, str).split()),
            source=_source_ref(r, body, path, sources),
            status=_status(r, body, path),
        )
    return sets


def _parse_items(r: Reader, raw: Any, informants: tuple[str, ...], sets: dict[str, ResponseSet]) -> tuple[Item, ...]:
    items = []
    taken: dict[tuple[str, str], int] = {}
    for i, body in enumerate(r.get({"items": raw}, "items", "", list)):
        path = f"items[{i}]"
        r.mapping(body, path, ("column", "number", "label", "responses", "reverse", "optional", "scored", "informants"))
        column = _ident(r, body, "column", path)
        responses = r.get(body, "responses", path, str)
        if responses not in sets:
            r.fail(join(path, "responses"), f"unknown response set {responses!r} (known: {', '.join(sets)})")
        who = r.get(body, "informants", path, list, required=False, default=list(informants))
        for j, informant in enumerate(who):
            if informant not in informants:
                r.fail(f"{path}.informants[{j}]", f"unknown informant {informant!r} (one of {', '.join(informants)})")
            if (column, informant) in taken:
                r.fail(
                    join(path, "column"),
                    f"duplicate column {column!r} for {informant} (also items[{taken[(column, informant)]}])",
                )
            taken[(column, informant)] = i
        number = r.get(body, "number", path, int, required=False)
        if number is not None and number < 1:
            r.fail(join(path, "number"), "must be 1 or more")
        items.append(
            Item(
                column=column,
                label=r.get(body, "label", path, str).strip(),
                responses=sets[responses],
                number=number,
                reverse=r.get(body, "reverse", path, bool, required=False, default=False),
                optional=r.get(body, "optional", path, bool, required=False, default=False),
                scored=r.get(body, "scored", path, bool, required=False, default=True),
                informants=tuple(who),
            )
        )
    return tuple(items)


def _int_map(r: Reader, raw: Any, path: str, value_kind: type) -> dict:
    r.mapping(raw, path)
    out = {}
    for key in raw:
        if isinstance(key, bool) or not isinstance(key, int):
            r.fail(f"{path}.{key}", "keys must be whole numbers")
        out[key] = r.get(raw, key, path, value_kind)
    return out


def _per_informant_max(r: Reader, raw: dict, path: str, informants: tuple[str, ...]) -> tuple[float, dict]:
    value = raw.get("max")
    if isinstance(value, dict):
        per = _int_or_float_map(r, value, join(path, "max"), informants)
        return max(per.values()), per
    return r.get(raw, "max", path, float), {}


def _int_or_float_map(r: Reader, raw: dict, path: str, informants: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for key in raw:
        if key not in informants:
            r.fail(f"{path}.{key}", f"unknown informant {key!r} (one of {', '.join(informants)})")
        out[key] = r.get(raw, key, path, float)
    missing = [i for i in informants if i not in out]
    if missing:
        r.fail(path, f"needs a value for every informant (missing: {', '.join(missing)})")
    return out


def _parse_score(r: Reader, body: Any, path: str, inst: dict, earlier: dict[str, ScoreSpec]) -> ScoreSpec:
    informants, sources, items = inst["informants"], inst["sources"], inst["items"]
    r.mapping(
        body,
        path,
        (
            "id",
            "label",
            "kind",
            "items",
            "of",
            "from",
            "table",
            "recode",
            "missing",
            "zero_when",
            "min",
            "max",
            "source",
            "status",
            "min_group",
            "min_group_source",
            "higher_is_better",
        ),
    )
    sid = _ident(r, body, "id", path)
    if sid in earlier:
        r.fail(join(path, "id"), f"duplicate score id {sid!r}")
    kind = r.get(body, "kind", path, str)
    if kind not in SCORE_KINDS:
        r.fail(join(path, "kind"), f"must be one of {', '.join(SCORE_KINDS)}, got {kind!r}")
    low = r.get(body, "min", path, float)
    high, per_informant = _per_informant_max(r, body, path, informants)
    if low > high:
        r.fail(join(path, "min"), "must not be above max")
    spec: dict[str, Any] = dict(
        id=sid,
        label=r.get(body, "label", path, str).strip(),
        kind=kind,
        min=low,
        max=high,
        max_by_informant=per_informant,
        source=_source_ref(r, body, path, sources),
        higher_is_better=r.get(body, "higher_is_better", path, bool, required=False),
        status=_status(r, body, path),
        min_group=r.get(body, "min_group", path, int, required=False, default=inst["min_group"]),
        min_group_source=" ".join(
            r.get(body, "min_group_source", path, str, required=False, default=inst["min_group_source"]).split()
        ),
    )
    for key in ("items", "recode", "missing", "zero_when"):
        if kind != "items" and body.get(key) is not None:
            r.fail(join(path, key), f"only a kind: items score takes {key}")
    for key in ("of",):
        if kind != "sum" and body.get(key) is not None:
            r.fail(join(path, key), "only a kind: sum score takes of")
    for key in ("from", "table"):
        if kind != "lookup" and body.get(key) is not None:
            r.fail(join(path, key), f"only a kind: lookup score takes {key}")

    def expected_range(informant: str) -> tuple[float, float]:
        return low, per_informant.get(informant, high)

    if kind == "items":
        raw_items = body.get("items")
        if isinstance(raw_items, dict):
            per = {}
            for who in raw_items:
                if who not in informants:
                    r.fail(f"{path}.items.{who}", f"unknown informant {who!r} (one of {', '.join(informants)})")
                per[who] = r.get(raw_items, who, join(path, "items"), list)
            absent = [i for i in informants if i not in per]
            if absent:
                r.fail(join(path, "items"), f"needs the items of every informant (missing: {', '.join(absent)})")
        else:
            cols = r.get(body, "items", path, list)
            per = {i: cols for i in informants}
        recode = _int_map(r, body["recode"], join(path, "recode"), int) if body.get("recode") is not None else {}
        columns: dict[str, tuple[str, ...]] = {}
        for who, cols in per.items():
            where = join(path, "items") + (f".{who}" if isinstance(raw_items, dict) else "")
            found: list[Item] = []
            for j, col in enumerate(cols):
                item = next((it for it in items if it.column == col and who in it.informants), None)
                if item is None:
                    r.fail(f"{where}[{j}]", f"unknown item column {col!r} for {who}")
                if not item.scored:
                    r.fail(f"{where}[{j}]", f"{col} is marked scored: false")
                if col in (f.column for f in found):
                    r.fail(f"{where}[{j}]", f"duplicate item {col!r}")
                if recode and sorted(recode) != list(item.responses.values):
                    r.fail(
                        join(path, "recode"),
                        f"must map every value of {col}'s responses ({', '.join(map(str, item.responses.values))})",
                    )
                found.append(item)
            columns[who] = tuple(f.column for f in found)
            values = [[recode.get(v, v) for v in it.responses.values] for it in found]
            span = (sum(min(v) for v in values), sum(max(v) for v in values))
            if span != expected_range(who):
                r.fail(
                    join(path, "max") if span[0] == low else join(path, "min"),
                    f"the items of {who} add up to {span[0]:g}-{span[1]:g}, not {low:g}-{expected_range(who)[1]:g}",
                )
        missing = body.get("missing") or {"rule": "all_required"}
        r.mapping(missing, join(path, "missing"), ("rule", "min_answered"))
        rule = r.get(missing, "rule", join(path, "missing"), str)
        if rule not in MISSING_RULES:
            r.fail(join(path, "missing.rule"), f"must be one of {', '.join(MISSING_RULES)}, got {rule!r}")
        min_answered = r.get(missing, "min_answered", join(path, "missing"), int, required=rule == "prorate", default=0)
        if rule == "prorate":
            fewest = min(len(c) for c in columns.values())
            if not 1 <= min_answered <= fewest:
                r.fail(join(path, "missing.min_answered"), f"must be between 1 and {fewest}")
        zero_when = None
        if body.get("zero_when") is not None:
            zw = r.mapping(body["zero_when"], join(path, "zero_when"), ("item", "values"))
            gate = r.get(zw, "item", join(path, "zero_when"), str)
            for who in informants:
                if not any(it.column == gate and who in it.informants for it in items):
                    r.fail(join(path, "zero_when.item"), f"unknown item column {gate!r} for {who}")
            gate_values = r.get(zw, "values", join(path, "zero_when"), list)
            if any(isinstance(v, bool) or not isinstance(v, int) for v in gate_values):
                r.fail(join(path, "zero_when.values"), "must be whole numbers")
            zero_when = (gate, tuple(gate_values))
            if low > 0:
                r.fail(join(path, "zero_when"), "a score that can be set to 0 must have min 0")
        spec.update(
            items=columns, recode=recode, missing=MissingRule(rule=rule, min_answered=min_answered), zero_when=zero_when
        )
    elif kind == "sum":
        of = r.get(body, "of", path, list)
        for j, part in enumerate(of):
            if part not in earlier:
                r.fail(f"{path}.of[{j}]", f"must name an earlier score, got {part!r}")
        for who in informants:
            span = (sum(earlier[p].range(who)[0] for p in of), sum(earlier[p].range(who)[1] for p in of))
            if span != expected_range(who):
                r.fail(
                    join(path, "max"),
                    f"the scores add up to {span[0]:g}-{span[1]:g} for {who}, not {low:g}-{expected_range(who)[1]:g}",
                )
        spec.update(of=tuple(of))
    else:
        base = r.get(body, "from", path, str)
        if base not in earlier:
            r.fail(join(path, "from"), f"must name an earlier score, got {base!r}")
        table = _int_map(r, body.get("table"), join(path, "table"), float)
        bmin, bmax = earlier[base].min, earlier[base].max
        wanted = list(range(int(bmin), int(bmax) + 1))
        if sorted(table) != wanted:
            r.fail(join(path, "table"), f"must give every {base} score from {bmin:g} to {bmax:g} exactly once")
        for key, value in table.items():
            if not low <= value <= high:
                r.fail(f"{path}.table.{key}", f"{value:g} is outside {low:g}-{high:g}")
        ordered = [table[k] for k in wanted]
        if ordered != sorted(ordered):
            r.fail(join(path, "table"), "must increase with the score it converts")
        spec.update(from_score=base, table=table)
    return ScoreSpec(**spec)


def _parse_bands(
    r: Reader, raw: Any, informants: tuple[str, ...], scores: dict[str, ScoreSpec], sources: dict[str, Source]
) -> dict[str, Banding]:
    if raw is None:
        return {}
    r.mapping(raw, "bands")
    bands = {}
    for who, body in raw.items():
        path = f"bands.{who}"
        if who not in informants:
            r.fail(path, f"unknown informant {who!r} (one of {', '.join(informants)})")
        r.mapping(body, path, ("scheme", "source", "status", "scores"))
        per_score = {}
        r.mapping(body.get("scores"), join(path, "scores"))
        for sid in body["scores"]:
            sp = f"{path}.scores.{sid}"
            if sid not in scores:
                r.fail(sp, f"unknown score {sid!r}")
            parsed = []
            for k, band in enumerate(r.get(body["scores"], sid, join(path, "scores"), list)):
                bp = f"{sp}[{k}]"
                r.mapping(band, bp, ("label", "min", "max"))
                parsed.append(
                    Band(
                        label=r.get(band, "label", bp, str),
                        min=r.get(band, "min", bp, int),
                        max=r.get(band, "max", bp, int),
                    )
                )
            low, high = scores[sid].range(who)
            covered = sorted((b.min, b.max) for b in parsed)
            expect = int(low)
            for b_min, b_max in covered:
                if b_min > b_max or b_min != expect:
                    r.fail(
                        sp,
                        f"the bands must cover {low:g}-{high:g} without gaps or overlaps "
                        f"(at {expect}: {b_min}-{b_max})",
                    )
                expect = b_max + 1
            if expect - 1 != high:
                r.fail(sp, f"the bands must cover {low:g}-{high:g} without gaps or overlaps (end at {expect - 1})")
            labels = [b.label for b in parsed]
            if len(set(labels)) != len(labels):
                r.fail(sp, "band labels must be unique")
            per_score[sid] = tuple(parsed)
        bands[who] = Banding(
            informant=who,
            scheme=r.get(body, "scheme", path, str),
            source=_source_ref(r, body, path, sources),
            scores=per_score,
            status=_status(r, body, path),
        )
    banded = {sid for b in bands.values() for sid in b.scores}
    for sid in sorted(banded):
        lacking = [who for who in informants if sid not in bands.get(who, Banding(who, "", "", {})).scores]
        if lacking:
            r.fail("bands", f"{sid} is banded for some informants but not for {', '.join(lacking)}")
    return bands


def parse_instrument(doc: Any, file: str | Path) -> Instrument:
    """Validate a parsed instrument document and build an :class:`Instrument`."""
    r = Reader(file)
    r.mapping(
        doc,
        "",
        (
            "id",
            "name",
            "informants",
            "licence",
            "licence_source",
            "online",
            "sources",
            "unconfirmed",
            "response_sets",
            "reverse_source",
            "items",
            "missing_rule",
            "missing_source",
            "scores",
            "prescored",
            "bands",
            "min_group",
            "min_group_source",
        ),
    )
    iid = _ident(r, doc, "id", "")
    informants = r.get(doc, "informants", "", list)
    for i, who in enumerate(informants):
        if not isinstance(who, str) or not _IDENT.match(who):
            r.fail(f"informants[{i}]", "expected a lower-case name")
    if len(set(informants)) != len(informants):
        r.fail("informants", "must be unique")
    informants = tuple(informants)
    sources = _parse_sources(r, doc.get("sources"))
    sets = _parse_response_sets(r, doc.get("response_sets"), sources)
    items = _parse_items(r, doc.get("items"), informants, sets)
    if any(it.reverse for it in items):
        _source_ref(r, doc, "", sources, "reverse_source")
    min_group = r.get(doc, "min_group", "", int)
    if min_group < 2:
        r.fail("min_group", "must be at least 2")
    min_group_source = " ".join(r.get(doc, "min_group_source", "", str).split())
    inst = dict(
        informants=informants, sources=sources, items=items, min_group=min_group, min_group_source=min_group_source
    )
    scores: dict[str, ScoreSpec] = {}
    for i, body in enumerate(r.get(doc, "scores", "", list)):
        spec = _parse_score(r, body, f"scores[{i}]", inst, scores)
        scores[spec.id] = spec
    bands = _parse_bands(r, doc.get("bands"), informants, scores, sources)
    banded = {sid for b in bands.values() for sid in b.scores}
    final = tuple(ScoreSpec(**{**s.__dict__, "banded": s.id in banded}) for s in scores.values())
    prescored = r.get(doc, "prescored", "", list, required=False, default=[])
    for i, sid in enumerate(prescored):
        if sid not in scores or scores[sid].kind != "items":
            r.fail(f"prescored[{i}]", f"must name a kind: items score, got {sid!r}")
    unconfirmed = r.get(doc, "unconfirmed", "", list, required=False, default=[])
    for i, text in enumerate(unconfirmed):
        if not isinstance(text, str) or not text.strip():
            r.fail(f"unconfirmed[{i}]", "expected text")
    return Instrument(
        id=iid,
        name=r.get(doc, "name", "", str).strip(),
        informants=informants,
        response_sets=sets,
        items=items,
        scores=final,
        bands=bands,
        sources=sources,
        missing_rule=" ".join(r.get(doc, "missing_rule", "", str).split()),
        licence=" ".join(r.get(doc, "licence", "", str).split()),
        min_group=min_group,
        min_group_source=min_group_source,
        prescored=tuple(prescored),
        unconfirmed=tuple(" ".join(t.split()) for t in unconfirmed),
        licence_source=_source_ref(r, doc, "", sources, "licence_source", required=False),
        missing_source=_source_ref(r, doc, "", sources, "missing_source", required=False),
        path=str(file),
        online=r.get(doc, "online", "", bool, required=False, default=False),
    )


def available_instruments() -> list[str]:
    """Ids of the bundled instruments (their file stems)."""
    return sorted(p.stem for p in INSTRUMENT_DIR.glob("*.yaml"))


def instrument_path(name_or_path: str | Path) -> Path:
    """The YAML file of a bundled instrument id, or ``name_or_path`` itself if it is a file."""
    candidate = Path(name_or_path)
    if candidate.suffix.lower() in (".yaml", ".yml"):
        if not candidate.is_file():
            raise DataFileError(candidate.name, "", "no such instrument file")
        return candidate
    if str(name_or_path).lower() not in available_instruments():
        raise SettingsError(
            f"unknown instrument {str(name_or_path)!r} (bundled: "
            f"{', '.join(available_instruments())}; or give an instrument YAML file)"
        )
    return INSTRUMENT_DIR / f"{str(name_or_path).lower()}.yaml"


@cache
def _load_cached(path: str) -> Instrument:
    return parse_instrument(read_yaml(Path(path)), path)


def load_instrument(name_or_path: str | Path) -> Instrument:
    """Load a bundled instrument by id (``sdq``, ``swemwbs``, ``stirling``) or an instrument YAML file."""
    return _load_cached(str(instrument_path(name_or_path)))


__all__ = [
    "INSTRUMENT_DIR",
    "Band",
    "Banding",
    "Instrument",
    "Item",
    "MissingRule",
    "ResponseOption",
    "ResponseSet",
    "ScoreSpec",
    "Source",
    "available_instruments",
    "instrument_path",
    "load_instrument",
    "normalise_label",
    "parse_instrument",
]
