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
2. the outsider's audit (:mod:`.audit`, :mod:`.tables`) is run over
   everything shown, as printed (shares to the whole percent, means to one
   decimal, counts exact), and every hidden cell's reason;
3. while it finds a hidden cell disclosed, the smallest shown subgroup cell
   linked to it (the same section's other groups, or the same group in a
   section that shares items with it; a whole group only when no subgroup is
   left) is hidden too (*complementary*), and the audit runs again;
4. when nothing linked is left, every subgroup cell is hidden and the whole
   groups kept; if even that does not clear, every figure of the survey is
   hidden (*withheld*), with its reason.

:func:`survey_layouts` gives the public structure (each bundled framework's
sections of each survey, and the subgroups); :func:`true_cells` counts a
school year's answers and tallies per cell.

Not yet what the surfaces publish (issue 22 goes on): on the committed sample
school years it takes 0.07 to 13 s a school year (one HiGHS model per audit,
stopping at the first disclosed cell), against a target of 0.5 s, and it
still withholds some whole staff surveys that a better choice of
complementary cells would keep.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import Framework, QuestionBank, available_frameworks, load_framework, load_mapping
from ..store.surveys import MISSING, SurveyData
from .audit import audit
from .tables import NONE, PROTECTS, TOO_FEW, PublishedCell, SurveyLayout, hidden_cells, printed_interval, \
    survey_model

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
WITHHELD = "withheld"
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


def survey_layouts(bank: QuestionBank, frameworks: list[Framework] | None = None,
                   data: SurveyData | None = None) -> dict[str, SurveyLayout]:
    """Every survey's public structure under every framework (the bundled ones by default): its items, its
    subgroup parts (those present in ``data``, and "" for those who did not say) and each section's items,
    keyed ``framework:section``."""
    frameworks = frameworks or [load_framework(f) for f in available_frameworks()]
    tallies = data.tally_rows() if data is not None else None
    out = {}
    for survey_id, survey in bank.surveys.items():
        sections: dict[str, frozenset[str]] = {}
        for fw in frameworks:
            mapping = load_mapping(fw, bank)
            for item, section in mapping.surveys.get(survey_id, {}).items():
                key = f"{fw.id}:{section}"
                sections[key] = sections.get(key, frozenset()) | {item}
        if not sections:
            continue
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
    tallies = data.tally_rows()
    tally = tallies[tallies["survey"] == layout.survey]
    out: dict[CellKey, Counts] = {}
    for key, items in layout.sections.items():
        parts = []
        for g in layout.subgroups:
            n = answers = agree = total = 0
            if block is not None and len(block):
                rows = block.values[block.subgroups == g] if g else block.values[
                    ~np.isin(block.subgroups, [p for p in layout.subgroups if p])]
                columns = [block.item_ids.index(i) for i in items if i in block.item_ids]
                if columns and len(rows):
                    values = rows[:, columns]
                    answered = values != MISSING
                    n += int(answered.any(axis=1).sum())
                    answers += int(answered.sum())
                    agree += int((answered & (values >= layout.high_min)).sum())
                    total += int(np.where(answered, values, 0).sum())
            own = tally[(tally["subgroup"] == g) & tally["item_id"].isin(items)
                        & tally["value"].between(layout.scale_min, layout.scale_max)]
            if len(own):
                n += int(own.groupby("item_id")["count"].sum().max())
                answers += int(own["count"].sum())
                agree += int(own.loc[own["value"] >= layout.high_min, "count"].sum())
                total += int((own["value"] * own["count"]).sum())
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
        elif reason in (COMPLEMENTARY, WITHHELD):
            out.append(PublishedCell(key, g, PROTECTS))
        elif c.n == 0:
            out.append(PublishedCell(key, g, NONE))
        else:
            share = round(c.agree / c.answers, SHARE_DECIMALS)
            mean = round(c.total / c.answers, MEAN_DECIMALS)
            out.append(PublishedCell(key, g, n=c.n, answers=c.answers,
                                     share=printed_interval(share, SHARE_DECIMALS),
                                     mean=printed_interval(mean, MEAN_DECIMALS)))
    return out


def _linked(layout: SurveyLayout, cell: CellKey) -> list[CellKey]:
    """Cells whose figures bear on ``cell``: its section's other groups (and whole), and the same group in
    every section sharing an item with it."""
    key, g = cell
    out = [(key, other) for other in (None, *layout.subgroups) if other != g]
    out += [(k, g) for k, items in layout.sections.items() if k != key and items & layout.sections[key]]
    return out


def protect_jointly(layout: SurveyLayout, cells: dict[CellKey, Counts], threshold: int,
                    total_respondents: int | None = None) -> dict[CellKey, str]:
    """Which cells of one survey are hidden, and why (see the module notes): ``{cell: reason}`` for hidden
    cells only (:data:`PRIMARY`, :data:`COMPLEMENTARY`, :data:`WITHHELD`)."""
    reasons: dict[CellKey, str] = {c: PRIMARY for c, counts in cells.items() if 0 < counts.n < threshold}
    respondents = None
    if total_respondents is not None:
        respondents = (total_respondents, total_respondents) if total_respondents >= threshold \
            else (0 if total_respondents == 0 else 1, max(threshold - 1, 0))
    for _ in range(len(cells) + 1):
        published = _published(cells, reasons)
        sm = survey_model(layout, published, threshold, respondents)
        hidden = hidden_cells(sm, published)
        if not hidden:
            return reasons
        names = {f"{layout.survey} {c.section} {c.subgroup if c.subgroup is not None else 'whole'}":
                 (c.section, c.subgroup) for c in published}
        disclosed = [names[f.cell] for f in audit(sm.model, hidden, first=True) if f.disclosed]
        if not disclosed:
            return reasons
        candidates = {c for d in disclosed for c in _linked(layout, d)
                      if c not in reasons and cells[c].n > 0}
        if not candidates:
            # nothing linked is left: keep the whole groups, hide every subgroup (once), else withhold all
            parts = {c for c in cells if c[1] is not None and c not in reasons and cells[c].n > 0}
            if not parts:
                break
            reasons.update({c: COMPLEMENTARY for c in parts})
            continue
        smallest = min(candidates, key=lambda c: (c[1] is None, cells[c].n, c[0], c[1] or ""))
        reasons[smallest] = COMPLEMENTARY
    return {c: WITHHELD for c in cells if cells[c].n > 0}


__all__ = ["COMPLEMENTARY", "CellKey", "Counts", "MEAN_DECIMALS", "NO_RESPONSES", "PRIMARY", "SHARE_DECIMALS",
           "WITHHELD", "protect_jointly", "survey_layouts", "true_cells"]
