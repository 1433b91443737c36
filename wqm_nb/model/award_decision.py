"""Award decision support: one level's criteria, met or not, with their evidence, and an assessment-day plan.

:func:`decide` (and :func:`award_decision` for a
:class:`~wqm_nb.model.assessment.SchoolAssessment`) takes the level a school
applies for (:func:`applied_level`: ``level``, an id or a name,
:func:`find_level`; by default the next level above the highest one it holds
in the assessed year, :func:`levels_held`) and checks every criterion of the
framework's rules (``levels:`` in the framework YAML) for the assessed year.
It returns an :class:`AwardDecision`: per section a :class:`SectionDecision`
of :class:`Check` results with the figures behind them (a stakeholder
group's as a :class:`GroupFigure`); the school's own checks (``requires``,
``requires_held`` by :func:`~wqm_nb.model.awards.held_level`, and the
level's ``assessor_checks``); what is missing; an
:class:`AssessmentDayPlan` of sections to probe (:class:`Probe`) and groups
to meet (:class:`Meeting`); the rule file it used; and the
:func:`~wqm_nb.model.awards.readiness` its criteria and verdicts agree with.
A check is ``borderline`` when it is met by less than the margins of
``decisions.awards`` (:class:`~wqm_nb.data.decision_rules.AwardDecisionRules`).

Survey figures come only from the published-figures table: a suppressed
group is listed with the reason it is hidden, never a number of it.

Method: docs/methodology.md, "Award rules".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..data import Framework, QuestionBank
from ..data.frameworks import HeldRequirement, Level
from ..errors import SettingsError
from .assessment import SchoolAssessment
from .awards import HeldLevel, Readiness, consecutive_years, current_decisions, held_level, principle_gaps, readiness
from .figures import NO_RESPONSES, NOT_GIVEN
from .triangulation import triangulate
from .year import YearResult

MET, NOT_MET, ONLY_JUST, ON_THE_DAY = "met", "not_met", "only_just", "on_the_day"
#: How each result reads (symbol and word, so colour is never the only sign).
RESULT_LABELS = {
    MET: "\u2713 Met",
    NOT_MET: "\u2717 Not met",
    ONLY_JUST: "\u2248 Met, only just",
    ON_THE_DAY: "? Confirm on the day",
}
#: Kinds of stakeholder group to meet, in the order the plan lists them.
ALWAYS, BELOW, HIDDEN, NO_SURVEY = "always", "below", "hidden", "no_survey"


@dataclass(frozen=True)
class Check:
    """One criterion checked: what it asks, whether it is met, the figures behind it and what is missing.

    ``met`` is None for what only the assessment day can confirm."""

    key: str  # the criterion's key in the YAML (or requires, requires_held, assessor_check)
    label: str  # what it asks, in words
    met: bool | None
    evidence: str  # the figures behind the verdict
    missing: tuple[str, ...] = ()  # what is missing ('' when met)
    borderline: bool = False  # met, but only just (see the module notes)
    only_just: tuple[str, ...] = ()  # what is only just met, in words (for the assessment-day plan)

    @property
    def result(self) -> str:
        """``met``, ``not_met``, ``only_just`` or ``on_the_day``."""
        if self.met is None:
            return ON_THE_DAY
        if not self.met:
            return NOT_MET
        return ONLY_JUST if self.borderline else MET

    @property
    def result_label(self) -> str:
        return RESULT_LABELS[self.result]


@dataclass(frozen=True)
class GroupFigure:
    """One stakeholder group's published agreement with one section, or the reason it is not shown."""

    survey: str
    label: str  # "Staff", "Pupils, year group Y5"
    subgroup: str | None  # None for the whole group
    n: int | None  # respondents (None when hidden)
    agree_share: float | None
    ci_low: float | None
    ci_high: float | None
    reason: str  # why it is hidden ('' when shown)
    meets: bool | None = None  # against the level's threshold (None: hidden, or no threshold)
    borderline: bool = False

    @property
    def shown(self) -> bool:
        return not self.reason

    @property
    def text(self) -> str:
        """``72% agree (n=41, 95% interval 57% to 84%)``, or the reason it is hidden (never a number of it)."""
        if not self.shown:
            hidden = self.reason if self.reason.startswith("not shown") else f"not shown ({self.reason})"
            return f"{hidden}: counts neither for nor against"
        interval = (
            f", 95% interval {self.ci_low:.0%} to {self.ci_high:.0%}"
            if self.ci_low is not None and self.ci_high is not None
            else ""
        )
        return f"{self.agree_share:.0%} agree (n={self.n}{interval})"


@dataclass(frozen=True)
class SectionDecision:
    """One section's criteria for the level, with its ratings and survey figures."""

    principle_id: str
    name: str
    checks: tuple[Check, ...]
    ratings: tuple[tuple[str, float | None], ...]  # (element id, rating or None) in framework order
    mean: float | None
    elements: int
    rated: int
    with_evidence: int
    groups: tuple[GroupFigure, ...]  # whole stakeholder groups asked about this section

    @property
    def met(self) -> bool:
        return all(c.met is not False for c in self.checks)

    @property
    def borderline(self) -> bool:
        return any(c.borderline for c in self.checks)

    @property
    def missing(self) -> list[str]:
        return [m for c in self.checks for m in c.missing]

    @property
    def result_label(self) -> str:
        return RESULT_LABELS[NOT_MET if not self.met else ONLY_JUST if self.borderline else MET]


@dataclass(frozen=True)
class Probe:
    """A section to probe on the assessment day, and why."""

    principle_id: str
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Meeting:
    """A stakeholder group to meet on the assessment day, and why."""

    group: str
    kind: str  # always, below, hidden, no_survey
    why: str


@dataclass(frozen=True)
class AssessmentDayPlan:
    """Which sections to probe, which groups to meet, and what to confirm on the day."""

    probe: tuple[Probe, ...]
    meet: tuple[Meeting, ...]
    confirm: tuple[str, ...]


@dataclass(frozen=True)
class AwardDecision:
    """Everything an assessor needs to decide one level for one school year (see the module notes)."""

    framework: Framework
    year: str
    level: Level
    why_level: str  # why this level: asked for, or the next above the one held
    sections: tuple[SectionDecision, ...]
    school_checks: tuple[Check, ...]  # requires, requires_held, assessor checks
    held: HeldLevel | None  # the requires_held record used (None: the level has no such rule)
    holds: tuple[HeldLevel, ...]  # the levels the school holds in the assessed year
    plan: AssessmentDayPlan
    readiness: Readiness
    decisions: tuple[dict, ...] = ()  # the school's current award decisions, oldest first
    threshold: float | None = None  # the agreement threshold the plan used for "below"

    @property
    def rules_file(self) -> str:
        """The rule file the criteria come from (:attr:`~wqm_nb.data.frameworks.Framework.rules_file`)."""
        return self.framework.rules_file

    @property
    def met(self) -> bool:
        """Every criterion the figures and records can show is met (assessor checks aside)."""
        return all(s.met for s in self.sections) and all(c.met is not False for c in self.school_checks)

    @property
    def missing(self) -> list[tuple[str, str]]:
        """``(where, what)`` for everything missing: ``("School", ...)`` or ``("P2 Engage ...", ...)``."""
        out = [("School", m) for c in self.school_checks for m in c.missing]
        out += [(f"{s.principle_id} {s.name}", m) for s in self.sections for m in s.missing]
        return out

    @property
    def verdict(self) -> str:
        """One sentence: ready or not, and how much is missing or to confirm."""
        confirm = len(self.plan.confirm)
        on_day = f"; {confirm} thing{'s' if confirm != 1 else ''} to confirm on the assessment day" if confirm else ""
        if self.met:
            return f"Every criterion the figures and records show is met in {self.year}: ready to assess{on_day}."
        n = len(self.missing)
        return f"Not ready in {self.year}: {n} thing{'s' if n != 1 else ''} missing{on_day}."


# --------------------------------------------------------------------------
# the level applied for


def find_level(framework: Framework, level: str) -> Level:
    """A level by id or name (any case); :class:`~wqm_nb.errors.SettingsError` naming the levels if unknown."""
    wanted = level.strip().lower()
    for lv in framework.levels:
        if wanted in (lv.id.lower(), lv.name.lower()):
            return lv
    raise SettingsError(
        f"unknown award level {level!r} for {framework.name} (its levels: "
        f"{', '.join(lv.id for lv in framework.levels)})"
    )


def levels_held(framework: Framework, decisions: Iterable[Mapping], year: str) -> tuple[HeldLevel, ...]:
    """The levels the school holds in ``year`` by its award decisions, lowest first."""
    decisions = list(decisions)
    held = (held_level(decisions, HeldRequirement(lv.id, 0), year, framework) for lv in framework.levels)
    return tuple(h for h in held if h.held)


def applied_level(
    framework: Framework, decisions: Iterable[Mapping], year: str, level: str | None = None
) -> tuple[Level, str]:
    """The level applied for and why: ``level`` when given, else the next above the highest held."""
    if level:
        return find_level(framework, level), "the level asked for"
    holds = levels_held(framework, decisions, year)
    if not holds:
        return framework.levels[0], "the first level: the school holds no award yet"
    top = max(framework.levels.index(framework.level(h.level)) for h in holds)
    held = framework.levels[top]
    since = next(h.since for h in holds if h.level == held.id)
    if top + 1 < len(framework.levels):
        return framework.levels[top + 1], f"the next level above {held.name}, held since {since}"
    return held, f"the highest level, held since {since}: renewing it"


# --------------------------------------------------------------------------
# checks


def _ratings_text(rows: pd.DataFrame) -> str:
    return ", ".join(
        f"{r.element_id} {'not rated' if pd.isna(r.rating) else f'{r.rating:.0f}'}" for r in rows.itertuples()
    )


def _group_label(bank: QuestionBank, survey: str, subgroup: str | None) -> str:
    spec = bank.surveys.get(survey)
    who = spec.respondents.capitalize() if spec else survey
    if subgroup is None:
        return who
    label = spec.subgroup.label.lower() if spec and spec.subgroup else "group"
    return f"{who}, {label} {subgroup}" if subgroup != NOT_GIVEN else f"{who} who did not give their {label}"


def _below(value: float, threshold: float) -> str:
    """A share just below ``threshold`` as a percentage that shows it is below (79.6%, not 80%)."""
    return f"{value:.0%}" if round(value * 100) < round(threshold * 100) else f"{value:.1%}"


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _group(bank: QuestionBank, row, threshold: float | None, interval: bool) -> GroupFigure:
    """A published-figures row as a :class:`GroupFigure` (a hidden row keeps its reason and nothing else)."""
    subgroup = None if pd.isna(row.subgroup_field) else row.subgroup
    label = _group_label(bank, row.survey, subgroup)
    if row.suppressed:
        return GroupFigure(row.survey, label, subgroup, None, None, None, None, row.reason or "not shown")
    share = float(row.agree_share)
    meets = None if threshold is None else share >= threshold - 1e-9
    low = _number(row.ci_low)
    borderline = bool(meets and interval and threshold is not None and low is not None and low < threshold - 1e-9)
    return GroupFigure(row.survey, label, subgroup, int(row.n), share, low, _number(row.ci_high), "", meets, borderline)


def _section_checks(
    framework: Framework, bank: QuestionBank, lv: Level, years: list[YearResult], pid: str
) -> SectionDecision:
    """Every criterion of ``lv`` for one section in the latest of ``years``."""
    criteria, rules = lv.criteria, framework.decisions.awards
    year = years[-1]
    rows = year.elements_by_section.get(pid, year.elements.iloc[0:0])
    rated = rows[rows["rating"].notna()]
    mean = float(rated["rating"].mean()) if len(rated) else None
    unrated = rows[rows["rating"].isna()]
    of = f"of {len(rows)} element{'s' if len(rows) != 1 else ''}"
    checks = [
        Check(
            "rated",
            "Every element rated",
            not len(unrated),
            f"{len(rated)} {of} rated",
            ("not rated: " + ", ".join(unrated["element_id"]),) if len(unrated) else (),
        )
    ]
    if criteria.min_principle_mean is not None:
        need = criteria.min_principle_mean
        ok = mean is not None and mean >= need - 1e-9
        close = ok and mean is not None and mean - need < rules.borderline_mean_margin - 1e-9
        evidence = f"mean {mean:.2f} ({_ratings_text(rows)})" if mean is not None else "no element rated"
        checks.append(
            Check(
                "min_principle_mean",
                f"Mean maturity at least {need:g}",
                ok,
                evidence,
                ()
                if ok
                else (
                    f"mean maturity {round(mean, 2):g} below {need:g}"
                    if mean is not None
                    else f"no mean maturity (no element rated; needs {need:g})",
                ),
                borderline=close,
                only_just=(f"mean maturity {mean:.2f}, within {rules.borderline_mean_margin:g} of the {need:g} needed",)
                if close
                else (),
            )
        )
    if criteria.min_element_rating is not None:
        need = criteria.min_element_rating
        low = rated[rated["rating"] < need]
        lowest = rated.loc[rated["rating"] == rated["rating"].min(), "element_id"] if len(rated) else []
        evidence = (
            f"lowest rating {rated['rating'].min():.0f} ({', '.join(lowest)})" if len(rated) else "no element rated"
        )
        checks.append(
            Check(
                "min_element_rating",
                f"No element rated below {need}",
                not len(low),
                evidence,
                tuple(f"{r.element_id} rated {r.rating:.0f} (needs {need})" for r in low.itertuples()),
            )
        )
    if criteria.evidence_required:
        without = rows[~rows["has_evidence"]]
        checks.append(
            Check(
                "evidence_required",
                "Evidence recorded for every element",
                not len(without),
                f"{int(rows['has_evidence'].sum())} {of} with evidence",
                ("no evidence for " + ", ".join(without["element_id"]),) if len(without) else (),
            )
        )
    figures = year.figures
    whole = figures.whole[figures.whole["section_id"] == pid]
    threshold = criteria.min_stakeholder_agreement
    groups = tuple(
        _group(bank, r, threshold, rules.borderline_interval) for r in whole.itertuples() if r.reason != NO_RESPONSES
    )
    if threshold is not None:
        shown = [g for g in groups if g.shown]
        hidden = [g for g in groups if not g.shown]
        parts = [f"{g.label.lower()} {g.text}" for g in shown] + [f"{g.label.lower()}: {g.text}" for g in hidden]
        missing = tuple(
            f"{g.label.lower()}: {g.agree_share:.0%} agree (needs {threshold:.0%})" for g in shown if not g.meets
        )
        if not shown:
            missing = ("no reportable stakeholder survey results",)
        checks.append(
            Check(
                "min_stakeholder_agreement",
                f"At least {threshold:.0%} agreeing in every reported stakeholder group",
                not missing,
                "; ".join(parts) or "no stakeholder survey asked about it",
                missing,
                borderline=not missing and any(g.borderline for g in shown),
                only_just=()
                if missing
                else tuple(
                    f"{g.label.lower()} {g.agree_share:.0%} agree (n={g.n}), but the 95% interval "
                    f"reaches {_below(g.ci_low, threshold)}, below {threshold:.0%}"
                    for g in shown
                    if g.borderline and g.ci_low is not None  # a borderline figure has its interval
                ),
            )
        )
    n = criteria.consecutive_cycles
    if n > 1:
        streak = consecutive_years(years, len(years) - 1)
        window = years[len(years) - min(streak, n) : -1]
        earlier = [(y.year, principle_gaps(criteria, pid, y, framework)) for y in window]
        not_met = [f"needs {n} consecutive years of evidence (has {streak})"] if streak < n else []
        not_met += [f"{y}: {g}" for y, gaps in earlier for g in gaps]
        evidence = "; ".join(f"{y}: {'met' if not gaps else 'not met'}" for y, gaps in earlier)
        evidence = f"{streak} consecutive year{'s' if streak != 1 else ''} up to {year.year}" + (
            f" ({evidence})" if evidence else ""
        )
        checks.append(
            Check(
                "consecutive_cycles",
                f"Criteria met in {n} consecutive years up to {year.year}",
                not not_met,
                evidence,
                tuple(not_met),
            )
        )
    return SectionDecision(
        principle_id=pid,
        name=framework.principle(pid).name,
        checks=tuple(checks),
        ratings=tuple((r.element_id, None if pd.isna(r.rating) else float(r.rating)) for r in rows.itertuples()),
        mean=mean,
        elements=len(rows),
        rated=len(rated),
        with_evidence=int(rows["has_evidence"].sum()),
        groups=groups,
    )


def _school_checks(framework: Framework, lv: Level, ready: Readiness, held: HeldLevel | None) -> tuple[Check, ...]:
    checks = []
    if lv.requires:
        req = framework.level(lv.requires)
        ok = ready.met[req.id]
        short = [pid for pid, gaps in ready.gaps[req.id].items() if gaps]
        why = []
        if short:
            why.append(f"not met in {', '.join(short)}")
        why += ready.level_gaps.get(req.id, [])
        if not ok and not why and req.requires and not ready.met[req.requires]:
            why.append(f"{framework.level(req.requires).name} not met")
        checks.append(
            Check(
                "requires",
                f"{req.name} met in {ready.year}",
                ok,
                f"{req.name}: {'met' if ok else '; '.join(why) or 'not met'}",
                () if ok else (f"{req.name} not met in {ready.year}" + (f": {'; '.join(why)}" if why else ""),),
            )
        )
    if held is not None:
        checks.append(
            Check(
                "requires_held",
                held.requirement[0].upper() + held.requirement[1:],
                held.met,
                held.statement,
                () if held.met else (held.reason,),
            )
        )
    checks += [Check("assessor_check", text, None, "confirmed on the assessment day") for text in lv.assessor_checks]
    return tuple(checks)


# --------------------------------------------------------------------------
# the plan


def _blind_spots(framework: Framework, bank: QuestionBank, year: YearResult) -> dict[str, str]:
    """Section id -> why it looks like a blind spot (leaders well above stakeholders: :mod:`.triangulation`)."""
    spots = triangulate(framework, bank, year).blind_spots
    return {r.principle_id: f"possible blind spot: {r.statement}" for r in spots.itertuples()}


def _plan(
    framework: Framework,
    bank: QuestionBank,
    lv: Level,
    year: YearResult,
    sections: Sequence[SectionDecision],
    threshold: float | None,
) -> AssessmentDayPlan:
    blind = _blind_spots(framework, bank, year)
    probe = []
    for s in sections:
        reasons = [f"not met: {m}" for m in s.missing]
        reasons += [f"only just met: {text}" for c in s.checks for text in c.only_just]
        if s.principle_id in blind:
            reasons.append(blind[s.principle_id])
        if reasons:
            probe.append(Probe(s.principle_id, s.name, tuple(reasons)))

    figures = year.figures
    below: dict[str, list[str]] = {}
    hidden: dict[str, tuple[str, list[str]]] = {}

    def rank(row) -> tuple:
        """Question-bank order: survey, whole group first, then subgroups in the bank's value order."""
        spec = bank.surveys.get(row.survey)
        values = spec.subgroup.values if spec and spec.subgroup else ()
        part = (
            -1
            if pd.isna(row.subgroup_field)
            else (values.index(row.subgroup) if row.subgroup in values else len(values))
        )
        return (list(bank.surveys).index(row.survey) if row.survey in bank.surveys else len(bank.surveys), part)

    for row in sorted(figures.agreement.itertuples(), key=rank):
        if row.reason == NO_RESPONSES:
            continue
        subgroup = None if pd.isna(row.subgroup_field) else row.subgroup
        if subgroup == NOT_GIVEN:
            continue  # those who did not say: nobody to invite
        label = _group_label(bank, row.survey, subgroup)
        if row.suppressed:
            hidden.setdefault(label, (row.reason, []))[1].append(row.section_id)
        elif threshold is not None and row.agree_share < threshold - 1e-9:
            below.setdefault(label, []).append(row.section_id)
    meet: dict[str, list[tuple[str, str, str]]] = {}  # group -> (label, kind, why), one row per group
    for group in framework.assessment_day.meet:
        meet.setdefault(group.lower(), []).append((group, ALWAYS, "met on every assessment day (the framework's list)"))
    found = [(label, BELOW, f"below {threshold:.0%} agreeing in {', '.join(pids)}") for label, pids in below.items()]
    found += [
        (label, HIDDEN, f"too few responses to publish ({reason}) in {', '.join(pids)}: meet them in person")
        for label, (reason, pids) in hidden.items()
    ]
    for survey in figures.totals.itertuples():
        spec = bank.surveys.get(survey.survey)
        if spec is None or spec.measure != "agreement" or not survey.mapped or figures.responded(survey.survey):
            continue
        found.append(
            (spec.respondents.capitalize(), NO_SURVEY, f"no {spec.name.lower()} this year: hear them on the day")
        )
    for label, kind, why in found:
        meet.setdefault(label.lower(), []).append((label, kind, why))
    meetings = tuple(
        Meeting(reasons[0][0], reasons[0][1], "; ".join(why for _, _, why in reasons)) for reasons in meet.values()
    )
    return AssessmentDayPlan(tuple(probe), meetings, lv.assessor_checks)


# --------------------------------------------------------------------------
# entry points


def decide(
    framework: Framework,
    bank: QuestionBank,
    years: Sequence[YearResult],
    decisions: Iterable[Mapping] = (),
    level: str | None = None,
) -> AwardDecision:
    """The award decision for the latest of ``years`` (any order), with the school's recorded award
    ``decisions`` (``store.award_decisions``), for ``level`` (an id or name; default: the next level above
    the highest one held)."""
    if not framework.has_levels:
        raise SettingsError(f"{framework.name} has no award levels")
    if not years:
        raise ValueError("an award decision needs at least one year")
    ordered = sorted(years, key=lambda y: y.year)
    decisions = current_decisions(decisions, framework.id)
    year = ordered[-1].year
    lv, why = applied_level(framework, decisions, year, level)
    ready = readiness(framework, ordered, decisions)
    held = held_level(decisions, lv.criteria.requires_held, year, framework) if lv.criteria.requires_held else None
    sections = tuple(_section_checks(framework, bank, lv, ordered, p.id) for p in framework.principles)
    threshold = lv.criteria.min_stakeholder_agreement
    if threshold is None:
        threshold = framework.report.development_max_agreement
    return AwardDecision(
        framework=framework,
        year=year,
        level=lv,
        why_level=why,
        sections=sections,
        school_checks=_school_checks(framework, lv, ready, held),
        held=held,
        holds=levels_held(framework, decisions, year),
        plan=_plan(framework, bank, lv, ordered[-1], sections, threshold),
        readiness=ready,
        decisions=tuple(decisions),
        threshold=threshold,
    )


def award_decision(assessment: SchoolAssessment, level: str | None = None) -> AwardDecision:
    """:func:`decide` for a school's assessment (its years and its recorded award decisions)."""
    return decide(assessment.framework, assessment.bank, assessment.history, assessment.award_decisions, level)


__all__ = [
    "ALWAYS",
    "AssessmentDayPlan",
    "AwardDecision",
    "BELOW",
    "Check",
    "GroupFigure",
    "HIDDEN",
    "Meeting",
    "NO_SURVEY",
    "Probe",
    "RESULT_LABELS",
    "SectionDecision",
    "applied_level",
    "award_decision",
    "decide",
    "find_level",
    "levels_held",
]
