"""Trends across every year in the store, and which changes since last year are real.

:func:`school_trends` reads a school's :class:`~wqm_nb.model.year.YearResult`
history (oldest first) and gives a :class:`Trends`: every year's published
survey figures per section and group (``series``, :data:`SERIES_COLUMNS`),
every year's mean self-evaluated rating per section (``ratings``,
:data:`RATING_COLUMNS`), and one row per section and group comparing this
year with the year before it in the store (``changes``,
:data:`CHANGE_COLUMNS`, made by :func:`compare_years`): its ``verdict``
(:data:`IMPROVED`, :data:`DECLINED`, :data:`NO_CLEAR_CHANGE`,
:data:`TOO_FEW`, :data:`NOT_COMPARED`, ...) and ``position_change``, the
change in positions (0 to 1: a share as it is, a mean rating as its place on
the scale), by which changes are ranked. :attr:`Trends.improvements` and
:attr:`Trends.declines` hold the ``top_changes`` largest of whole groups and
the self-evaluation, and :meth:`Trends.sentences` says them in words.
Thresholds come from ``decisions.trends``
(:class:`~wqm_nb.data.decision_rules.TrendRules`). Only the published table is
read (:class:`PublishedFigures` holds no number of a hidden group), and a
suppressed figure is never compared.

Method: docs/methodology.md, "Trends".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..data import Framework, QuestionBank
from ..data.decision_rules import TrendRules
from ..data.surveys import MEASURE_RATING
from .figures import NO_RESPONSES, NOT_GIVEN
from .stats import EPSILON, intervals_overlap, is_missing
from .year import YearResult

IMPROVED = "improved"
DECLINED = "declined"
NO_CLEAR_CHANGE = "no clear change"
TOO_FEW = "too few responses to compare"
NOT_COMPARED = "not compared"  # a figure is not published in one of the years
NO_EARLIER = "no earlier figure"
NOT_THIS_YEAR = "no figure this year"
NOT_RATED = "not rated"  # in one of the two years (the note says which)
#: verdicts that call a change
CALLED = (IMPROVED, DECLINED)
#: verdicts of a pair of figures that were compared
COMPARED = (IMPROVED, DECLINED, NO_CLEAR_CHANGE)

SURVEY = "survey"
SELF_EVALUATION = "self_evaluation"
SELF_EVALUATION_NAME = "Self-evaluation"

SERIES_COLUMNS = [
    "year",
    "survey",
    "survey_name",
    "section_id",
    "section",
    "subgroup_field",
    "subgroup",
    "measure",
    "n",
    "agree_share",
    "ci_low",
    "ci_high",
    "suppressed",
    "reason",
]
RATING_COLUMNS = ["year", "principle_id", "principle", "mean_rating", "rated", "elements"]
CHANGE_COLUMNS = [
    "kind",
    "section_id",
    "section",
    "survey",
    "survey_name",
    "subgroup_field",
    "subgroup",
    "measure",
    "previous_year",
    "year",
    "before",
    "after",
    "before_low",
    "before_high",
    "after_low",
    "after_high",
    "n_before",
    "n_after",
    "change",
    "position_change",
    "verdict",
    "note",
]
_COUNT_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
}


def compare_shares(
    before: Mapping | None,
    after: Mapping | None,
    min_respondents: int,
    previous_year: str = "last year",
    year: str = "this year",
) -> tuple[str, str]:
    """The verdict on one group's share in two years, and a note saying why.

    ``before`` and ``after`` are published figure rows (``n``, ``agree_share``,
    ``ci_low``, ``ci_high``, ``suppressed``, ``reason``) or None when the group
    has no figure that year. A change is called only when both are published,
    both have at least ``min_respondents`` respondents, and the intervals do
    not overlap.
    """
    if after is None:
        return NOT_THIS_YEAR, f"no figure in {year}"
    if before is None:
        return NO_EARLIER, f"no figure in {previous_year}"
    for row, when in ((before, previous_year), (after, year)):
        if bool(row["suppressed"]):
            reason = str(row["reason"])
            shown = reason if reason.startswith("not shown") else f"not shown ({reason})"
            return NOT_COMPARED, f"not compared: the {when} figure is {shown}"
    if int(before["n"]) < min_respondents or int(after["n"]) < min_respondents:
        return TOO_FEW, f"{TOO_FEW}: needs at least {min_respondents} respondents in both years"
    if intervals_overlap(
        float(before["ci_low"]), float(before["ci_high"]), float(after["ci_low"]), float(after["ci_high"])
    ):
        return NO_CLEAR_CHANGE, "the 95% intervals of the two years overlap"
    verdict = IMPROVED if float(after["agree_share"]) > float(before["agree_share"]) else DECLINED
    return verdict, "the 95% intervals of the two years do not overlap"


def compare_ratings(
    before: float | None,
    after: float | None,
    min_change: float,
    previous_year: str = "last year",
    year: str = "this year",
) -> tuple[str, str]:
    """The verdict on a section's mean self-evaluated rating in two years (no sampling interval: a
    change is called when the mean moved by at least ``min_change``)."""
    if is_missing(before) or is_missing(after):
        missing = [when for value, when in ((before, previous_year), (after, year)) if is_missing(value)]
        return NOT_RATED, f"not rated in {' or '.join(missing)}"
    assert before is not None and after is not None  # None is missing
    change = float(after) - float(before)
    if abs(change) + EPSILON < min_change:
        return NO_CLEAR_CHANGE, (
            f"moved less than {min_change:g}, the smallest change of a self-evaluation called a "
            f"change (it has no sampling interval)"
        )
    return (IMPROVED if change > 0 else DECLINED), f"moved by at least {min_change:g}"


def _position(rating: float, framework: Framework) -> float:
    span = framework.scale.max - framework.scale.min
    return (rating - framework.scale.min) / span if span else math.nan


def _group_key(row: Mapping) -> tuple:
    field = row.get("subgroup_field")
    return (
        row["survey"],
        row["section_id"],
        None if is_missing(field) else field,
        None if is_missing(field) else row.get("subgroup"),
    )


def compare_years(
    earlier: YearResult | None, later: YearResult, framework: Framework, rules: TrendRules, subgroups: bool = True
) -> pd.DataFrame:
    """One row per section and group (:data:`CHANGE_COLUMNS`) comparing ``later`` with ``earlier``.

    Survey rows come from both years' published figures (every survey, whole
    groups and, when ``subgroups``, subgroups); a self-evaluation row per
    section compares mean ratings. Rows follow the framework's section order,
    then the later year's table order. ``earlier`` None (the first year in the
    store) gives every row :data:`NO_EARLIER`.
    """
    previous_year = earlier.year if earlier is not None else "an earlier year"
    order = {p.id: k for k, p in enumerate(framework.principles)}
    names = {p.id: p.name for p in framework.principles}
    rows = []

    def published(year_result: YearResult | None) -> dict[tuple, dict]:
        if year_result is None:
            return {}
        table = year_result.figures.item_figures
        table = table[table["reason"] != NO_RESPONSES]  # a group nobody answered has no figure
        if not subgroups:
            table = table[table["subgroup_field"].isna()]
        return {_group_key(r): r for r in table.to_dict("records")}

    before_rows, after_rows = published(earlier), published(later)
    keys = list(after_rows) + [k for k in before_rows if k not in after_rows]
    for key in keys:
        before, after = before_rows.get(key), after_rows.get(key)
        source = after if after is not None else before
        assert source is not None  # every key is in one year or the other
        verdict, note = compare_shares(before, after, rules.min_respondents, previous_year, later.year)

        def value(row: Mapping | None, column: str) -> float:
            if row is None or bool(row["suppressed"]):
                return math.nan
            return float(row[column])

        def size(row: Mapping | None) -> Any:
            return pd.NA if row is None or bool(row["suppressed"]) else int(row["n"])

        b, a = value(before, "agree_share"), value(after, "agree_share")
        change = a - b if verdict in COMPARED else math.nan
        rows.append(
            dict(
                kind=SURVEY,
                section_id=source["section_id"],
                section=source["section"],
                survey=source["survey"],
                survey_name=source["survey_name"],
                subgroup_field=key[2],
                subgroup=key[3],
                measure=source["measure"],
                previous_year=earlier.year if earlier else None,
                year=later.year,
                before=b,
                after=a,
                before_low=value(before, "ci_low"),
                before_high=value(before, "ci_high"),
                after_low=value(after, "ci_low"),
                after_high=value(after, "ci_high"),
                n_before=size(before),
                n_after=size(after),
                change=change,
                position_change=change,
                verdict=verdict,
                note=note,
            )
        )
    before_means = (
        {}
        if earlier is None
        else dict(zip(earlier.principles["principle_id"], earlier.principles["mean_rating"], strict=False))
    )
    for p in framework.principles:
        after_mean = dict(zip(later.principles["principle_id"], later.principles["mean_rating"], strict=False)).get(
            p.id
        )
        before_mean = before_means.get(p.id)
        if earlier is None:
            verdict, note = NO_EARLIER, "no earlier year in the store"
        else:
            verdict, note = compare_ratings(before_mean, after_mean, rules.min_rating_change, previous_year, later.year)
        b = math.nan if before_mean is None or is_missing(before_mean) else float(before_mean)
        a = math.nan if after_mean is None or is_missing(after_mean) else float(after_mean)
        change = a - b if verdict in COMPARED else math.nan
        rows.append(
            dict(
                kind=SELF_EVALUATION,
                section_id=p.id,
                section=p.name,
                survey="",
                survey_name=SELF_EVALUATION_NAME,
                subgroup_field=None,
                subgroup=None,
                measure="",
                previous_year=earlier.year if earlier else None,
                year=later.year,
                before=b,
                after=a,
                before_low=math.nan,
                before_high=math.nan,
                after_low=math.nan,
                after_high=math.nan,
                n_before=pd.NA,
                n_after=pd.NA,
                change=change,
                position_change=change / (framework.scale.max - framework.scale.min)
                if framework.scale.max > framework.scale.min
                else math.nan,
                verdict=verdict,
                note=note,
            )
        )
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    if not len(frame):
        return frame
    frame["_section"] = frame["section_id"].map(order).fillna(len(order))
    frame["_kind"] = (frame["kind"] == SURVEY).astype(int)
    frame["section"] = frame["section"].fillna(frame["section_id"].map(names))
    frame = frame.sort_values(["_section", "_kind"], kind="stable").drop(columns=["_section", "_kind"])
    for column in ("n_before", "n_after"):
        frame[column] = frame[column].astype("Int64")
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class Trends:
    """A school's figures across every year in the store, and this year's changes (see the module notes)."""

    year: str
    previous_year: str | None
    years: tuple[str, ...]
    series: pd.DataFrame  # SERIES_COLUMNS: published figures, every year
    ratings: pd.DataFrame  # RATING_COLUMNS: mean self-evaluated rating per section, every year
    changes: pd.DataFrame  # CHANGE_COLUMNS: this year against the previous one
    rules: TrendRules
    #: per survey, how its share is said in words ("agreeing", "rating 3 or higher")
    share_words: Mapping[str, str]

    def _top(self, verdict: str) -> pd.DataFrame:
        c = self.changes
        rows = c[(c["verdict"] == verdict) & c["subgroup_field"].isna()]
        rows = rows.assign(_size=rows["position_change"].abs())
        return (
            rows.sort_values("_size", ascending=False, kind="stable")
            .drop(columns="_size")
            .head(self.rules.top_changes)
            .reset_index(drop=True)
        )

    @property
    def improvements(self) -> pd.DataFrame:
        """The ``top_changes`` largest improvements of whole groups and self-evaluations, largest first."""
        return self._top(IMPROVED)

    @property
    def declines(self) -> pd.DataFrame:
        """The ``top_changes`` largest declines of whole groups and self-evaluations, largest first."""
        return self._top(DECLINED)

    @property
    def has_previous(self) -> bool:
        return self.previous_year is not None

    def describe(self, row: Any) -> str:
        """One change in words: what, where, the two years' figures and the difference."""
        return describe_change(row, self.share_words)

    def headline(self, verdict: str) -> tuple[str, list[str]]:
        """The biggest changes of one kind (:data:`IMPROVED` or :data:`DECLINED`) in words: a heading such as
        "The three biggest improvements since 2024-25 (of 5)" and one description per change (none: a
        sentence saying so, and no items)."""
        noun = "improvement" if verdict == IMPROVED else "decline"
        if self.previous_year is None:
            return f"{self.year} is the first year in the store: changes show from the second year.", []
        top = self.improvements if verdict == IMPROVED else self.declines
        total = int(((self.changes["verdict"] == verdict) & self.changes["subgroup_field"].isna()).sum())
        if not len(top):
            article = "an" if noun == "improvement" else "a"
            return f"No change since {self.previous_year} is large enough to call {article} {noun}.", []
        count = len(top)
        if count == 1 and total == 1:
            head = f"One {noun} since {self.previous_year}"
        elif count == 1:
            head = f"The biggest {noun} since {self.previous_year} (of {total})"
        elif total > count:
            head = f"The {_COUNT_WORDS.get(count, count)} biggest {noun}s since {self.previous_year} (of {total})"
        else:
            head = f"{str(_COUNT_WORDS.get(count, count)).capitalize()} {noun}s since {self.previous_year}"
        return head, [self.describe(r) for r in top.itertuples()]

    def sentences(self) -> list[str]:
        """The biggest improvements and declines in words (one sentence each)."""
        if self.previous_year is None:
            return [self.headline(IMPROVED)[0]]
        out = []
        for verdict in (IMPROVED, DECLINED):
            head, items = self.headline(verdict)
            out.append(f"{head}: {'; '.join(items)}." if items else head)
        return out


def share_words(bank: QuestionBank | None, surveys: Iterable[str]) -> dict[str, str]:
    """How each survey's share is said: "agreeing" for stakeholder agreement, "rating 3 or higher" for a
    rating survey (the staff audit: its ``high_min``)."""
    words = {}
    for survey in surveys:
        if bank is not None and survey in bank.surveys and bank.surveys[survey].measure == MEASURE_RATING:
            words[survey] = f"rating {bank.scale_of(survey).high_min} or higher"
        else:
            words[survey] = "agreeing"
    return words


def group_label(row: Any) -> str:
    """The group a change row is about: "Pupil survey", "Pupil survey (Y5)", "Self-evaluation"."""
    field = getattr(row, "subgroup_field", None)
    if is_missing(field):
        return str(row.survey_name)
    sub = row.subgroup
    return f"{row.survey_name} ({'not given' if sub == NOT_GIVEN else sub})"


def describe_change(row: Any, words: Mapping[str, str] | None = None) -> str:
    """A change row in words, e.g. "Pupil survey on P3 Pupil voice: 48% agreeing in 2024-25, 71% in 2025-26
    (+23 points; n = 140 and 152)". Only for rows whose two figures were compared."""
    where = f"{row.section_id} {row.section}"
    if row.kind == SELF_EVALUATION:
        return (
            f"{SELF_EVALUATION_NAME} of {where}: mean rating {row.before:.1f} in {row.previous_year}, "
            f"{row.after:.1f} in {row.year} ({row.change:+.1f})"
        )
    said = (words or {}).get(row.survey, "rating it high" if row.measure == MEASURE_RATING else "agreeing")
    points = round(row.after * 100) - round(row.before * 100)
    return (
        f"{group_label(row)} on {where}: {row.before:.0%} {said} in {row.previous_year}, "
        f"{row.after:.0%} in {row.year} ({points:+d} points; n = {row.n_before} and {row.n_after})"
    )


def year_series(history: Sequence[YearResult]) -> pd.DataFrame:
    """Every year's published survey figures in one table (:data:`SERIES_COLUMNS`), oldest year first; a
    group nobody answered that year has no row."""
    frames = [
        y.figures.item_figures[y.figures.item_figures["reason"] != NO_RESPONSES].assign(year=y.year)
        for y in history
        if len(y.figures.item_figures)
    ]
    if not frames:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]


def year_ratings(history: Sequence[YearResult]) -> pd.DataFrame:
    """Every year's mean self-evaluated rating per section (:data:`RATING_COLUMNS`), oldest year first."""
    frames = [y.principles.assign(year=y.year) for y in history if len(y.principles)]
    if not frames:
        return pd.DataFrame(columns=RATING_COLUMNS)
    return pd.concat(frames, ignore_index=True)[RATING_COLUMNS]


def school_trends(
    framework: Framework,
    history: Sequence[YearResult],
    bank: QuestionBank | None = None,
    rules: TrendRules | None = None,
    subgroups: bool = True,
) -> Trends:
    """The trends of a school's history (oldest first, ending with the year reported); thresholds from
    ``framework.decisions.trends`` unless ``rules`` are given."""
    if not history:
        raise ValueError("school_trends needs at least one year")
    rules = rules or framework.decisions.trends
    current = history[-1]
    earlier = history[-2] if len(history) > 1 else None
    series = year_series(history)
    return Trends(
        year=current.year,
        previous_year=earlier.year if earlier else None,
        years=tuple(y.year for y in history),
        series=series,
        ratings=year_ratings(history),
        changes=compare_years(earlier, current, framework, rules, subgroups),
        rules=rules,
        share_words=share_words(bank, dict.fromkeys(series["survey"])),
    )


__all__ = [
    "CALLED",
    "CHANGE_COLUMNS",
    "COMPARED",
    "DECLINED",
    "IMPROVED",
    "NOT_COMPARED",
    "NOT_RATED",
    "NOT_THIS_YEAR",
    "NO_CLEAR_CHANGE",
    "NO_EARLIER",
    "RATING_COLUMNS",
    "SELF_EVALUATION",
    "SERIES_COLUMNS",
    "SURVEY",
    "TOO_FEW",
    "Trends",
    "compare_ratings",
    "compare_shares",
    "compare_years",
    "describe_change",
    "group_label",
    "intervals_overlap",
    "school_trends",
    "share_words",
    "year_ratings",
    "year_series",
]
