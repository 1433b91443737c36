"""Small-group suppression that survives subtraction, in one family: a whole and its parts.

A family is a whole group and its parts along one subgroup question (a :class:`Cell` each, with its true
respondents ``n``, ``answers`` and agreeing answers); the parts add up to the whole in every count
(:data:`QUANTITIES`). :func:`protect` marks cells hidden in place: :data:`PRIMARY` (``0 < n < min_group_size``),
then :data:`COMPLEMENTARY`, the smallest part still shown (the whole when none is left), while
:func:`disclosed` finds a hidden count worked out to a single value. :func:`ranges` derives, from the shown
cells and what each hidden cell's reason tells (:func:`bounds`), the values each hidden count could take; the
property tests assert none is a single value. A trust total's schools go through it (:mod:`.overviews`,
:mod:`wqm_nb.model.group`).

Method: docs/privacy.md, "Trust totals give no school away".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
QUANTITIES = ("n", "answers", "agree", "disagree")
INF = math.inf


@dataclass
class Cell:
    """One figure of a family: its true counts and why it is hidden ('' when shown)."""

    n: int
    answers: int
    agree: int
    hidden: str = ""

    @property
    def disagree(self) -> int:
        return self.answers - self.agree

    def value(self, quantity: str) -> int:
        return getattr(self, quantity)


def bounds(cell: Cell, quantity: str, min_group_size: int, items: int) -> tuple[float, float]:
    """What the published reason of a hidden cell tells about one of its counts."""
    n_lo, n_hi = (1, min_group_size - 1) if cell.hidden == PRIMARY else (min_group_size, INF)
    if quantity == "n":
        return n_lo, n_hi
    answers_hi = n_hi * items
    if quantity == "answers":
        return n_lo, answers_hi
    return 0, answers_hi  # agree, disagree


def ranges(whole: Cell, parts: list[Cell], min_group_size: int, items: int) -> list[dict[str, tuple[float, float]]]:
    """For each hidden part, the range each count could take given the published figures.

    Only the whole-equals-sum-of-parts identity links the cells of a family;
    with a single sum constraint and box bounds the interval below is exact.
    A hidden whole leaves every hidden part at its own bounds.
    """
    hidden = [p for p in parts if p.hidden]
    out = []
    for h in hidden:
        found = {}
        for q in QUANTITIES:
            lo, hi = bounds(h, q, min_group_size, items)
            if not whole.hidden:
                total = whole.value(q) - sum(p.value(q) for p in parts if not p.hidden)
                others = [bounds(o, q, min_group_size, items) for o in hidden if o is not h]
                lo = max(lo, total - sum(b[1] for b in others))
                hi = min(hi, total - sum(b[0] for b in others))
            found[q] = (lo, hi)
        out.append(found)
    return out


def disclosed(whole: Cell, parts: list[Cell], min_group_size: int, items: int) -> bool:
    """Whether any count of a hidden part can be worked out to a single value."""
    return any(lo >= hi for r in ranges(whole, parts, min_group_size, items) for lo, hi in r.values())


def protect(whole: Cell, parts: list[Cell], min_group_size: int, items: int) -> None:
    """Mark cells hidden (in place): primary, then complementary until nothing is disclosed."""
    for cell in (whole, *parts):
        if 0 < cell.n < min_group_size:
            cell.hidden = PRIMARY
    if whole.hidden:
        return
    while disclosed(whole, parts, min_group_size, items):
        shown = sorted((p for p in parts if not p.hidden and p.n > 0), key=lambda p: p.n)
        if not shown:
            whole.hidden = COMPLEMENTARY
            return
        shown[0].hidden = COMPLEMENTARY
