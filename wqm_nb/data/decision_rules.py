"""The thresholds that turn figures into decisions, as data: a framework's ``decisions:`` block.

Each sub-block (``triangulation``, ``trends``, ``priorities``, ``governance``,
``peer_support``, ``benchmarks``, ``action_plan``, ``awards``) is one frozen dataclass below; its fields
are the keys the YAML may set, with the defaults used when a key (or the
whole block) is absent. The parser is generic: a field's default gives its
type, and an unknown key, a wrong type or a value out of its range is a
:class:`~wqm_nb.errors.DataFileError` naming the file and the field, e.g.
``wqm.yaml: decisions.triangulation.blind_spot_gap: must be between 0 and 1``.

Scores compared across views are *positions* from 0 to 1 (see
:mod:`wqm_nb.model.triangulation`): a rating's position on its scale, or a
survey's agreement share; so every gap below is a difference of positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from .yaml_reader import Reader, join

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class TriangulationRules:
    """When leaders' view and stakeholders' experience disagree (positions 0..1)."""

    #: leadership position minus the mean stakeholder position at least this: a blind spot
    blind_spot_gap: float = 0.25
    #: mean stakeholder position minus leadership position at least this: a hidden strength
    hidden_strength_gap: float = 0.25
    #: stakeholder views (published, not suppressed) needed before a principle is flagged
    min_views: int = 1
    #: the staff audit's position counts among the views compared with the leaders' (else it is shown only)
    staff_audit_counts: bool = True


@dataclass(frozen=True)
class TrendRules:
    """When a change between years is called a change."""

    #: respondents a group needs in both years to be compared (below: "too few responses to compare")
    min_respondents: int = 30
    #: how many improvements and declines the report names
    top_changes: int = 3
    #: smallest change of a section's mean rating called a change (ratings have no sampling interval)
    min_rating_change: float = 0.5


@dataclass(frozen=True)
class PriorityRules:
    """The NCB tool's two lenses: risk and capacity per principle (positions 0..1)."""

    #: lowest stakeholder agreement below this: high risk
    risk_agreement_below: float = 0.6
    #: a blind spot counts as a concern indicator (high risk)
    blind_spot_is_risk: bool = True
    #: capacity is high when the maturity position is at least this ...
    capacity_position_at_least: float = 0.6
    #: ... and this share of the principle's elements has evidence ...
    capacity_evidence_share_at_least: float = 0.75
    #: ... and the staff audit (when published) is at least this position
    capacity_audit_position_at_least: float = 0.5
    #: an element rated at or below this position is a concern indicator (maturity 1-2; checklist "Not in place")
    low_element_position_at_most: float = 0.34
    #: an element not yet rated is a concern indicator
    unrated_is_risk: bool = True


@dataclass(frozen=True)
class GovernanceRules:
    """The trust's early-warning list."""

    #: a published stakeholder group below this agreement share is listed
    stakeholder_agreement_below: float = 0.5
    #: agreement fell by at least this while the self-rating rose by at least min_rating_rise
    agreement_fall: float = 0.1
    #: ... a rise of the section's mean rating as a position on its scale (0.15: half a step of a 1-4 scale)
    min_rating_rise: float = 0.15
    #: a fall counts only when the group had at least this many respondents in both years
    min_respondents: int = 20


@dataclass(frozen=True)
class PeerSupportRules:
    """Which schools can help which."""

    #: each school's weakest principles considered
    weakest: int = 2
    #: a giver's position on the principle must exceed the receiver's by at least this
    min_gap: float = 0.15
    #: givers listed per need
    givers_per_need: int = 3
    #: a principle's strength mixes the self-rating's position with the mean published stakeholder agreement;
    #: this is the stakeholders' share of it (the rest is the self-rating's)
    stakeholder_share: float = 0.5


@dataclass(frozen=True)
class BenchmarkRules:
    """Portfolio benchmarks (the school itself is always left out)."""

    #: other contributing schools needed for a median
    min_schools_median: int = 5
    #: other contributing schools needed for quartiles
    min_schools_quartiles: int = 10
    #: similar schools: the same phase, and pupils on roll differing by at most this share of the larger roll
    similar_size_share: float = 0.3


@dataclass(frozen=True)
class ActionPlanRules:
    """Suggested targets for the action plan (:mod:`wqm_nb.model.action_plan`)."""

    #: sections given a suggested target: the weakest ones without an open target this year
    suggestions: int = 3
    #: term ends as month-day (MM-DD, comma separated); a suggested target's review date is the end of the
    #: next term: the second of these after the report date (the first ends the current term)
    term_ends: str = "12-19, 03-31, 07-22"

    @property
    def term_end_days(self) -> tuple[tuple[int, int], ...]:
        """The term ends as sorted (month, day) pairs."""
        return month_days(self.term_ends) or ()


def month_days(value: str) -> tuple[tuple[int, int], ...] | None:
    """``"12-19, 03-31"`` as sorted (month, day) pairs; None when any part is not a real MM-DD day."""
    days = []
    for part in value.replace(";", ",").split(","):
        bits = part.strip().split("-")
        if len(bits) != 2 or not all(b.isdigit() and len(b) == 2 for b in bits):
            return None
        month, day = int(bits[0]), int(bits[1])
        try:
            date(2024, month, day)  # a leap year: 02-29 is a day
        except ValueError:
            return None
        days.append((month, day))
    return tuple(sorted(set(days))) or None


@dataclass(frozen=True)
class AwardDecisionRules:
    """The award decision's assessment-day plan (:mod:`wqm_nb.model.award_decision`): which met criteria
    are only just met, and so are probed on the day."""

    #: a principle's mean maturity that meets the level by less than this (rating points) is borderline
    borderline_mean_margin: float = 0.25
    #: a stakeholder group's agreement that meets the level but whose 95% interval reaches below it is borderline
    borderline_interval: bool = True


@dataclass(frozen=True)
class DecisionRules:
    """Every decision threshold of a framework."""

    triangulation: TriangulationRules = field(default_factory=TriangulationRules)
    trends: TrendRules = field(default_factory=TrendRules)
    priorities: PriorityRules = field(default_factory=PriorityRules)
    governance: GovernanceRules = field(default_factory=GovernanceRules)
    peer_support: PeerSupportRules = field(default_factory=PeerSupportRules)
    benchmarks: BenchmarkRules = field(default_factory=BenchmarkRules)
    action_plan: ActionPlanRules = field(default_factory=ActionPlanRules)
    awards: AwardDecisionRules = field(default_factory=AwardDecisionRules)


#: fields that are proportions or positions (0..1); every other number must be positive
_UNIT_INTERVAL = ("gap", "share", "position", "agreement", "fall", "below", "rise")


def _check(r: Reader, path: str, name: str, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        if name.endswith("term_ends") and month_days(value) is None:
            r.fail(join(path, name), "must be days written MM-DD, separated by commas (e.g. 12-19, 03-31)")
        return
    if isinstance(value, float) and any(word in name for word in _UNIT_INTERVAL):
        if not 0 <= value <= 1:
            r.fail(join(path, name), "must be between 0 and 1")
    elif value < (0 if isinstance(value, float) else 1):
        r.fail(join(path, name), "must be at least 1" if isinstance(value, int) else "must not be negative")


def parse_decision_rules(r: Reader, raw: Any, path: str = "decisions") -> DecisionRules:
    """Validate a ``decisions:`` block (None: every default)."""
    if raw is None:
        return DecisionRules()
    # every field of DecisionRules has a default_factory (a rules dataclass)
    blocks = {f.name: cast("Callable[[], Any]", f.default_factory) for f in fields(DecisionRules)}
    r.mapping(raw, path, tuple(blocks))
    built = {}
    for name, factory in blocks.items():
        default = factory()
        sub = raw.get(name)
        if sub is None:
            built[name] = default
            continue
        sub_path = join(path, name)
        keys = tuple(f.name for f in fields(default))
        r.mapping(sub, sub_path, keys)
        values = {}
        for key in keys:
            current = getattr(default, key)
            value = r.get(sub, key, sub_path, type(current), required=False, default=current)
            _check(r, sub_path, key, value)
            values[key] = value
        built[name] = type(default)(**values)
    return DecisionRules(**built)


__all__ = [
    "ActionPlanRules",
    "AwardDecisionRules",
    "BenchmarkRules",
    "DecisionRules",
    "GovernanceRules",
    "PeerSupportRules",
    "PriorityRules",
    "TrendRules",
    "TriangulationRules",
    "month_days",
    "parse_decision_rules",
]
