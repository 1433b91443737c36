"""A school year's survey figures for every framework at once, protected jointly.

Each framework groups a survey's items into sections of its own, so the
tables of one school year under the Wellbeing Quality Mark, Values-based
Education and Leadership and Management are sums of the same answers.
Protecting each table on its own leaves hidden cells that the tables, taken
together, give away. :func:`protect_jointly` therefore decides which cells
are hidden for every framework's sections of a survey at once:

1. *primary*: a cell (a section's whole group or one subgroup) with 1 to
   ``threshold - 1`` respondents is hidden; a cell with none says "no
   responses";
2. a subgroup hidden in any section is hidden in every section of every
   framework, and a single hidden subgroup takes the smallest other with it
   (*complementary*); a section hidden whole takes its subgroups with it;
3. the outsider's audit (:mod:`.audit`, :mod:`.tables`) is run over
   everything shown, as printed (shares to the whole percent, means to one
   decimal, counts exact), every hidden cell's reason and the survey's
   respondents; while it works out anything of a hidden cell, more is
   hidden: for a section hidden whole, the smallest section sharing items
   with it; else the next smallest subgroup, everywhere;
4. when nothing is left to hide, every figure of the survey is hidden
   (*withheld*), with its reason, and nothing is said of any cell (not even
   "no responses" or "fewer than ...").

:func:`survey_layouts` gives the public structure (each bundled framework's
sections of each survey, and the subgroups); :func:`true_cells` counts a
school year's answers and tallies per cell.

Decisions are made per subgroup, across every section of every framework
(see :func:`protect_jointly`), which keeps the audits few: on the committed
sample school years a release takes about 0.05 to 0.9 s (2 busy cores).
:func:`release_of` is what the published figures read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..data import Framework, QuestionBank, SurveyMapping, available_frameworks, load_framework, load_mapping
from ..store.surveys import MISSING, SurveyData
from .audit import audit, cleared
from .changes import SurveyPublication, protect_release
from .tables import NONE, PROTECTS, TOO_FEW, UNSAID, PublishedCell, SurveyLayout, cell_name, hidden_cells, \
    printed_interval, survey_model

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
WITHHELD = "withheld"
#: hidden because, with an earlier publication of the school year, a small change could be worked out
CHANGE = "change"
NO_RESPONSES = "none"
#: how figures are printed: a share to the whole percent (2 decimals as a fraction), a mean to one decimal
SHARE_DECIMALS = 2
MEAN_DECIMALS = 1
#: a cell: (section key "framework:section", subgroup or None for the whole group)
CellKey = tuple[str, "str | None"]


@dataclass(frozen=True)
class Counts:
    """A cell's true counts: respondents, answers, agreeing answers, sum of answers."""
    n: int
    answers: int
    agree: int
    total: int

    def quantities(self) -> dict[str, float]:
        """The counts by the names the audit gives a cell's quantities (:meth:`~.audit.CellQuantities.named`)."""
        return {"respondents": self.n, "answers": self.answers, "agreeing": self.agree,
                "not agreeing": self.answers - self.agree, "sum": self.total}


def responses_line(total: int | None, threshold: int) -> tuple[float, float] | None:
    """What a survey's "Responses" line tells an outsider, as an interval: exact when shown, 0 for "no
    responses", 1 to threshold - 1 for "fewer than ..."; None when not published."""
    if total is None:
        return None
    if total >= threshold or total == 0:
        return float(total), float(total)
    return 1.0, float(max(threshold - 1, 1))


def survey_layouts(bank: QuestionBank, frameworks: list[Framework] | None = None,
                   data: SurveyData | None = None, mappings: dict[str, SurveyMapping] | None = None) \
        -> dict[str, SurveyLayout]:
    """Every survey's public structure under every framework (the bundled ones by default): its items, its
    subgroup parts (those present in ``data``, and "" for those who did not say) and each section's items,
    keyed ``framework:section``. ``mappings``: a framework's mapping by framework id, where it is not the
    framework's own file's."""
    frameworks = frameworks or [load_framework(f) for f in available_frameworks()]
    tallies = data.tally_rows() if data is not None else None
    loaded = {fw.id: (mappings or {}).get(fw.id) or load_mapping(fw, bank) for fw in frameworks}
    out = {}
    for survey_id, survey in bank.surveys.items():
        sections: dict[str, frozenset[str]] = {}
        for fw in frameworks:
            mapping = loaded[fw.id]
            for item, section in mapping.surveys.get(survey_id, {}).items():
                key = f"{fw.id}:{section}"
                sections[key] = sections.get(key, frozenset()) | {item}
        if not sections:
            continue
        sections = dict(sorted(sections.items()))          # one order, whichever framework asks
        given: set[str] = set()
        if data is not None:
            block = data.blocks.get(survey_id)
            if block is not None:
                given |= set(block.subgroups)
            given |= set(tallies.loc[tallies["survey"] == survey_id, "subgroup"])
        parts = [v for v in survey.subgroup.values if v in given] if survey.subgroup else []
        if "" in given or not parts:
            parts.append("")
        scale = bank.scale_of(survey_id)
        items = tuple(i.id for i in survey.items)
        out[survey_id] = SurveyLayout(survey_id, items, tuple(parts), sections, min(scale.values), max(scale.values),
                                      scale.high_min)
    return out


def true_cells(data: SurveyData, layout: SurveyLayout) -> dict[CellKey, Counts]:
    """The true counts of every cell of one survey (respondents' answers and tallied forms together)."""
    block = data.blocks.get(layout.survey)
    named = [p for p in layout.subgroups if p]
    rows_of: dict[str, np.ndarray] = {}
    if block is not None and len(block):
        for g in layout.subgroups:
            rows_of[g] = block.values[block.subgroups == g] if g else block.values[~np.isin(block.subgroups, named)]
    # a tally's (subgroup, item): forms, agreeing forms, sum of answers
    tallied: dict[tuple[str, str], tuple[int, int, int]] = {}
    tallies = data.tally_rows()
    if len(tallies):
        own = tallies[(tallies["survey"] == layout.survey)
                      & tallies["value"].between(layout.scale_min, layout.scale_max)]
        if len(own):
            own = own.assign(agree=np.where(own["value"] >= layout.high_min, own["count"], 0),
                             total=own["value"] * own["count"])
            for (g, item), c, a, t in own.groupby(["subgroup", "item_id"])[["count", "agree", "total"]].sum() \
                    .itertuples(name=None):
                tallied[(g, item)] = (int(c), int(a), int(t))
    out: dict[CellKey, Counts] = {}
    for key, items in layout.sections.items():
        columns = [block.item_ids.index(i) for i in items if i in block.item_ids] if block is not None else []
        parts = []
        for g in layout.subgroups:
            n = answers = agree = total = 0
            rows = rows_of.get(g)
            if columns and rows is not None and len(rows):
                values = rows[:, columns]
                answered = values != MISSING
                n += int(answered.any(axis=1).sum())
                answers += int(answered.sum())
                agree += int((answered & (values >= layout.high_min)).sum())
                total += int(np.where(answered, values, 0).sum())
            forms = [tallied[(g, i)] for i in items if (g, i) in tallied]
            if forms:
                n += max(f[0] for f in forms)
                answers += sum(f[0] for f in forms)
                agree += sum(f[1] for f in forms)
                total += sum(f[2] for f in forms)
            out[(key, g)] = Counts(n, answers, agree, total)
            parts.append(out[(key, g)])
        out[(key, None)] = Counts(*(sum(getattr(p, f) for p in parts) for f in ("n", "answers", "agree", "total")))
    return out


def _published(cells: dict[CellKey, Counts], reasons: dict[CellKey, str]) -> list[PublishedCell]:
    """What the outsider reads: shown cells as printed, hidden ones by their reason."""
    out = []
    for (key, g), c in cells.items():
        reason = reasons.get((key, g), "")
        if reason in (PRIMARY,):
            out.append(PublishedCell(key, g, TOO_FEW))
        elif reason == COMPLEMENTARY:                             # at least the threshold
            out.append(PublishedCell(key, g, PROTECTS))
        elif reason in (WITHHELD, CHANGE):                        # a withheld survey says nothing of a cell
            out.append(PublishedCell(key, g, UNSAID))
        elif c.n == 0:
            out.append(PublishedCell(key, g, NONE))
        else:
            share = round(c.agree / c.answers, SHARE_DECIMALS)
            mean = round(c.total / c.answers, MEAN_DECIMALS)
            out.append(PublishedCell(key, g, n=c.n, answers=c.answers,
                                     share=printed_interval(share, SHARE_DECIMALS),
                                     mean=printed_interval(mean, MEAN_DECIMALS)))
    return out


def _known(layout: SurveyLayout, cells: dict[CellKey, Counts], published: list[PublishedCell]) \
        -> dict[str, dict[str, float]]:
    """The true value of every quantity of every hidden cell, named as :func:`hidden_cells` names them."""
    return {cell_name(layout.survey, c.section, c.subgroup): cells[(c.section, c.subgroup)].quantities()
            for c in published if c.hidden in (TOO_FEW, PROTECTS)}


def _disclosed(layout: SurveyLayout, cells: dict[CellKey, Counts], reasons: dict[CellKey, str], threshold: int,
               respondents: tuple[float, float] | None) -> list[CellKey]:
    """The first hidden cell the audit works something out of, from what ``reasons`` leave shown ([] when
    nothing is)."""
    published = _published(cells, reasons)
    sm = survey_model(layout, published, threshold, respondents)
    hidden = hidden_cells(sm, published)
    if not hidden:
        return []
    names = {cell_name(layout.survey, c.section, c.subgroup): (c.section, c.subgroup) for c in published}
    return [names[f.cell] for f in audit(sm.model, hidden, first=True, known=_known(layout, cells, published))
            if f.disclosed]


def _hide_groups(cells: dict[CellKey, Counts], reasons: dict[CellKey, str], groups: set[str | None]) \
        -> dict[CellKey, str]:
    """``reasons`` with every cell of ``groups`` (in every section) hidden: a cell too small keeps
    :data:`PRIMARY`, any other with respondents becomes :data:`COMPLEMENTARY`."""
    out = dict(reasons)
    for cell, counts in cells.items():
        if cell[1] in groups and cell not in out and counts.n > 0:
            out[cell] = COMPLEMENTARY
    return out


#: audits a candidate: the first hidden cell it works something out of ([] when none)
Auditor = Callable[[dict[CellKey, str]], list[CellKey]]


def protect_jointly(layout: SurveyLayout, cells: dict[CellKey, Counts], threshold: int,
                    total_respondents: int | None = None, auditor: Auditor | None = None,
                    fallback: str = "", start_groups: frozenset[str] = frozenset(),
                    start_sections: frozenset[str] = frozenset()) -> dict[CellKey, str]:
    """Which cells of one survey are hidden, and why (see the module notes): ``{cell: reason}`` for hidden
    cells only (:data:`PRIMARY`, :data:`COMPLEMENTARY`, :data:`WITHHELD`).

    Decisions are made per subgroup, in every section of every framework at once: a subgroup too small in
    any section is hidden in all of them (so no framework's sections can be set against another's), and a
    single hidden subgroup takes the smallest other one with it. A section whose whole group is too small
    is hidden with its subgroups. Then, while the audit works anything out: a hidden whole section is
    covered by hiding the smallest section sharing items with it (whole and subgroups); a hidden subgroup
    by hiding the next smallest subgroup too. With nothing left to hide and the audit still not clear,
    every figure of the survey is withheld (with the reason ``fallback``, :data:`WITHHELD` by default).

    ``auditor`` audits a candidate (default: this publication alone, :func:`_disclosed`); a school year's
    release with earlier publications passes one that reads them too (:func:`~.changes.protect_release`),
    and the subgroups and sections they hid (``start_groups``, ``start_sections``), hidden from the start: a
    choice that changed between publications would let each be set against the other."""
    reasons: dict[CellKey, str] = {c: PRIMARY for c, counts in cells.items() if 0 < counts.n < threshold}
    respondents = responses_line(total_respondents, threshold)
    closed = {c[0] for c in reasons if c[1] is None} | (set(start_sections) & set(layout.sections))
    groups = [g for g in layout.subgroups if any(cells[(k, g)].n > 0 for k in layout.sections)]
    smallest_first = sorted(groups, key=lambda g: (min((cells[(k, g)].n for k in layout.sections
                                                        if cells[(k, g)].n > 0), default=0), g))
    hidden = {c[1] for c in reasons if c[0] not in closed} | (set(start_groups) & set(groups))
    for _ in range(len(layout.sections) + len(groups) + 2):
        for cell, counts in cells.items():                  # a section hidden whole: its parts go with it
            if cell[0] in closed and cell not in reasons and counts.n > 0:
                reasons[cell] = COMPLEMENTARY
        if len(hidden) == 1 and len(groups) > 1:            # one hidden subgroup is the whole less the others
            hidden.add(next(g for g in smallest_first if g not in hidden))
        reasons = _hide_groups(cells, reasons, hidden)
        disclosed = auditor(reasons) if auditor is not None else \
            _disclosed(layout, cells, reasons, threshold, respondents)
        if not disclosed:
            return reasons
        section, subgroup = disclosed[0]
        linked = [k for k, items in layout.sections.items()
                  if k not in closed and items & layout.sections[section] and cells[(k, None)].n > 0]
        rest = [g for g in smallest_first if g not in hidden]
        if (section in closed or not rest) and linked:
            closed.add(min(linked, key=lambda k: (cells[(k, None)].n, k)))
        elif rest:
            hidden.add(rest[0])
        else:
            break
    return withheld(cells, threshold, fallback or WITHHELD)


def withheld(cells: dict[CellKey, Counts], threshold: int, reason: str = WITHHELD) -> dict[CellKey, str]:
    """Every figure of a survey hidden with ``reason``, its empty and small cells too: a withheld survey says
    nothing of any cell (not "no responses", not "fewer than ..."), as each of those would be a fact the
    outsider could set against an earlier or another publication."""
    return {c: reason for c in cells}


@dataclass(frozen=True)
class Release:
    """Which figures of one school year's surveys are hidden, and why, for every framework at once:
    ``reasons[survey][(section key "framework:section", subgroup or None)]`` (hidden cells only); and, for the
    ledger, what each survey's publication tells an outsider (``published``: its cells as printed,
    ``totals``: its "Responses" line) and its ``members`` (:mod:`.changes`)."""
    threshold: int
    reasons: dict[str, dict[CellKey, str]]
    published: dict[str, tuple[PublishedCell, ...]] = field(default_factory=dict)
    totals: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    members: dict[str, dict[str, int]] = field(default_factory=dict)
    #: validated measures: ``measures[survey][(family "instrument.score|informant", subgroup or None)]``
    measures: dict[str, dict[tuple[str, "str | None"], str]] = field(default_factory=dict)

    def measure_reasons(self) -> dict[tuple[str, str, "str | None"], str]:
        """Why each hidden measure cell is hidden, by (survey, family, subgroup)."""
        return {(s, k, g): r for s, v in self.measures.items() for (k, g), r in v.items()}

    def reason(self, survey: str, framework: str, section: str, subgroup: str | None) -> str:
        """Why one cell is hidden (:data:`PRIMARY`, :data:`COMPLEMENTARY`, :data:`WITHHELD`, :data:`CHANGE`),
        '' when shown."""
        return self.reasons.get(survey, {}).get((f"{framework}:{section}", subgroup), "")

    def publication(self, survey: str) -> SurveyPublication:
        """This release's publication of one survey, as a later release reads it."""
        return SurveyPublication(self.members.get(survey, {}), self.published.get(survey, ()),
                                 self.totals.get(survey))

    def to_json(self) -> dict:
        """A JSON-ready form (the ledger's)."""
        return {"threshold": self.threshold,
                "reasons": {s: sorted(([k, g, r] for (k, g), r in v.items()), key=lambda x: (x[0], x[1] or ""))
                            for s, v in sorted(self.reasons.items())},
                "published": {s: [_cell_json(c) for c in v] for s, v in sorted(self.published.items())},
                "totals": {s: list(v) if v is not None else None for s, v in sorted(self.totals.items())},
                "members": {s: dict(sorted(v.items())) for s, v in sorted(self.members.items())},
                "measures": {s: sorted(([k, g, r] for (k, g), r in v.items()), key=lambda x: (x[0], x[1] or ""))
                             for s, v in sorted(self.measures.items())}}

    @classmethod
    def from_json(cls, doc: dict) -> "Release":
        return cls(int(doc["threshold"]),
                   {s: {(k, g): r for k, g, r in v} for s, v in doc["reasons"].items()},
                   {s: tuple(_cell_of(c) for c in v) for s, v in doc["published"].items()},
                   {s: tuple(v) if v is not None else None for s, v in doc["totals"].items()},
                   {s: {k: int(w) for k, w in v.items()} for s, v in doc["members"].items()},
                   {s: {(k, g): r for k, g, r in v} for s, v in doc.get("measures", {}).items()})

    @property
    def release_id(self) -> str:
        """A digest of everything the release publishes and is made of."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:24]


def _cell_json(c: PublishedCell) -> list:
    return [c.section, c.subgroup, c.hidden, c.n, c.answers, list(c.share) if c.share else None,
            list(c.mean) if c.mean else None]


def _cell_of(v: list) -> PublishedCell:
    section, subgroup, hidden, n, answers, share, mean = v
    return PublishedCell(section, subgroup, hidden, n, answers, tuple(share) if share else None,
                         tuple(mean) if mean else None)


def fingerprint(data: SurveyData) -> str:
    """A digest of a school year's answers and tallies (what a release is a function of)."""
    import hashlib

    h = hashlib.sha256()
    for survey_id in sorted(data.blocks):
        block = data.blocks[survey_id]
        h.update(f"{survey_id}\n{list(block.item_ids)}\n{list(map(str, block.subgroups))}\n".encode())
        h.update(np.ascontiguousarray(block.values).tobytes())
    h.update(data.tally_rows().to_csv(index=False).encode())
    h.update(repr(data.tally_imports).encode())
    return h.hexdigest()


def release_frameworks(framework: Framework | None = None) -> list[Framework]:
    """The frameworks a release covers: every bundled one, ``framework`` in place of the bundled one of its id,
    in one order whichever asks."""
    frameworks = [load_framework(f) for f in available_frameworks()]
    if framework is not None:
        frameworks = [fw for fw in frameworks if fw.id != framework.id] + [framework]
    return sorted(frameworks, key=lambda fw: fw.id)


def _bundled(framework: Framework) -> bool:
    """Whether ``framework`` is a bundled framework as shipped (a view of the bundled release)."""
    from pathlib import Path

    if framework.id not in available_frameworks():
        return False
    return Path(load_framework(framework.id).path).resolve() == Path(framework.path).resolve()


def release_key(data: SurveyData, threshold: int, respondents: dict[str, int], framework: Framework | None = None,
                mapping: SurveyMapping | None = None) -> str:
    """What a release is a function of, besides earlier releases, as one digest: the data, the threshold,
    the published respondents and the frameworks (with a custom one's mapping). Every bundled framework's
    view of a school year has the same key: they are views of one release."""
    import hashlib

    custom = framework is not None and not _bundled(framework)
    parts = (fingerprint(data), threshold, tuple(sorted(respondents.items())),
             tuple((fw.id, fw.path) for fw in release_frameworks(framework if custom else None)),
             tuple(sorted((k, tuple(sorted(v.items()))) for k, v in mapping.surveys.items()))
             if custom and mapping is not None else ())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _measures(data: SurveyData, bank: QuestionBank, threshold: int, reasons: dict[str, dict[CellKey, str]],
              published: dict[str, tuple[PublishedCell, ...]]) -> dict[str, dict]:
    """Every survey's validated measures, decided with the survey's own cells (:mod:`.measures`): a subgroup
    the survey hides is hidden in every family."""
    from .measures import measure_families, protect_measures

    scores = data.score_rows()
    out: dict[str, dict] = {}
    if not len(scores):
        return out
    for survey_id in sorted(set(scores["survey"].astype(str))):
        survey = bank.surveys.get(survey_id)
        if survey is None:
            continue
        families = measure_families(scores, survey_id, tuple(survey.subgroup.values) if survey.subgroup else None)
        if not families:
            continue
        own = reasons.get(survey_id, {})
        said = set(own.values())
        withheld_reason = next(iter(said)) if said and said <= {WITHHELD, CHANGE} else ""
        # the subgroups the survey hides as subgroups: hidden in a section whose whole is shown (a section
        # hidden whole hides its parts with it, which says nothing of one subgroup)
        cells = published.get(survey_id, ())
        open_sections = {c.section for c in cells if c.subgroup is None and not c.hidden}
        hidden_groups = frozenset(c.subgroup for c in cells if c.subgroup is not None and c.section in open_sections
                                  and c.hidden in (TOO_FEW, PROTECTS))
        out[survey_id] = protect_measures(families, threshold, hidden_groups, withheld_reason)
    return out


_RELEASES: dict[tuple, Release] = {}
#: releases kept in memory (a report asks for its school year's several times: one per framework view)
RELEASES_KEPT = 64


def release_of(data: SurveyData, bank: QuestionBank, threshold: int, respondents: dict[str, int],
               framework: Framework | None = None, mapping: SurveyMapping | None = None,
               earlier: list[Release] | None = None) -> Release:
    """The release of one school year: every bundled framework's sections (and ``framework`` with its
    ``mapping``, when given, in place of the bundled one of its id) protected jointly, survey by survey,
    and with every ``earlier`` release of the school year (:func:`~.changes.protect_release`);
    ``respondents`` is each survey's published number of respondents.

    Kept in memory by what it is a function of (:func:`release_key` and the earlier releases), so each
    framework's view of the same school year reads one release."""
    frameworks = release_frameworks(framework)
    mappings: dict[str, SurveyMapping] = {framework.id: mapping} if framework is not None and mapping else {}
    earlier = earlier or []
    key = (release_key(data, threshold, respondents, framework, mapping), tuple(r.release_id for r in earlier))
    found = _RELEASES.get(key)
    if found is not None:
        return found
    reasons, published, totals, members = {}, {}, {}, {}
    for survey_id, layout in survey_layouts(bank, frameworks, data, mappings).items():
        history = [r.publication(survey_id) for r in earlier if survey_id in r.published]
        total = respondents.get(survey_id)
        cells = true_cells(data, layout)
        reasons[survey_id], members[survey_id] = protect_release(layout, data, threshold, total, history, cells)
        published[survey_id] = tuple(_published(cells, reasons[survey_id]))
        totals[survey_id] = responses_line(total, threshold)
    release = Release(threshold, reasons, published, totals, members,
                      _measures(data, bank, threshold, reasons, published))
    while len(_RELEASES) >= RELEASES_KEPT:
        del _RELEASES[next(iter(_RELEASES))]
    _RELEASES[key] = release
    return release


__all__ = ["CHANGE", "Release", "responses_line", "fingerprint", "release_frameworks", "release_key", "release_of", "withheld", "COMPLEMENTARY", "CellKey", "Counts", "MEAN_DECIMALS", "NO_RESPONSES", "PRIMARY", "SHARE_DECIMALS",
           "WITHHELD", "protect_jointly", "survey_layouts", "true_cells"]
