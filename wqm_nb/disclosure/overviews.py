"""A trust's overview published more than once: its totals audited with every earlier overview of the year.

:func:`protect_total` decides whether one overview's trust total
(:attr:`~wqm_nb.model.group.GroupRollup.trust_totals`) may be shown, the schools being its parts
(:func:`~wqm_nb.disclosure.families.protect`). Each overview is recorded in the publication ledger
(:mod:`.ledger`, table ``overviews``) as an :class:`OverviewRecord`: per school, a digest of its counts
(:func:`school_digest`, which changes when its data does) and which of its own figures it hides; and which
totals were shown. :func:`changed_schools` is the set of schools that differs between two overviews;
:func:`discloses_by_difference` says whether a total shown in both would give a school's hidden figure away,
and the total is then hidden with the reason "not shown, so that a change since the last publication cannot
be worked out".

Method: docs/privacy.md, "Trust totals give no school away".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .families import COMPLEMENTARY, Cell, protect

#: a total: "survey:section"
TotalKey = str


@dataclass(frozen=True)
class OverviewRecord:
    """What one published overview tells, for a later one: each school's digest, the totals each school hides
    in its own report, and the totals shown."""

    schools: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, tuple[TotalKey, ...]] = field(default_factory=dict)
    shown: tuple[TotalKey, ...] = ()

    def to_json(self) -> dict:
        return {
            "schools": dict(sorted(self.schools.items())),
            "hidden": {s: sorted(v) for s, v in sorted(self.hidden.items())},
            "shown": sorted(self.shown),
        }

    @classmethod
    def from_json(cls, doc: Mapping) -> OverviewRecord:
        return cls(dict(doc["schools"]), {s: tuple(v) for s, v in doc["hidden"].items()}, tuple(doc["shown"]))

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:32]


def school_digest(counts: Mapping[str, Mapping[str, object]]) -> str:
    """A digest of a school's counts (``survey -> section -> counts``): it changes when the school's data
    does, and says nothing of the counts."""
    text = json.dumps(
        {s: {k: repr(v) for k, v in sorted(c.items())} for s, c in sorted(counts.items())}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def protect_total(cells: list, min_group_size: int) -> str:
    """Whether a trust total over ``cells`` (one per school: :class:`~wqm_nb.model.group.GroupCount`) may be
    shown: '' if so, else why not
    (:data:`~wqm_nb.disclosure.families.PRIMARY` or ``COMPLEMENTARY``).

    The schools are the parts of the total, each already shown or hidden by
    its own published figures. :func:`~wqm_nb.disclosure.families.protect` runs
    on that family exactly as on a school's whole group and its subgroups;
    since a school's shown figure is published in its own report anyway,
    hiding it here would protect nothing, so whenever ``protect`` would hide a
    shown school the total is hidden instead."""
    if not cells:
        return ""
    parts = [Cell(c.n, c.answers, c.agree, c.hidden) for c in cells]
    shown = [not p.hidden for p in parts]
    whole = Cell(sum(c.n for c in cells), sum(c.answers for c in cells), sum(c.agree for c in cells))
    protect(whole, parts, min_group_size, max(c.items for c in cells))
    if whole.hidden:
        return whole.hidden
    if any(p.hidden and was for p, was in zip(parts, shown, strict=False)):
        return COMPLEMENTARY
    return ""


def changed_schools(earlier: OverviewRecord, now: OverviewRecord) -> set[str]:
    """The schools whose part of a total differs between two overviews: joined, left, or with other data."""
    return {s for s in set(earlier.schools) | set(now.schools) if earlier.schools.get(s) != now.schools.get(s)}


def discloses_by_difference(total: TotalKey, earlier: OverviewRecord, now: OverviewRecord) -> bool:
    """Whether showing ``total`` now, beside ``earlier`` (which showed it), gives away a figure some changed
    school hides in its own report, now or then."""
    if total not in earlier.shown:
        return False
    return any(
        total in earlier.hidden.get(s, ()) or total in now.hidden.get(s, ()) for s in changed_schools(earlier, now)
    )


__all__ = ["OverviewRecord", "TotalKey", "changed_schools", "discloses_by_difference", "protect_total", "school_digest"]
