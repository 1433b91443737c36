"""The table of published survey figures: the only source of survey numbers.

:func:`publish_figures` turns a school year's survey data (respondents' answers
and paper tallies) into one table, a :class:`PublishedFigures`, computed once
per report: a row per survey x framework section for the whole group, a row
per survey x section x subgroup (staff role, pupil year group), and the rows
of the validated measures (:mod:`wqm_nb.model.measures`). Every table, chart,
strength, award rule and export reads from it, so a figure the table
suppresses cannot appear anywhere.

Columns (one record each, the shape of ``wqm export``):

==================  ============================================================
``survey``          survey id (``staff``, ``pupil``, ``parent``, ``staff_audit``)
``survey_name``     its display name
``section_id``      framework section (WQM principle, VbE aspect, L&M key question);
                    None on a measure's rows
``section``         its name
``subgroup_field``  ``None`` for the whole group, else the subgroup question (``role``)
``subgroup``        ``None`` for the whole group, else its value (``teaching``); ``""`` for
                    those who did not answer the subgroup question, so the parts add up
                    to the whole
``measure``         what the numbers measure: ``agreement`` (a stakeholder survey on the
                    bank's Likert scale) or ``rating`` (a survey on a scale of its own:
                    the staff audit, staff rating each framing principle on the maturity
                    scale); or a validated measure scored per respondent:
                    ``<instrument>.<score>`` for its mean (``swemwbs.metric``,
                    ``sdq.total_difficulties``, ``stirling.total``) and
                    ``<instrument>.<score>:<band>`` for the share in one band
                    (``sdq.emotional:Borderline``)
``n``               respondents who answered at least one of the section's items (a
                    measure: respondents with a score)
``answers``         answers counted (a measure: scores, one per respondent, so ``n``)
``agree_share``     share of answers at or above the survey's threshold (0..1, 2 decimals):
                    ``agreement``: the bank's ``agree_min`` (agree or strongly agree);
                    ``rating``: the survey's ``high_min`` (the staff audit: 3 or 4,
                    "Developing practice" or "Embedded and evaluated"); a measure's band
                    row: the share of the group's scored respondents in that band (a
                    group's band shares add up to 1); NaN on a measure's mean row
``mean``            mean answer on the survey's scale (1 decimal): 1-5 Likert for
                    ``agreement``, the survey's own scale for ``rating`` (the staff audit:
                    1-4 maturity, comparable with the self-evaluation's mean rating); a
                    measure's mean row: the mean score on the score's own range (SWEMWBS
                    metric 7-35); NaN on a band row
``ci_low``,         95% Wilson interval of the rounded ``agree_share`` with ``n``
``ci_high``         respondents (2 decimals); on a measure's mean row the 95% Student t
                    interval of the mean (1 decimal; none for a group of one, or in a
                    family with a hidden group)
``suppressed``      True when the group is not shown (``reason`` is not ``""``)
``reason``          why it is not shown: one of :func:`reason_texts` (:func:`too_few`,
                    :data:`PROTECTS_SMALLER`, :data:`PROTECTS_CHANGE`,
                    :data:`WITHHELD_SURVEY`, :data:`NO_RESPONSES`); else ``""``
``instrument``      a measure's instrument id (``sdq``, ``swemwbs``, ``stirling``); None
                    on the rows of the question bank's surveys
``informant``       a measure's informant (the SDQ's ``parent``, ``teacher`` or ``self``;
                    ``self`` for SWEMWBS and Stirling); None otherwise
``score``           a measure's score id (``metric``, ``total_difficulties``); None otherwise
``band``            a band row's band label (``Borderline``); None on every other row
==================  ============================================================

A measure's rows come per survey, instrument, informant and score: the whole
group and each subgroup get a mean row and, for a banded score, one row per
band; a group's mean row and band rows are shown or hidden together. A
measure is published whether or not the framework maps the survey.

On a suppressed row ``n``, ``answers``, ``agree_share``, ``mean`` and the
interval are missing. Which cells are hidden is decided once per school year
for every framework's sections at once
(:func:`wqm_nb.disclosure.release.release_of`), and this table is one
framework's view of that release. Values are kept as printed (the decimals
above): every chart, rule and export reads them.

Readers choose by measure. Stakeholder agreement (the survey tables and
charts, award rules, strengths and areas, the group roll-up) reads
:attr:`PublishedFigures.whole`, :attr:`~PublishedFigures.shown`,
:meth:`~PublishedFigures.for_section` and :meth:`~PublishedFigures.subgroups`,
which hold ``agreement`` rows only: a staff audit is staff's view of
practice, not agreement, and never counts toward it, and neither does a
measure. The self-evaluation section reads the staff audit through
:meth:`~PublishedFigures.ratings`; the measures section and the group
roll-up read measures through :meth:`~PublishedFigures.measure_means` and
:meth:`~PublishedFigures.measure_bands`; a reader of the question bank's
figures across measures (trends, triangulation) reads
:attr:`~PublishedFigures.item_figures`; ``wqm export`` writes the whole
:attr:`~PublishedFigures.table`.

Method: docs/privacy.md, "No small group can be identified" (what is hidden, and why; figures kept as
printed); the export's columns: docs/data-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..data import Framework, QuestionBank, SurveyMapping
from ..data.surveys import MEASURE_AGREEMENT, MEASURE_RATING
from ..disclosure.release import (
    CHANGE,
    COMPLEMENTARY,
    MEAN_DECIMALS,
    PRIMARY,
    SHARE_DECIMALS,
    WITHHELD,
    Release,
    release_of,
)
from ..disclosure.release import NO_RESPONSES as RELEASE_NO_RESPONSES
from ..store.surveys import MISSING, SurveyBlock, SurveyData
from .measures import measure_rows
from .stats import wilson_interval

NO_RESPONSES = "no responses"
PROTECTS_SMALLER = "not shown, so that a smaller group cannot be worked out"
PROTECTS_CHANGE = "not shown, so that a change since the last publication cannot be worked out"
WITHHELD_SURVEY = (
    "not shown: no survey figure of this school year can be published without a small group being worked out"
)
NOT_GIVEN = ""  # the subgroup of respondents who did not answer the subgroup question
COLUMNS = [
    "survey",
    "survey_name",
    "section_id",
    "section",
    "subgroup_field",
    "subgroup",
    "measure",
    "n",
    "answers",
    "agree_share",
    "mean",
    "ci_low",
    "ci_high",
    "suppressed",
    "reason",
    "instrument",
    "informant",
    "score",
    "band",
]
#: The measures of the question bank's own surveys (every other ``measure`` is a validated measure's score).
ITEM_MEASURES = (MEASURE_AGREEMENT, MEASURE_RATING)
TOTAL_COLUMNS = ["survey", "survey_name", "measure", "mapped", "n", "suppressed", "reason"]


def too_few(min_group_size: int) -> str:
    """The wording used wherever a group is suppressed."""
    return f"fewer than {min_group_size} responses"


def reason_texts(min_group_size: int) -> dict[str, str]:
    """What a figure hidden for each of the release's reasons says (and an empty group, under
    :data:`~wqm_nb.disclosure.protect.NO_RESPONSES`): the report's table, the measures and
    ``wqm publish --dry-run`` print the same words."""
    return {
        PRIMARY: too_few(min_group_size),
        COMPLEMENTARY: PROTECTS_SMALLER,
        CHANGE: PROTECTS_CHANGE,
        WITHHELD: WITHHELD_SURVEY,
        RELEASE_NO_RESPONSES: NO_RESPONSES,
    }


@dataclass(frozen=True)
class PublishedFigures:
    """The published survey figures of one school year against one framework.

    :attr:`table` holds every row; :attr:`whole`, :attr:`shown`,
    :meth:`for_section` and :meth:`subgroups` hold the ``agreement`` rows only
    (stakeholder agreement); :meth:`ratings` the ``rating`` rows (the staff
    audit)."""

    table: pd.DataFrame  # COLUMNS, whole-group and subgroup rows
    totals: pd.DataFrame  # TOTAL_COLUMNS: respondents per survey
    min_group_size: int
    #: surveys whose every figure is withheld because the disclosure audit could not clear them
    withheld: tuple[str, ...] = ()

    @cached_property
    def agreement(self) -> pd.DataFrame:
        """Rows of stakeholder agreement (measure ``agreement``), whole groups and subgroups."""
        return self.table[self.table["measure"] == MEASURE_AGREEMENT].reset_index(drop=True)

    @cached_property
    def whole(self) -> pd.DataFrame:
        """Whole-group rows of stakeholder agreement (no subgroup)."""
        return self.agreement[self.agreement["subgroup_field"].isna()].reset_index(drop=True)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """Whole-group rows of stakeholder agreement that are published (not suppressed)."""
        whole = self.whole
        return whole[~whole["suppressed"]].reset_index(drop=True)

    @cached_property
    def _shown_by_section(self) -> dict[str, pd.DataFrame]:
        return {sec: rows.reset_index(drop=True) for sec, rows in self.shown.groupby("section_id", sort=False)}

    def subgroups(self, survey: str) -> pd.DataFrame:
        """Subgroup rows of one survey's stakeholder agreement (none for a ``rating`` survey)."""
        t = self.agreement
        return t[(t["survey"] == survey) & t["subgroup_field"].notna()].reset_index(drop=True)

    def for_section(self, section_id: str) -> pd.DataFrame:
        """Published whole-group rows of stakeholder agreement for one section."""
        return self._shown_by_section.get(section_id, self.shown.iloc[0:0])

    def ratings(self, survey: str | None = None, subgroups: bool = False) -> pd.DataFrame:
        """Rows of the ``rating`` surveys (the staff audit), suppressed ones included with their reason:
        whole groups, or only the subgroup rows when ``subgroups``; of one survey when ``survey`` is given."""
        t = self.table
        rows = t[(t["measure"] == MEASURE_RATING) & (t["subgroup_field"].notna() == subgroups)]
        if survey is not None:
            rows = rows[rows["survey"] == survey]
        return rows.reset_index(drop=True)

    @cached_property
    def item_figures(self) -> pd.DataFrame:
        """The rows of the question bank's surveys (``agreement`` and ``rating``), without measures."""
        return self.table[self.table["measure"].isin(ITEM_MEASURES)].reset_index(drop=True)

    @cached_property
    def measures(self) -> pd.DataFrame:
        """Every row of a validated measure (mean rows and band rows), suppressed ones with their reason."""
        return self.table[~self.table["measure"].isin(ITEM_MEASURES)].reset_index(drop=True)

    def _measure_rows(
        self, bands: bool, survey: str | None, instrument: str | None, score: str | None, subgroups: bool | None
    ) -> pd.DataFrame:
        rows = self.measures
        if not len(rows):
            return rows
        rows = rows[rows["band"].notna() == bands]
        for column, value in (("survey", survey), ("instrument", instrument), ("score", score)):
            if value is not None:
                rows = rows[rows[column] == value]
        if subgroups is not None:
            rows = rows[rows["subgroup_field"].notna() == subgroups]
        return rows.reset_index(drop=True)

    def measure_means(
        self,
        survey: str | None = None,
        instrument: str | None = None,
        score: str | None = None,
        subgroups: bool | None = None,
    ) -> pd.DataFrame:
        """A measure's mean rows (suppressed ones with their reason), narrowed by survey, instrument, score
        and whether they are subgroup rows (``subgroups`` True), whole-group rows (False) or both (None)."""
        return self._measure_rows(False, survey, instrument, score, subgroups)

    def measure_bands(
        self,
        survey: str | None = None,
        instrument: str | None = None,
        score: str | None = None,
        subgroups: bool | None = None,
    ) -> pd.DataFrame:
        """A banded measure's band rows (share in each band), narrowed as :meth:`measure_means`."""
        return self._measure_rows(True, survey, instrument, score, subgroups)

    def responded(self, survey: str) -> bool:
        """Whether a survey has any respondent this year (shown or not)."""
        totals = self.totals[self.totals["survey"] == survey]
        return bool(len(totals)) and totals.iloc[0]["reason"] != NO_RESPONSES

    @property
    def unmapped(self) -> list[str]:
        """Names of stakeholder (``agreement``) surveys the framework's mapping leaves out."""
        t = self.totals
        return list(t.loc[~t["mapped"] & (t["measure"] == MEASURE_AGREEMENT), "survey_name"])

    @property
    def has_figures(self) -> bool:
        return bool(len(self.table))


@dataclass
class _Sums:
    """Additive totals of one group in one section: respondents, answers, agreeing answers, sum of values."""

    n: np.ndarray
    answers: np.ndarray
    agree: np.ndarray
    total: np.ndarray

    def add(self, other: _Sums) -> _Sums:
        return _Sums(self.n + other.n, self.answers + other.answers, self.agree + other.agree, self.total + other.total)

    def stats(self, k: int) -> dict:
        answers = int(self.answers[k])
        return dict(
            n=int(self.n[k]),
            answers=answers,
            agree=int(self.agree[k]),
            mean=float(self.total[k]) / answers if answers else np.nan,
            agree_share=float(self.agree[k]) / answers if answers else np.nan,
        )


def _respondent_sums(
    block: SurveyBlock | None, columns: list[int], codes: np.ndarray, parts: int, high_min: int
) -> _Sums:
    """Per part (subgroup code), the sums over respondents of one section's items."""
    if block is None or not len(block) or not columns:
        zero = np.zeros(parts)
        return _Sums(zero, zero, zero, zero)
    values = block.values[:, columns]
    answered = values != MISSING
    row_answers = answered.sum(axis=1)

    def per_part(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=parts)[:parts]

    return _Sums(
        per_part((row_answers > 0).astype(float)),
        per_part(row_answers.astype(float)),
        per_part((answered & (values >= high_min)).sum(axis=1).astype(float)),
        per_part(np.where(answered, values, 0).sum(axis=1).astype(float)),
    )


def _tally_sums(
    tally: pd.DataFrame, items: set[str], part_index: dict[str, int], parts: int, high_min: int, scale: set[int]
) -> _Sums:
    """Per part, the sums of a paper tally over one section's items.

    A tally counts answers, not forms: the respondents of a part in a section
    are taken as the largest count any one of the section's items has there
    (every form that answered the section answered at least that item, so it
    is the count of forms that can be known; it never overstates them).
    """
    zero = np.zeros(parts)
    rows = tally[tally["item_id"].isin(items) & tally["value"].isin(scale)]
    if not len(rows):
        return _Sums(zero, zero.copy(), zero.copy(), zero.copy())
    sums = _Sums(zero.copy(), zero.copy(), zero.copy(), zero.copy())
    for subgroup, own in rows.groupby("subgroup", sort=False):
        k = part_index[subgroup]
        per_item = own.groupby("item_id")["count"].sum()
        sums.n[k] = per_item.max()
        sums.answers[k] = own["count"].sum()
        sums.agree[k] = own.loc[own["value"] >= high_min, "count"].sum()
        sums.total[k] = (own["value"] * own["count"]).sum()
    return sums


def survey_totals(data: SurveyData, bank: QuestionBank) -> dict[str, int]:
    """Each survey's respondents (:func:`survey_respondents`), as its "Responses" line publishes them."""
    return {
        survey_id: survey_respondents(data, survey_id, set(bank.values_of(survey_id))) for survey_id in bank.surveys
    }


def publish_figures(
    data: SurveyData,
    bank: QuestionBank,
    mapping: SurveyMapping,
    framework: Framework,
    min_group_size: int,
    release: Release | None = None,
) -> PublishedFigures:
    """Compute the published figures from a school year's survey data (respondents'
    answers and paper tallies, :class:`~wqm_nb.store.surveys.SurveyData`), with
    the school year's release deciding what is hidden (:mod:`wqm_nb.disclosure.release`).

    Respondents and tallied forms of the same group add up: a paper batch and an
    online export of one survey are one group of people."""
    names = {p.id: p.name for p in framework.principles}
    tallies = data.tally_rows()
    respondents = survey_totals(data, bank)
    if release is None:  # no publication ledger at hand: the release of this data alone
        release = release_of(data, bank, min_group_size, respondents, framework, mapping)
    texts = reason_texts(min_group_size)
    rows = []
    for survey_id, survey in bank.surveys.items():
        if not mapping.is_mapped(survey_id):
            continue
        answer_scale = bank.scale_of(survey_id)
        scale, high_min = set(answer_scale.values), answer_scale.high_min
        block = data.blocks.get(survey_id)
        tally = tallies[tallies["survey"] == survey_id]
        given = set(block.subgroups) if block is not None else set()
        given |= set(tally["subgroup"])
        # the parts of each whole: every subgroup value present, then those who did not say
        parts = [v for v in survey.subgroup.values if v in given] if survey.subgroup else []
        if NOT_GIVEN in given or not survey.subgroup:
            parts.append(NOT_GIVEN)
        part_index = {value: k for k, value in enumerate(parts)}
        codes = (
            np.array([part_index.get(g, part_index.get(NOT_GIVEN, 0)) for g in block.subgroups], dtype=np.intp)
            if block is not None
            else np.zeros(0, dtype=np.intp)
        )
        for sec in mapping.sections(survey_id, framework):
            items = [i for i, s in mapping.surveys[survey_id].items() if s == sec]
            columns = [block.item_ids.index(i) for i in items if i in block.item_ids] if block is not None else []
            sums = _respondent_sums(block, columns, codes, len(parts), high_min).add(
                _tally_sums(tally, set(items), part_index, len(parts), high_min, scale)
            )
            whole = _Sums(*(np.array([x.sum()]) for x in (sums.n, sums.answers, sums.agree, sums.total)))
            family = [
                dict(
                    survey=survey_id,
                    subgroup_field=None,
                    subgroup=None,
                    section_id=sec,
                    measure=survey.measure,
                    **whole.stats(0),
                )
            ]
            if survey.subgroup and parts != [NOT_GIVEN]:  # no breakdown when nobody answered the question
                family += [
                    dict(
                        survey=survey_id,
                        subgroup_field=survey.subgroup.field,
                        subgroup=value,
                        section_id=sec,
                        measure=survey.measure,
                        **sums.stats(k),
                    )
                    for k, value in enumerate(parts)
                ]
            for row in family:
                hidden = release.reason(survey_id, framework.id, sec, row["subgroup"])
                row["reason"] = texts[hidden] if hidden else NO_RESPONSES if row["n"] == 0 else ""
            rows += family
    table = pd.DataFrame(
        rows,
        columns=[
            c
            for c in COLUMNS
            if c not in ("survey_name", "section", "ci_low", "ci_high", "suppressed", *MEASURE_COLUMNS)
        ]
        + ["agree"],
    )
    table["survey_name"] = table["survey"].map({k: s.name for k, s in bank.surveys.items()})
    table["section"] = table["section_id"].map(names)
    table["n"] = table["n"].astype(int)
    table["answers"] = table["answers"].astype(int)
    table["suppressed"] = table["reason"] != ""
    table["agree_share"] = table["agree_share"].astype(float).round(SHARE_DECIMALS)  # as printed (see notes)
    table["mean"] = table["mean"].astype(float).round(MEAN_DECIMALS)
    intervals = [wilson_interval(share, n) for share, n in zip(table["agree_share"], table["n"], strict=False)]
    table["ci_low"] = [round(lo, SHARE_DECIMALS) for lo, _ in intervals]
    table["ci_high"] = [round(hi, SHARE_DECIMALS) for _, hi in intervals]
    for column in MEASURE_COLUMNS:
        table[column] = None
    table = _blank_suppressed(table)
    measures = _measure_table(data, bank, min_group_size, release)
    if len(measures):
        table = pd.concat([table[COLUMNS], measures[COLUMNS]], ignore_index=True) if len(table) else measures

    totals = []
    for survey_id, survey in bank.surveys.items():
        n = respondents[survey_id]
        totals.append(
            dict(
                survey=survey_id,
                survey_name=survey.name,
                measure=survey.measure,
                mapped=mapping.is_mapped(survey_id),
                n=n,
                suppressed=n < min_group_size,
                reason=NO_RESPONSES if n == 0 else too_few(min_group_size) if n < min_group_size else "",
            )
        )
    totals_frame = pd.DataFrame(totals, columns=TOTAL_COLUMNS)
    totals_frame["n"] = totals_frame["n"].astype("Int64").mask(totals_frame["suppressed"])
    withheld = tuple(
        s for s, v in release.reasons.items() if v and set(v.values()) == {WITHHELD} and mapping.is_mapped(s)
    )
    return PublishedFigures(table=table[COLUMNS], totals=totals_frame, min_group_size=min_group_size, withheld=withheld)


#: The columns only a measure's rows fill (None on the question bank's rows).
MEASURE_COLUMNS = ("instrument", "informant", "score", "band")


def _measure_table(data: SurveyData, bank: QuestionBank, min_group_size: int, release: Release) -> pd.DataFrame:
    """The rows of the validated measures (:func:`wqm_nb.model.measures.measure_rows`) in the table's shape,
    hidden as the school year's ``release`` decided."""
    rows = measure_rows(
        data.score_rows(), bank, min_group_size, reason_texts(min_group_size), release.measure_reasons()
    )
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.DataFrame(rows)
    table["survey_name"] = table["survey"].map({k: s.name for k, s in bank.surveys.items()}).fillna(table["survey"])
    table["section"] = None
    table["suppressed"] = table["reason"] != ""
    table["agree_share"] = table["agree_share"].astype(float).round(SHARE_DECIMALS)  # as printed
    table["mean"] = table["mean"].astype(float).round(MEAN_DECIMALS)
    band = table["band"].notna()  # a band row's interval is a share's, a mean row's a score's
    for column in ("ci_low", "ci_high"):
        values = table[column].astype(float)
        table[column] = values.round(SHARE_DECIMALS).where(band, values.round(MEAN_DECIMALS))
    return _blank_suppressed(table)[COLUMNS]


def survey_respondents(data: SurveyData, survey_id: str, scale: set[int]) -> int:
    """Respondents of one survey: those with an answer or a measure score, plus each tally's forms
    (per subgroup the largest count of any one item)."""
    block = data.blocks.get(survey_id)
    n = int((block.values != MISSING).any(axis=1).sum()) if block is not None and len(block) else 0
    scores = data.score_rows()
    if len(scores) and block is not None and len(block):
        answered = set(block.respondents[(block.values != MISSING).any(axis=1)])
        scored = set(scores.loc[scores["survey"] == survey_id, "respondent"])
        n += len(scored - answered)
    tallies = data.tally_rows()
    tally = tallies[(tallies["survey"] == survey_id) & tallies["value"].isin(scale)]
    if len(tally):
        n += int(tally.groupby(["subgroup", "item_id"])["count"].sum().groupby(level=0).max().sum())
    return n


def _blank_suppressed(table: pd.DataFrame) -> pd.DataFrame:
    """Remove every number of a suppressed row (sizes included)."""
    out = table.copy()
    out["n"] = out["n"].astype("Int64").mask(out["suppressed"])
    out["answers"] = out["answers"].astype("Int64").mask(out["suppressed"])
    numbers = ["agree_share", "mean", "ci_low", "ci_high"]
    out[numbers] = out[numbers].astype(float)
    out.loc[out["suppressed"], numbers] = np.nan
    return out
