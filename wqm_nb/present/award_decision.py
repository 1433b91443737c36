"""The report's award decision section: :func:`award_decision_section`.

For the level a school applies for (:mod:`wqm_nb.model.award_decision`):
the school-wide criteria (the level required, the level that must be held,
read from the recorded award decisions, and what only the assessment day can
confirm), one table per section with each criterion, its result in a symbol
and a word (never colour alone) and the evidence behind it, what is missing,
the assessment-day plan (sections to probe, groups to meet) and the
school's award history. The rule file is printed under the section.
"""

from __future__ import annotations

from typing import Any

from ..model import SchoolAssessment
from ..model.award_decision import AwardDecision, award_decision
from .html import Fragment, Table, cell, render

#: CSS class of each result (the symbol and word carry the meaning; the class only styles it).
RESULT_CSS = {"met": "met", "only_just": "onlyjust", "not_met": "notmet", "on_the_day": "onday"}
OUTCOME_LABELS = {"awarded": "Awarded", "not_awarded": "Not awarded", "deferred": "Deferred", "withdrawn": "Withdrawn"}


def _checks_table(checks, caption: str) -> Table:
    return Table(
        ["Criterion", "Result", "Evidence"],
        [[c.label, cell(c.result_label, RESULT_CSS[c.result]), c.evidence] for c in checks],
        css="wqm-table wqm-award-checks",
        caption=caption,
    )


def history_table(decision: AwardDecision) -> Table | None:
    """The school's current award decisions for the framework, oldest first (None when there are none)."""
    fw = decision.framework
    names = {lv.id: lv.name for lv in fw.levels}
    if not decision.decisions:
        return None
    rows = []
    for d in decision.decisions:
        reasons = d.get("reasons") or ""
        if d.get("supersedes") is not None:
            reasons = f"(corrects decision {d['supersedes']}) {reasons}".strip()
        rows.append(
            [
                d["academic_year"],
                names.get(d["level"], d["level"]),
                OUTCOME_LABELS.get(d["outcome"], d["outcome"]),
                d.get("decided_on") or "",
                d.get("assessor") or "",
                reasons,
            ]
        )
    return Table(
        ["Year", "Level", "Outcome", "Decided on", "Assessor", "Reasons"], rows, css="wqm-table wqm-award-history"
    )


def _decision_tables(decision: AwardDecision) -> dict[str, Any]:
    """The decision's tables, for the full section and the appendix's: the school-wide checks, each section's
    checks, and who to meet on the assessment day."""
    return dict(
        sections=[
            (s, _checks_table(s.checks, f"{s.principle_id} {s.name}: {s.result_label}")) for s in decision.sections
        ],
        school_table=_checks_table(decision.school_checks, "") if decision.school_checks else None,
        meet_table=(
            Table(["Group", "Why"], [[m.group, m.why] for m in decision.plan.meet], css="wqm-table wqm-award-meet")
            if decision.plan.meet
            else None
        ),
    )


def award_decision_fragment(decision: AwardDecision, school_name: str = "", criteria: bool = True) -> Fragment:
    """An :class:`~wqm_nb.model.award_decision.AwardDecision` as the report section (``criteria``: with every
    criterion's table; without, the debrief's, the tables being in the appendix: :func:`award_criteria_fragment`)."""
    fw = decision.framework
    holds = ", ".join(f"{h.level_name} (since {h.since})" for h in decision.holds)
    return render(
        "award_decision.html.j2",
        "award_decision",
        d=decision,
        framework=fw,
        school_name=school_name,
        section_label=fw.section_label,
        history=history_table(decision),
        holds=holds,
        rules_file=decision.rules_file,
        criteria=criteria,
        **_decision_tables(decision),
    )


def award_criteria_fragment(decision: AwardDecision) -> Fragment:
    """The appendix's award section: every criterion's table, with its evidence, and the assessment-day plan."""
    return render(
        "award_criteria.html.j2",
        "award_criteria",
        d=decision,
        section_label=decision.framework.section_label,
        **_decision_tables(decision),
    )


def award_decision_section(assessment: SchoolAssessment, level: str | None = None, criteria: bool = True) -> Fragment:
    """The award decision for ``level`` (an id or name; default: the next level above the one the school
    holds), with every criterion's table unless ``criteria`` is False; an empty fragment for a framework
    without award levels (a checklist)."""
    if not assessment.framework.has_levels:
        return Fragment("award_decision", "")
    return award_decision_fragment(award_decision(assessment, level), assessment.name, criteria)


def award_criteria_section(assessment: SchoolAssessment, level: str | None = None) -> Fragment:
    """The appendix's table of every criterion of the award decision (empty for a checklist)."""
    if not assessment.framework.has_levels:
        return Fragment("award_criteria", "")
    return award_criteria_fragment(award_decision(assessment, level))


__all__ = [
    "award_criteria_fragment",
    "award_criteria_section",
    "award_decision_fragment",
    "award_decision_section",
    "history_table",
]
