"""The table of published survey figures: the only source of survey numbers.

:func:`publish_figures` turns a school year's survey responses into one table,
computed once per report: a row per survey x framework section for the whole
group, and a row per survey x section x subgroup (staff role, pupil year
group). Every table, chart, strength, award rule and export reads from it, so
a figure the table suppresses cannot appear anywhere.

Columns (one record each, the shape of ``wqm export``):

==================  ============================================================
``survey``          survey id (``staff``, ``pupil``, ``parent``)
``survey_name``     its display name
``section_id``      framework section (WQM principle, VbE aspect, L&M key question)
``section``         its name
``subgroup_field``  ``None`` for the whole group, else the subgroup question (``role``)
``subgroup``        ``None`` for the whole group, else its value (``teaching``); ``""`` for
                    those who did not answer the subgroup question, so the parts add up
                    to the whole
``measure``         what the numbers measure (``agreement``)
``n``               respondents who answered at least one of the section's items
``answers``         answers counted
``agree_share``     share of answers at or above the bank's ``agree_min`` (0..1)
``mean``            mean answer on the Likert scale
``ci_low``,         95% Wilson interval of ``agree_share`` with ``n`` respondents
``ci_high``
``suppressed``      True when the group is too small to publish
``reason``          why it is not shown: ``fewer than 5 responses``; ``not shown, so that a
                    smaller group cannot be worked out`` (complementary suppression);
                    ``no responses``; else ``""``
==================  ============================================================

For a suppressed row ``n``, ``answers``, ``agree_share`` and ``mean`` are
missing: the exact size of a small group is not published either. Which
cells are hidden is decided per family (a whole group and its subgroups in
one section) by :func:`wqm_nb.model.suppression.protect`, so no hidden count
can be worked out from the shown ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..data import Framework, QuestionBank, SurveyMapping
from .stats import wilson_interval
from .suppression import COMPLEMENTARY, PRIMARY, Cell, protect

MEASURE_AGREEMENT = "agreement"
NO_RESPONSES = "no responses"
PROTECTS_SMALLER = "not shown, so that a smaller group cannot be worked out"
NOT_GIVEN = ""   # the subgroup of respondents who did not answer the subgroup question
COLUMNS = ["survey", "survey_name", "section_id", "section", "subgroup_field", "subgroup", "measure", "n",
           "answers", "agree_share", "mean", "ci_low", "ci_high", "suppressed", "reason"]
TOTAL_COLUMNS = ["survey", "survey_name", "mapped", "n", "suppressed", "reason"]


def too_few(min_group_size: int) -> str:
    """The wording used wherever a group is suppressed."""
    return f"fewer than {min_group_size} responses"


@dataclass(frozen=True)
class PublishedFigures:
    """The published survey figures of one school year against one framework."""
    table: pd.DataFrame          # COLUMNS, whole-group and subgroup rows
    totals: pd.DataFrame         # TOTAL_COLUMNS: respondents per survey
    min_group_size: int

    @cached_property
    def whole(self) -> pd.DataFrame:
        """Whole-group rows (no subgroup)."""
        return self.table[self.table["subgroup_field"].isna()].reset_index(drop=True)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """Whole-group rows that are published (not suppressed)."""
        whole = self.whole
        return whole[~whole["suppressed"]].reset_index(drop=True)

    @cached_property
    def _shown_by_section(self) -> dict[str, pd.DataFrame]:
        return {sec: rows.reset_index(drop=True) for sec, rows in self.shown.groupby("section_id", sort=False)}

    def subgroups(self, survey: str) -> pd.DataFrame:
        """Subgroup rows of one survey."""
        t = self.table
        return t[(t["survey"] == survey) & t["subgroup_field"].notna()].reset_index(drop=True)

    def for_section(self, section_id: str) -> pd.DataFrame:
        """Published whole-group rows for one section."""
        return self._shown_by_section.get(section_id, self.shown.iloc[0:0])

    @property
    def unmapped(self) -> list[str]:
        """Names of surveys the framework's mapping leaves out."""
        return list(self.totals.loc[~self.totals["mapped"], "survey_name"])

    @property
    def has_figures(self) -> bool:
        return bool(len(self.table))


def _aggregate(data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not len(data):
        return pd.DataFrame(columns=keys + ["n", "answers", "mean", "agree_share", "agree"])
    return data.groupby(keys, sort=False).agg(
        n=("respondent", "nunique"), answers=("value", "size"), mean=("value", "mean"),
        agree_share=("agree", "mean"), agree=("agree", "sum")).reset_index()


def publish_figures(responses: pd.DataFrame, bank: QuestionBank, mapping: SurveyMapping, framework: Framework,
                    min_group_size: int) -> PublishedFigures:
    """Compute the published figures from long-form responses
    (columns survey, respondent, subgroup, item_id, value), with primary and
    complementary suppression (:mod:`wqm_nb.model.suppression`)."""
    sections = mapping.item_sections()
    data = responses.assign(section_id=[sections.get((s, i)) for s, i in
                                        zip(responses["survey"], responses["item_id"])])
    data = data[data["section_id"].notna()]
    data = data.assign(agree=data["value"] >= bank.agree_min)
    names = {p.id: p.name for p in framework.principles}
    rows = []
    for survey_id, survey in bank.surveys.items():
        if not mapping.is_mapped(survey_id):
            continue
        items = {sec: sum(1 for s in mapping.surveys[survey_id].values() if s == sec)
                 for sec in mapping.sections(survey_id, framework)}
        own = data[data["survey"] == survey_id]
        whole = _aggregate(own, ["section_id"]).set_index("section_id")
        by_group = _aggregate(own, ["section_id", "subgroup"]).set_index(["section_id", "subgroup"])
        given = set(own["subgroup"])
        # the parts of each whole: every subgroup value present, then those who did not say
        parts = ([v for v in survey.subgroup.values if v in given] + ([NOT_GIVEN] if NOT_GIVEN in given else [])
                 if survey.subgroup else [])
        for sec, n_items in items.items():
            family = [dict(survey=survey_id, subgroup_field=None, subgroup=None, section_id=sec,
                           **_stats(whole, sec))]
            family += [dict(survey=survey_id, subgroup_field=survey.subgroup.field, subgroup=value, section_id=sec,
                            **_stats(by_group, (sec, value))) for value in parts]
            cells = [Cell(r["n"], r["answers"], r["agree"]) for r in family]
            protect(cells[0], cells[1:], min_group_size, n_items)
            for row, cell in zip(family, cells):
                row["reason"] = (too_few(min_group_size) if cell.hidden == PRIMARY else
                                 PROTECTS_SMALLER if cell.hidden == COMPLEMENTARY else
                                 NO_RESPONSES if cell.n == 0 else "")
            rows += family
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("survey_name", "section", "measure",
                                                                        "ci_low", "ci_high", "suppressed")]
                         + ["agree"])
    table["survey_name"] = table["survey"].map({k: s.name for k, s in bank.surveys.items()})
    table["section"] = table["section_id"].map(names)
    table["measure"] = MEASURE_AGREEMENT
    table["n"] = table["n"].astype(int)
    table["answers"] = table["answers"].astype(int)
    table["suppressed"] = table["reason"] != ""
    intervals = [wilson_interval(share, n) for share, n in zip(table["agree_share"], table["n"])]
    table["ci_low"] = [lo for lo, _ in intervals]
    table["ci_high"] = [hi for _, hi in intervals]
    table = _blank_suppressed(table)

    totals = []
    for survey_id, survey in bank.surveys.items():
        n = int(responses.loc[responses["survey"] == survey_id, "respondent"].nunique()) if len(responses) else 0
        totals.append(dict(survey=survey_id, survey_name=survey.name, mapped=mapping.is_mapped(survey_id),
                           n=n, suppressed=n < min_group_size,
                           reason=NO_RESPONSES if n == 0 else too_few(min_group_size) if n < min_group_size
                           else ""))
    totals_frame = pd.DataFrame(totals, columns=TOTAL_COLUMNS)
    totals_frame["n"] = totals_frame["n"].astype("Int64").mask(totals_frame["suppressed"])
    return PublishedFigures(table=table[COLUMNS], totals=totals_frame, min_group_size=min_group_size)


def _stats(grouped: pd.DataFrame, key) -> dict:
    if key in grouped.index:
        r = grouped.loc[key]
        return dict(n=int(r["n"]), answers=int(r["answers"]), mean=float(r["mean"]),
                    agree_share=float(r["agree_share"]), agree=int(r["agree"]))
    return dict(n=0, answers=0, mean=np.nan, agree_share=np.nan, agree=0)


def _blank_suppressed(table: pd.DataFrame) -> pd.DataFrame:
    """Remove every number of a suppressed row (sizes included)."""
    out = table.copy()
    out["n"] = out["n"].astype("Int64").mask(out["suppressed"])
    out["answers"] = out["answers"].astype("Int64").mask(out["suppressed"])
    numbers = ["agree_share", "mean", "ci_low", "ci_high"]
    out[numbers] = out[numbers].astype(float)
    out.loc[out["suppressed"], numbers] = np.nan
    return out
