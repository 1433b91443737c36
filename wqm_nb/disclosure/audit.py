"""The outsider's audit: what can be worked out from everything published, taken together.

:class:`AuditModel` holds what an outsider knows of a school year's publications as linear facts over
non-negative unknowns (whole-number counts; the facts are written by :mod:`.tables` and :mod:`.measures`).
:meth:`AuditModel.range_of` asks, by linear programming, for the least and greatest value a quantity can take
under them (not rounded), :meth:`AuditModel.integer_range_of` (mixed-integer programming) confirms it in
tests, and :class:`Solver` keeps one model in HiGHS, changing only the objective between solves.
:func:`audit` gives, for every hidden cell (:class:`CellQuantities`: respondents, answers, agreeing and not
agreeing answers, sum of answers), a :class:`Finding` with each quantity's :class:`Range`, rounded inward (a
count is whole); a quantity whose range is one value is disclosed, and so is "all agree" or "none agree"
when it is forced. :func:`cleared` says whether nothing is.

scipy and HiGHS are imported only when an audit runs, so the command line stays light.

Method: docs/privacy.md, "How the audit works".
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: a linear expression: unknown index -> coefficient
Expr = dict[int, float]
INF = math.inf
#: slack for floating-point bounds before they are rounded inward
TOLERANCE = 1e-7


def expr(*terms: Mapping[int, float] | int, scale: float = 1.0) -> Expr:
    """The sum of ``terms`` (unknown indexes, or expressions), times ``scale``."""
    out: Expr = {}
    for term in terms:
        items = {term: 1.0}.items() if isinstance(term, int) else term.items()
        for k, v in items:
            out[k] = out.get(k, 0.0) + v * scale
    return {k: v for k, v in out.items() if v}


def minus(a: Mapping[int, float], b: Mapping[int, float]) -> Expr:
    """``a - b``."""
    return expr(a, expr(b, scale=-1.0))


@dataclass(frozen=True)
class Range:
    """The values a quantity can take: ``low`` to ``high`` (whole numbers after inward rounding)."""

    low: float
    high: float

    @property
    def single(self) -> bool:
        """Whether the quantity is worked out exactly (or nothing is feasible, which the audit treats alike)."""
        return self.low >= self.high

    def rounded(self) -> Range:
        """Bounds of a whole-number quantity, rounded inward."""
        low = math.ceil(self.low - TOLERANCE) if math.isfinite(self.low) else self.low
        high = math.floor(self.high + TOLERANCE) if math.isfinite(self.high) else self.high
        return Range(low, high)


@dataclass
class AuditModel:
    """Linear facts about non-negative unknowns (see the module notes)."""

    names: list[str] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    #: rows ``low <= expr <= high``
    rows: list[tuple[Expr, float, float]] = field(default_factory=list)

    def unknown(self, name: str, low: float = 0.0, high: float = INF) -> int:
        """A new non-negative unknown; its index."""
        self.names.append(name)
        self.lower.append(max(0.0, low))
        self.upper.append(high)
        return len(self.names) - 1

    def between(self, e: Mapping[int, float], low: float = -INF, high: float = INF) -> None:
        """``low <= e <= high``."""
        if low == -INF and high == INF:
            return
        self.rows.append((dict(e), low, high))

    def equals(self, e: Mapping[int, float], value: float) -> None:
        self.between(e, value, value)

    def at_least(self, e: Mapping[int, float], value: float) -> None:
        self.between(e, value, INF)

    def at_most(self, e: Mapping[int, float], value: float) -> None:
        self.between(e, -INF, value)

    def share_between(self, part: Mapping[int, float], whole: Mapping[int, float], low: float, high: float) -> None:
        """``low <= part / whole <= high`` (for whole > 0), as two linear rows."""
        if low > 0:
            self.at_least(minus(part, expr(whole, scale=low)), 0.0)
        if high < INF:
            self.at_most(minus(part, expr(whole, scale=high)), 0.0)

    # -- solving --------------------------------------------------------------

    def _matrices(self):
        import numpy as np
        from scipy.sparse import csr_matrix

        data, rows, cols = [], [], []
        for r, (e, _, _) in enumerate(self.rows):
            for k, v in e.items():
                data.append(v)
                rows.append(r)
                cols.append(k)
        a = csr_matrix((data, (rows, cols)), shape=(max(len(self.rows), 1), len(self.names)))
        low = np.array([lo for _, lo, _ in self.rows] or [-np.inf], dtype=float)
        high = np.array([hi for _, _, hi in self.rows] or [np.inf], dtype=float)
        return a, low, high

    def _objective(self, e: Mapping[int, float], sign: float):
        import numpy as np

        c = np.zeros(len(self.names))
        for k, v in e.items():
            c[k] = sign * v
        return c

    def range_of(self, e: Mapping[int, float]) -> Range:
        """The least and greatest value of ``e`` under the facts, by linear programming (not rounded)."""
        from scipy.optimize import linprog

        a, low, high = self._matrices()
        bounds = list(zip(self.lower, [None if math.isinf(u) else u for u in self.upper], strict=False))
        out = []
        for sign in (1.0, -1.0):
            result = linprog(
                self._objective(e, sign),
                bounds=bounds,
                method="highs",
                **(_constraints(a, low, high) if self.rows else {}),
            )
            if result.status == 2:  # infeasible: nothing can be said (the audit treats it as disclosed)
                return Range(INF, -INF)
            out.append(-INF * sign if result.status == 3 else sign * result.fun)
        return Range(out[0], out[1])

    def ranges(self, exprs: Mapping[str, Mapping[int, float]]) -> dict[str, Range]:
        """:meth:`range_of` for many expressions over one model (one :class:`Solver`)."""
        solver = Solver(self)
        return {name: solver.range(e) for name, e in exprs.items()}

    def integer_range_of(self, e: Mapping[int, float]) -> Range:
        """The least and greatest value of ``e`` with every unknown a whole number (mixed-integer programming;
        slower, for tests that confirm the linear audit)."""
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, milp

        a, low, high = self._matrices()
        bounds = Bounds(np.array(self.lower), np.array(self.upper))
        constraints = [LinearConstraint(a, low, high)] if self.rows else []
        out = []
        for sign in (1.0, -1.0):
            result = milp(
                self._objective(e, sign), integrality=np.ones(len(self.names)), bounds=bounds, constraints=constraints
            )
            if result.status == 2:
                return Range(INF, -INF)
            out.append(-INF * sign if result.status == 3 or result.fun is None else sign * result.fun)
        return Range(out[0], out[1])


_BANNER_SHOWN = threading.Lock()
_banner_done = False


def _quiet_highs():
    """A ``highspy.Highs`` that prints nothing. HiGHS writes its banner to the process's standard output (file
    descriptor 1, not ``sys.stdout``) the first time one is made, which would corrupt ``wqm export``'s CSV:
    the first is made with descriptor 1 sent to ``os.devnull``."""
    global _banner_done
    import highspy

    with _BANNER_SHOWN:
        if not _banner_done:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                h = highspy.Highs()
                h.setOptionValue("output_flag", False)
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_done = True
            return h
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


class Solver:
    """One model given to HiGHS (``highspy``) once: each :meth:`range` only changes the objective, and starts
    from the last basis."""

    def __init__(self, model: AuditModel):
        import highspy
        import numpy as np

        self._hs = highspy
        h = self.h = _quiet_highs()
        # only the objective changes between solves, so the last basis stays primal feasible: the primal
        # simplex starts from it (the default, dual, starts over; about 5 times slower here)
        h.setOptionValue("simplex_strategy", 4)
        inf = highspy.kHighsInf
        self.n = n = len(model.names)
        h.addVars(
            n,
            np.array(model.lower, dtype=float),
            np.array([u if math.isfinite(u) else inf for u in model.upper], dtype=float),
        )
        if model.rows:  # every row at once (compressed rows), not one call per row
            lower = np.array([lo if math.isfinite(lo) else -inf for _, lo, _ in model.rows], dtype=float)
            upper = np.array([hi if math.isfinite(hi) else inf for _, _, hi in model.rows], dtype=float)
            starts = np.zeros(len(model.rows), dtype=np.int32)
            indices: list[int] = []
            values: list[float] = []
            for r, (e, _, _) in enumerate(model.rows):
                starts[r] = len(indices)
                indices.extend(e.keys())
                values.extend(e.values())
            h.addRows(
                len(model.rows),
                lower,
                upper,
                len(indices),
                starts,
                np.array(indices, dtype=np.int32),
                np.array(values, dtype=float),
            )
        self.columns = np.arange(n, dtype=np.int32)

    def point(self, e: Mapping[int, float], maximize: bool = False):
        """A point of the model where ``e`` is least (greatest with ``maximize``): the unknowns' values, or
        None when there is none (an infeasible or unbounded model)."""
        import numpy as np

        hs, h = self._hs, self.h
        cost = np.zeros(self.n)
        for k, v in e.items():
            cost[k] = v
        h.changeColsCost(self.n, self.columns, cost)
        h.changeObjectiveSense(hs.ObjSense.kMaximize if maximize else hs.ObjSense.kMinimize)
        h.run()
        if h.getModelStatus() != hs.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value, dtype=float)

    def range(self, e: Mapping[int, float], known: float | None = None) -> Range:
        """The least and greatest value of ``e`` (not rounded); an infeasible model gives an empty range.

        ``known``: a value ``e`` is known to take under the facts (the true one, when the protecting side
        audits its own release). Once the least value rounds below it, the quantity cannot be a single value
        and the greatest is not sought: the range returned is then ``(least, known)``, inside the true one
        and no more single than it."""
        import numpy as np

        hs, h = self._hs, self.h
        cost = np.zeros(self.n)
        for k, v in e.items():
            cost[k] = v
        h.changeColsCost(self.n, self.columns, cost)
        bounds = []
        for sense in (hs.ObjSense.kMinimize, hs.ObjSense.kMaximize):
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            if status == hs.HighsModelStatus.kInfeasible:
                return Range(INF, -INF)
            if status == hs.HighsModelStatus.kUnbounded:
                bounds.append(-INF if sense == hs.ObjSense.kMinimize else INF)
            else:
                bounds.append(h.getInfo().objective_function_value)
            if (
                known is not None
                and sense == hs.ObjSense.kMinimize
                and Range(bounds[0], known).rounded().low < round(known)
            ):
                return Range(bounds[0], known)
        return Range(bounds[0], bounds[1])


def _constraints(a, low, high) -> dict:
    """``linprog``'s ``A_ub``/``b_ub`` and ``A_eq``/``b_eq`` from two-sided rows."""
    import numpy as np
    from scipy.sparse import vstack

    eq = np.isfinite(low) & np.isfinite(high) & (low == high)
    upper = np.isfinite(high) & ~eq
    lower = np.isfinite(low) & ~eq
    out: dict = {}
    parts, bounds = [], []
    if upper.any():
        parts.append(a[np.flatnonzero(upper)])
        bounds.append(high[upper])
    if lower.any():
        parts.append(-a[np.flatnonzero(lower)])
        bounds.append(-low[lower])
    if parts:
        out["A_ub"] = vstack(parts)
        out["b_ub"] = np.concatenate(bounds)
    if eq.any():
        out["A_eq"] = a[np.flatnonzero(eq)]
        out["b_eq"] = low[eq]
    return out


@dataclass(frozen=True)
class CellQuantities:
    """A hidden cell's quantities as expressions over the model's unknowns."""

    n: Expr
    answers: Expr
    agree: Expr
    total: Expr | None = None  # the sum of answers (for a mean); None where none is published

    def named(self) -> dict[str, Expr]:
        out = {
            "respondents": self.n,
            "answers": self.answers,
            "agreeing": self.agree,
            "not agreeing": minus(self.answers, self.agree),
        }
        if self.total is not None:
            out["sum"] = self.total
        return out


@dataclass(frozen=True)
class Finding:
    """What the outsider can work out about one hidden cell: each quantity's range, and what is disclosed."""

    cell: str
    ranges: dict[str, Range]

    @property
    def disclosed(self) -> list[str]:
        """The quantities worked out to one value, and "all agree" / "none agree" when forced."""
        # a measure's band worked out to hold nobody of the group is no one's answer (the group's whole often
        # shows the band empty): not a disclosure; a band worked out to hold the whole group is
        out = [q for q, r in self.ranges.items() if r.single and not (q.startswith("band ") and r.high <= 0)]
        size = self.ranges.get("respondents")
        for q, r in self.ranges.items():  # a measure's band forced to hold the whole group
            if q.startswith("not band ") and r.high <= 0 and size is not None and size.low > 0:
                out.append("all " + q[4:])
        if "not agreeing" in self.ranges and self.ranges["not agreeing"].high <= 0 and self.ranges["answers"].low > 0:
            out.append("all agree")
        if "agreeing" in self.ranges and self.ranges["agreeing"].high <= 0 and self.ranges["answers"].low > 0:
            out.append("none agree")
        return out


#: rounds of :func:`_cleared_together` at most, and the least share of the open quantities a round must clear
#: to be worth another
TOGETHER_ROUNDS = 8
TOGETHER_GAIN = 0.05


def _cleared_together(
    solver: Solver, quantities: dict[tuple[str, str], tuple[Expr, float]]
) -> dict[tuple[str, str], Range]:
    """Quantities shown not to be a single value a few at a time rather than one by one.

    Each quantity's true value is a point of the model (the protecting side's own data). A quantity is not
    a single value once some other point of the model puts it a whole unit away from its true value. One
    linear program, least (then greatest) of the weighted sum of every quantity still open, gives a point
    that moves many of them at once; those a unit away are cleared, with the range the two points show
    (inside the true range, and no more single than it). What is left is for :meth:`Solver.range`, one by
    one: the audit's answer is the same, only sooner."""
    cleared: dict[tuple[str, str], Range] = {}
    open_ = dict(quantities)
    for round_ in range(TOGETHER_ROUNDS):
        if not open_:
            break
        objective = expr(*(expr(e, scale=1.0 / (1.0 + abs(truth))) for e, truth in open_.values()))
        x = solver.point(objective, maximize=bool(round_ % 2))
        if x is None:
            break
        before = len(open_)
        for key, (e, truth) in list(open_.items()):
            value = sum(v * x[k] for k, v in e.items())
            if value <= truth - 1 + TOLERANCE:
                cleared[key] = Range(value, truth)
            elif value >= truth + 1 - TOLERANCE:
                cleared[key] = Range(truth, value)
            else:
                continue
            del open_[key]
        if round_ and before - len(open_) < max(1, TOGETHER_GAIN * before):
            break
    return cleared


def audit(
    model: AuditModel,
    hidden: Mapping[str, CellQuantities | Mapping[str, Expr]],
    integer: bool = False,
    first: bool = False,
    known: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Finding]:
    """For every hidden cell, the range of each of its quantities (rounded inward). With ``first``, stop at
    the first cell found disclosed (what a protection step needs), and within a cell at its first
    quantity worked out. ``known``: per cell, the true value of each quantity (the protecting side knows
    them): a range is then sought only as far as it takes to show it is not a single value (see
    :meth:`Solver.range` and :func:`_cleared_together`), which cuts the work several times over; what is
    disclosed is the same."""
    named: dict[str, dict[str, Expr]] = {
        name: cell.named() if isinstance(cell, CellQuantities) else dict(cell) for name, cell in hidden.items()
    }
    if integer:
        return [
            Finding(name, {q: model.integer_range_of(e).rounded() for q, e in cell.items()})
            for name, cell in named.items()
        ]
    solver = Solver(model)
    known_cells = known or {}
    together = _cleared_together(
        solver,
        {
            (name, q): (e, float(known_cells[name][q]))
            for name, cell in named.items()
            if name in known_cells
            for q, e in cell.items()
            if q in known_cells[name]
        },
    )
    out = []
    for name, cell in named.items():
        ranges: dict[str, Range] = {}
        truth = (known or {}).get(name, {})
        for q, e in cell.items():
            found = together.get((name, q))
            ranges[q] = (found if found is not None else solver.range(e, truth.get(q))).rounded()
            if first and ranges[q].single and Finding(name, ranges).disclosed:
                break
        finding = Finding(name, ranges)
        out.append(finding)
        if first and finding.disclosed:
            break
    return out


def cleared(findings: Iterable[Finding]) -> bool:
    """Whether nothing hidden is disclosed."""
    return not any(f.disclosed for f in findings)


__all__ = ["AuditModel", "CellQuantities", "Expr", "Finding", "INF", "Range", "audit", "cleared", "expr", "minus"]
