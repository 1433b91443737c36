"""One survey's cells under every framework, protected jointly (one publication).

Each framework groups a survey's items into sections of its own, so the tables of one school year under the
Wellbeing Quality Mark, Values-based Education and Leadership and Management are sums of the same answers.
:func:`true_cells` counts a school year's answers and tallies per cell (a section's whole group or one
subgroup: :class:`Counts`). :func:`protect_jointly` decides which cells are hidden for every framework's
sections of a survey at once, and why (``{cell: reason}``, hidden cells only: :data:`PRIMARY`,
:data:`COMPLEMENTARY` or :data:`WITHHELD`), per subgroup across every section of every framework, with the
outsider's audit (:mod:`.audit`, :mod:`.tables`) over everything shown as printed (:data:`SHARE_DECIMALS`,
:data:`MEAN_DECIMALS`); :func:`withheld` hides every figure of a survey with one reason, and
:func:`responses_line` is what the survey's "Responses" line tells. A school year's release (:mod:`.release`)
runs this for every survey, with its earlier publications (:mod:`.changes`) and its validated measures
(:mod:`.measures`).

Method: docs/privacy.md, "No small group can be identified".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..store.surveys import MISSING, SurveyData
from .audit import audit
from .tables import (
    NONE,
    PROTECTS,
    TOO_FEW,
    UNSAID,
    PublishedCell,
    SurveyLayout,
    cell_name,
    hidden_cells,
    printed_interval,
    survey_model,
)

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
        return {
            "respondents": self.n,
            "answers": self.answers,
            "agreeing": self.agree,
            "not agreeing": self.answers - self.agree,
            "sum": self.total,
        }


def responses_line(total: int | None, threshold: int) -> tuple[float, float] | None:
    """What a survey's "Responses" line tells an outsider, as an interval: exact when shown, 0 for "no
    responses", 1 to threshold - 1 for "fewer than ..."; None when not published."""
    if total is None:
        return None
    if total >= threshold or total == 0:
        return float(total), float(total)
    return 1.0, float(max(threshold - 1, 1))


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
        own = tallies[
            (tallies["survey"] == layout.survey) & tallies["value"].between(layout.scale_min, layout.scale_max)
        ]
        if len(own):
            own = own.assign(
                agree=np.where(own["value"] >= layout.high_min, own["count"], 0), total=own["value"] * own["count"]
            )
            for (g, item), c, a, t in (
                own.groupby(["subgroup", "item_id"])[["count", "agree", "total"]].sum().itertuples(name=None)
            ):
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
        elif reason == COMPLEMENTARY:  # at least the threshold
            out.append(PublishedCell(key, g, PROTECTS))
        elif reason in (WITHHELD, CHANGE):  # a withheld survey says nothing of a cell
            out.append(PublishedCell(key, g, UNSAID))
        elif c.n == 0:
            out.append(PublishedCell(key, g, NONE))
        else:
            share = round(c.agree / c.answers, SHARE_DECIMALS)
            mean = round(c.total / c.answers, MEAN_DECIMALS)
            out.append(
                PublishedCell(
                    key,
                    g,
                    n=c.n,
                    answers=c.answers,
                    share=printed_interval(share, SHARE_DECIMALS),
                    mean=printed_interval(mean, MEAN_DECIMALS),
                )
            )
    return out


def _known(
    layout: SurveyLayout, cells: dict[CellKey, Counts], published: list[PublishedCell]
) -> dict[str, dict[str, float]]:
    """The true value of every quantity of every hidden cell, named as :func:`hidden_cells` names them."""
    return {
        cell_name(layout.survey, c.section, c.subgroup): cells[(c.section, c.subgroup)].quantities()
        for c in published
        if c.hidden in (TOO_FEW, PROTECTS)
    }


def _disclosed(
    layout: SurveyLayout,
    cells: dict[CellKey, Counts],
    reasons: dict[CellKey, str],
    threshold: int,
    respondents: tuple[float, float] | None,
) -> list[CellKey]:
    """The first hidden cell the audit works something out of, from what ``reasons`` leave shown ([] when
    nothing is)."""
    published = _published(cells, reasons)
    sm = survey_model(layout, published, threshold, respondents)
    hidden = hidden_cells(sm, published)
    if not hidden:
        return []
    names = {cell_name(layout.survey, c.section, c.subgroup): (c.section, c.subgroup) for c in published}
    return [
        names[f.cell]
        for f in audit(sm.model, hidden, first=True, known=_known(layout, cells, published))
        if f.disclosed
    ]


def _hide_groups(
    cells: dict[CellKey, Counts], reasons: dict[CellKey, str], groups: set[str | None]
) -> dict[CellKey, str]:
    """``reasons`` with every cell of ``groups`` (in every section) hidden: a cell too small keeps
    :data:`PRIMARY`, any other with respondents becomes :data:`COMPLEMENTARY`."""
    out = dict(reasons)
    for cell, counts in cells.items():
        if cell[1] in groups and cell not in out and counts.n > 0:
            out[cell] = COMPLEMENTARY
    return out


#: audits a candidate: the first hidden cell it works something out of ([] when none)
Auditor = Callable[[dict[CellKey, str]], list[CellKey]]


def protect_jointly(
    layout: SurveyLayout,
    cells: dict[CellKey, Counts],
    threshold: int,
    total_respondents: int | None = None,
    auditor: Auditor | None = None,
    fallback: str = "",
    start_groups: frozenset[str] = frozenset(),
    start_sections: frozenset[str] = frozenset(),
) -> dict[CellKey, str]:
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
    smallest_first = sorted(
        groups, key=lambda g: (min((cells[(k, g)].n for k in layout.sections if cells[(k, g)].n > 0), default=0), g)
    )
    hidden = {c[1] for c in reasons if c[0] not in closed} | (set(start_groups) & set(groups))
    for _ in range(len(layout.sections) + len(groups) + 2):
        for cell, counts in cells.items():  # a section hidden whole: its parts go with it
            if cell[0] in closed and cell not in reasons and counts.n > 0:
                reasons[cell] = COMPLEMENTARY
        if len(hidden) == 1 and len(groups) > 1:  # one hidden subgroup is the whole less the others
            hidden.add(next(g for g in smallest_first if g not in hidden))
        reasons = _hide_groups(cells, reasons, hidden)
        disclosed = (
            auditor(reasons) if auditor is not None else _disclosed(layout, cells, reasons, threshold, respondents)
        )
        if not disclosed:
            return reasons
        section, subgroup = disclosed[0]
        linked = [
            k
            for k, items in layout.sections.items()
            if k not in closed and items & layout.sections[section] and cells[(k, None)].n > 0
        ]
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


__all__ = [
    "CHANGE",
    "COMPLEMENTARY",
    "CellKey",
    "Counts",
    "MEAN_DECIMALS",
    "NO_RESPONSES",
    "PRIMARY",
    "SHARE_DECIMALS",
    "WITHHELD",
    "protect_jointly",
    "responses_line",
    "true_cells",
    "withheld",
]
