"""The action plan: this year's targets, progress against last year's, and suggested targets.

Targets are captured in the capture form's Targets tab, imported from
``targets.csv`` or recorded with :meth:`~wqm_nb.store.Store.record_target`;
:meth:`~wqm_nb.store.Store.start_year` carries open and in-progress targets
into the next year under the same ``target_id``, with ``carried_from`` (the
earlier cycle). :func:`build_action_plan` reads them from the
:class:`~wqm_nb.model.year.YearResult` history (oldest first) and gives an
:class:`ActionPlan`:

* this year's targets, each with ``overdue`` (:func:`is_overdue`) and
  ``carried_from_year``;
* progress against last year's targets (:func:`target_progress`): a
  :class:`TargetProgress` per target of :func:`previous_cycle_year`, its
  outcome one of :data:`OUTCOMES`;
* suggested targets (:func:`suggest_targets`, pure): a :class:`Suggestion`
  per weakest section without an open target, weakest first by
  :func:`section_standing`, reviewed at :func:`next_term_end`, with the rules
  of ``decisions.action_plan``
  (:class:`~wqm_nb.data.decision_rules.ActionPlanRules`). Suppressed figures
  are never read (only
  :meth:`~wqm_nb.model.figures.PublishedFigures.for_section`).

:func:`accept_suggested_targets` records the suggestions the consultant
accepts, as they are or edited (any mapping with the same fields), as open
targets in one transaction; the capture form's Targets tab does the same
with an Add button per suggestion.

Method: docs/methodology.md, "Action plan".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd

from ..data import Framework
from ..data.decision_rules import ActionPlanRules
from ..errors import StoreError
from ..store import Store
from ..store.schema import OPEN_TARGET_STATUSES
from .year import YearResult

ACHIEVED = "achieved"
DROPPED = "dropped"
STILL_OPEN = "still open"
NOT_CARRIED = "not carried forward"
OUTCOMES = (ACHIEVED, DROPPED, STILL_OPEN, NOT_CARRIED)
STATUS_WORDS = {"open": "open", "in_progress": "in progress", "achieved": "achieved", "dropped": "dropped"}
_ELEMENT_TEXT = 60


def review_day(value: Any) -> date | None:
    """A target's review date as a date (None when blank or not a date)."""
    text = "" if value is None else str(value).strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def is_overdue(target: Mapping, report_date: date) -> bool:
    """Whether a target is open or in progress and its review date is before ``report_date``."""
    day = review_day(target.get("review_date"))
    return target.get("status") in OPEN_TARGET_STATUSES and day is not None and day < report_date


@dataclass(frozen=True)
class TargetProgress:
    """One of last year's targets, reviewed this year."""

    target_id: str
    principle_id: str
    text: str
    owner: str
    #: the review date now (this year's entry when carried, else last year's)
    review_date: str
    #: status at the end of last year, and now ('' when the target was not carried into this year)
    status_before: str
    status_now: str
    outcome: str
    carried: bool
    overdue: bool


@dataclass(frozen=True)
class Suggestion:
    """A suggested target for one section (owner blank: the consultant or school fills it in)."""

    principle_id: str
    principle: str
    text: str
    review_date: str
    #: why this section: its standing and the figures behind it
    reason: str
    standing: float
    owner: str = ""

    def as_target(self) -> dict:
        """The fields :meth:`~wqm_nb.store.Store.record_target` takes."""
        return dict(principle_id=self.principle_id, text=self.text, owner=self.owner, review_date=self.review_date)


@dataclass(frozen=True)
class ActionPlan:
    """This year's targets, progress against last year's, and suggested targets."""

    year: str
    #: the latest earlier year with a self-evaluation cycle (whose targets are reviewed), or None
    previous_year: str | None
    report_date: date
    #: this year's targets (``store.targets`` rows) with ``overdue`` and ``carried_from_year`` added
    targets: tuple[dict, ...]
    progress: tuple[TargetProgress, ...]
    suggestions: tuple[Suggestion, ...]

    @property
    def outcome_counts(self) -> dict[str, int]:
        """How many of last year's targets had each outcome."""
        return {o: sum(p.outcome == o for p in self.progress) for o in OUTCOMES}

    @property
    def overdue(self) -> tuple[dict, ...]:
        """This year's targets whose review date has passed while they are open."""
        return tuple(t for t in self.targets if t["overdue"])

    def progress_summary(self) -> str:
        """Last year's targets in one sentence."""
        if self.previous_year is None:
            return f"No earlier year with a self-evaluation: {self.year} has no targets to review yet."
        if not self.progress:
            return f"No targets were recorded in {self.previous_year}."
        counts = self.outcome_counts
        parts = [f"{counts[o]} {o}" for o in OUTCOMES if counts[o]]
        overdue = sum(p.overdue for p in self.progress)
        total = len(self.progress)
        text = f"Of the {total} target{'s' if total != 1 else ''} set in {self.previous_year}: {', '.join(parts)}"
        if overdue:
            text += f"; {overdue} overdue (review date before {self.report_date.isoformat()})"
        return text + "."


def previous_cycle_year(history: Sequence[YearResult]) -> YearResult | None:
    """The latest year before the last of ``history`` with a self-evaluation cycle (its targets are last
    year's), or None."""
    earlier = [y for y in history[:-1] if y.cycle_id is not None]
    return earlier[-1] if earlier else None


def target_progress(previous: YearResult | None, current: YearResult, report_date: date) -> tuple[TargetProgress, ...]:
    """Each of ``previous``'s targets with its status now and its outcome (see the module notes)."""
    if previous is None:
        return ()
    now = {t["target_id"]: t for t in current.targets}
    out = []
    for t in previous.targets:
        later = now.get(t["target_id"])
        state = later or t
        if later is None:
            outcome = {"achieved": ACHIEVED, "dropped": DROPPED}.get(t["status"], NOT_CARRIED)
        else:
            outcome = {"achieved": ACHIEVED, "dropped": DROPPED}.get(later["status"], STILL_OPEN)
        out.append(
            TargetProgress(
                target_id=t["target_id"],
                principle_id=state["principle_id"] or "",
                text=state["text"] or "",
                owner=state["owner"] or "",
                review_date=state["review_date"] or "",
                status_before=t["status"],
                status_now=later["status"] if later else "",
                outcome=outcome,
                carried=later is not None,
                overdue=is_overdue(state, report_date),
            )
        )
    return tuple(out)


def term_ends_after(day: date, rules: ActionPlanRules) -> list[date]:
    """The term ends (``rules.term_ends``) after ``day`` within the next two years, soonest first."""
    ends = []
    for year in (day.year, day.year + 1, day.year + 2):
        for month, dom in rules.term_end_days:
            try:
                candidate = date(year, month, dom)
            except ValueError:  # 02-29 in a year that has none
                candidate = date(year, 3, 1)
            if candidate > day:
                ends.append(candidate)
    return ends


def next_term_end(day: date, rules: ActionPlanRules) -> date:
    """The end of the next term after ``day``: the second term end after it (the first ends the term
    ``day`` is in, which leaves too little time to act)."""
    return term_ends_after(day, rules)[1]  # term_ends is validated at load: never empty


def section_standing(framework: Framework, year: YearResult) -> pd.DataFrame:
    """Per section: ``self_position`` (mean rating's place on the scale, 0..1), ``stakeholder_share`` (mean
    share agreeing across published stakeholder groups) and ``standing`` (their average, or either alone;
    NaN when the section has neither)."""
    scale = framework.scale
    span = scale.max - scale.min
    means = dict(zip(year.principles["principle_id"], year.principles["mean_rating"], strict=False))
    rows = []
    for p in framework.principles:
        mean = means.get(p.id)
        position = (float(mean) - scale.min) / span if mean is not None and not pd.isna(mean) and span else math.nan
        shown = year.figures.for_section(p.id)
        share = float(shown["agree_share"].mean()) if len(shown) else math.nan
        views = [v for v in (position, share) if not math.isnan(v)]
        rows.append(
            dict(
                principle_id=p.id,
                principle=p.name,
                mean_rating=mean,
                self_position=position,
                stakeholder_share=share,
                standing=sum(views) / len(views) if views else math.nan,
            )
        )
    return pd.DataFrame(
        rows, columns=["principle_id", "principle", "mean_rating", "self_position", "stakeholder_share", "standing"]
    )


def _short(text: str, width: int = _ELEMENT_TEXT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _ids(ids: Iterable[str]) -> str:
    ids = list(ids)
    return ", ".join(ids[:-1]) + " and " + ids[-1] if len(ids) > 1 else "".join(ids)


def _suggested_text(framework: Framework, principle_id: str, year: YearResult) -> tuple[str, list[str]]:
    """The suggested target's text and the facts behind it (for the reason)."""
    scale = framework.scale
    rows = year.elements[year.elements["principle_id"] == principle_id]
    parts, facts = [], []
    rated = rows[rows["rating"].notna()]
    if len(rated):
        low = float(rated["rating"].min())
        if low < scale.max:
            lowest = rated[rated["rating"] == low].head(2)
            nxt = next(v for v in scale.values if v > low)
            moved = " and ".join(f"{r.element_id} ({_short(r.element)})" for r in lowest.itertuples())
            parts.append(f"move {moved} from {scale.label(low)} to {scale.label(nxt)}")
    unrated = rows[rows["rating"].isna()]
    if len(unrated):
        parts.append(f"rate {_ids(unrated['element_id'])} with evidence")
        facts.append(f"{len(unrated)} element{'s' if len(unrated) != 1 else ''} not rated")
    no_evidence = rows[rows["rating"].notna() & ~rows["has_evidence"].astype(bool)]
    if len(no_evidence):
        parts.append(f"record evidence of impact for {_ids(no_evidence['element_id'])}")
        facts.append(f"no evidence for {_ids(no_evidence['element_id'])}")
    shown = year.figures.for_section(principle_id)
    if len(shown):
        lowest = shown.sort_values("agree_share", kind="stable").iloc[0]
        if lowest["agree_share"] < framework.report.strength_min_agreement:
            parts.append(
                f"raise agreement in the {str(lowest['survey_name']).lower()} from {lowest['agree_share']:.0%}"
            )
        facts += [f"{r.survey_name.lower()} {r.agree_share:.0%} agree (n={r.n})" for r in shown.itertuples()]
    text = "; ".join(parts)
    return (text[:1].upper() + text[1:] + "." if text else ""), facts


def suggest_targets(
    framework: Framework, year: YearResult, report_date: date, rules: ActionPlanRules | None = None
) -> tuple[Suggestion, ...]:
    """Suggested targets for the weakest sections of ``year`` without an open target (pure; see the module
    notes). At most ``rules.suggestions`` (``framework.decisions.action_plan`` unless given), weakest first."""
    rules = rules or framework.decisions.action_plan
    targeted = {t["principle_id"] for t in year.targets if t["status"] in OPEN_TARGET_STATUSES}
    standing = section_standing(framework, year)
    candidates = standing[
        standing["standing"].notna() & ~standing["principle_id"].isin(targeted) & (standing["standing"] < 1 - 1e-9)
    ]
    candidates = candidates.sort_values("standing", kind="stable")
    review = next_term_end(report_date, rules).isoformat()
    out: list[Suggestion] = []
    for r in candidates.itertuples():
        if len(out) >= rules.suggestions:
            break
        text, facts = _suggested_text(framework, r.principle_id, year)
        if not text:
            continue
        said = []
        if not math.isnan(r.self_position):
            said.append(f"mean rating {r.mean_rating:.1f} ({framework.scale.label(r.mean_rating)})")
        reason = f"standing {r.standing:.2f} of 1: " + "; ".join(said + facts)
        out.append(
            Suggestion(
                principle_id=r.principle_id,
                principle=r.principle,
                text=text,
                review_date=review,
                reason=reason,
                standing=float(r.standing),
            )
        )
    return tuple(out)


def build_action_plan(
    framework: Framework, history: Sequence[YearResult], report_date: date, rules: ActionPlanRules | None = None
) -> ActionPlan:
    """The action plan of the last year of ``history`` (oldest first) on ``report_date``."""
    if not history:
        raise ValueError("build_action_plan needs at least one year")
    current = history[-1]
    previous = previous_cycle_year(history)
    years = {y.cycle_id: y.year for y in history if y.cycle_id is not None}
    targets = tuple(
        {
            **t,
            "overdue": is_overdue(t, report_date),
            "carried_from_year": years.get(t["carried_from"], "an earlier year") if t.get("carried_from") else "",
        }
        for t in current.targets
    )
    return ActionPlan(
        year=current.year,
        previous_year=previous.year if previous else None,
        report_date=report_date,
        targets=targets,
        progress=target_progress(previous, current, report_date),
        suggestions=suggest_targets(framework, current, report_date, rules),
    )


def accept_suggested_targets(
    store: Store,
    cycle_id: int,
    suggestions: Iterable[Suggestion | Mapping],
    recorded_by: str,
    framework: Framework | None = None,
) -> list[str]:
    """Record suggestions (as suggested, or edited: any mapping with ``principle_id``, ``text``, ``owner``,
    ``review_date``) as open targets of the cycle, all in one transaction; returns their new target ids.

    A suggestion with no text is refused and nothing is recorded."""
    entries = [asdict(s) if isinstance(s, Suggestion) else dict(s) for s in suggestions]
    for e in entries:
        if not str(e.get("text") or "").strip():
            raise StoreError(
                f"suggested target for {e.get('principle_id') or 'the whole school'}: a target needs some text"
            )
    ids = []
    with store.transaction():
        for e in entries:
            ids.append(
                store.record_target(
                    cycle_id,
                    principle_id=str(e.get("principle_id") or ""),
                    text_=str(e["text"]),
                    owner=str(e.get("owner") or ""),
                    review_date=e.get("review_date") or "",
                    status="open",
                    recorded_by=recorded_by,
                    framework=framework,
                )
            )
    return ids


__all__ = [
    "ACHIEVED",
    "ActionPlan",
    "DROPPED",
    "NOT_CARRIED",
    "OUTCOMES",
    "STATUS_WORDS",
    "STILL_OPEN",
    "Suggestion",
    "TargetProgress",
    "accept_suggested_targets",
    "build_action_plan",
    "is_overdue",
    "next_term_end",
    "previous_cycle_year",
    "term_ends_after",
    "review_day",
    "section_standing",
    "suggest_targets",
    "target_progress",
]
