"""One survey's published tables, every framework at once, as the outsider's linear model.

A survey's answers are counted per item and subgroup; every table the tool publishes about it (a framework's
sections, whole groups and subgroups) sums the same counts over other sets of items (:class:`SurveyLayout`:
what is public of its structure). :func:`survey_model` writes what an outsider knows of one publication as an
:class:`~wqm_nb.disclosure.audit.AuditModel` (a :class:`SurveyModel`); :func:`joint_model` does it for
several publications of one survey (each a :class:`Publication`; a :class:`JointModel`), whose unknowns are
per *atom*, a group of respondents that appear in the same publications (:mod:`.changes`), and each
publication's cells are sums over its atoms. One publication alone has one atom.

Unknowns, per atom, item ``i`` and subgroup ``g`` (``""``: those who did not say): answers ``a[i,g]``,
agreeing answers ``y[i,g]``, sum of answers ``s[i,g]``; per section ``S`` and subgroup: respondents
``n[S,g]``; per subgroup: its respondents ``N[g]``. The facts are those that hold for any data and those
from the publication (:class:`PublishedCell`: a shown cell's counts, and its share and mean as the intervals
of :func:`printed_interval`; a hidden cell's reason, :data:`TOO_FEW`, :data:`PROTECTS`, :data:`NONE`, or
:data:`UNSAID` for a withheld survey's cells). :func:`hidden_cells` names the quantities the audit bounds.

Method: docs/privacy.md, "How the audit works" (every fact of the model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from .audit import INF, AuditModel, CellQuantities, Expr, expr

#: why a cell is hidden, as the outsider reads it
TOO_FEW = "too_few"
PROTECTS = "protects"
NONE = "no_responses"
#: a withheld survey's cell: nothing is said of it, not even whether it is small or empty
UNSAID = "unsaid"


@dataclass(frozen=True)
class SurveyLayout:
    """What is public about a survey's structure: its items, subgroups, scale and each section's items."""

    survey: str
    items: tuple[str, ...]
    subgroups: tuple[str, ...]  # the parts ("" for those who did not say); ("",) without a question
    sections: dict[str, frozenset[str]]  # section key (e.g. "wqm:P1") -> its items
    scale_min: int = 1
    scale_max: int = 5
    high_min: int = 4


@dataclass(frozen=True)
class PublishedCell:
    """One published cell as an outsider reads it. ``subgroup`` None is the whole group. A hidden cell has
    its ``hidden`` reason; a shown one its values, each as the interval of what prints the same."""

    section: str
    subgroup: str | None
    hidden: str = ""
    n: int | None = None
    answers: int | None = None
    share: tuple[float, float] | None = None  # agreeing / answers
    mean: tuple[float, float] | None = None  # sum / answers


@dataclass(frozen=True)
class Publication:
    """One publication of a survey as the outsider reads it: the *atoms* (groups of respondents, disjoint)
    whose answers its figures sum, its cells, and its "Responses" line (an interval; None when not
    published)."""

    atoms: frozenset[str]
    cells: tuple[PublishedCell, ...]
    total_respondents: tuple[float, float] | None = None


@dataclass
class JointModel:
    """The outsider's model of several publications of one survey at once, over the atoms' unknowns."""

    model: AuditModel
    layout: SurveyLayout
    parts: dict[tuple[str, str, str], CellQuantities] = field(default_factory=dict)  # (atom, section, group)
    respondents: dict[tuple[str, str], int] = field(default_factory=dict)  # (atom, group) -> N

    def cell(self, atoms: frozenset[str] | set[str], section: str, subgroup: str | None) -> CellQuantities:
        """The quantities of a cell summed over ``atoms`` (``subgroup`` None: every group)."""
        groups = self.layout.subgroups if subgroup is None else (subgroup,)
        parts = [self.parts[(atom, section, g)] for atom in sorted(atoms) for g in groups]
        return CellQuantities(
            expr(*(c.n for c in parts)),
            expr(*(c.answers for c in parts)),
            expr(*(c.agree for c in parts)),
            expr(*(cast(Expr, c.total) for c in parts)),  # every atom's part has its sum (see _atom)
        )


@dataclass
class SurveyModel:
    """The model of one survey's publication, with the expressions of its cells."""

    model: AuditModel
    layout: SurveyLayout
    cells: dict[tuple[str, str | None], CellQuantities] = field(default_factory=dict)
    respondents: dict[str, int] = field(default_factory=dict)  # N[g]

    def quantities(self, section: str, subgroup: str | None) -> CellQuantities:
        return self.cells[(section, subgroup)]


def _atom(m: AuditModel, out: JointModel, atom: str) -> None:
    """The unknowns of one atom, and the facts that hold for any data (see the module notes)."""
    layout = out.layout
    sid = layout.survey
    lo, hi, high = layout.scale_min, layout.scale_max, layout.high_min
    a, y, s = {}, {}, {}
    for g in layout.subgroups:
        out.respondents[(atom, g)] = big_n = m.unknown(f"{sid}:{atom}:N[{g}]")
        for i in layout.items:
            a[i, g] = m.unknown(f"{sid}:{atom}:a[{i},{g}]")
            y[i, g] = m.unknown(f"{sid}:{atom}:y[{i},{g}]")
            s[i, g] = m.unknown(f"{sid}:{atom}:s[{i},{g}]")
            m.at_most(expr(y[i, g], expr(a[i, g], scale=-1)), 0)  # y <= a
            m.at_most(expr(a[i, g], expr(big_n, scale=-1)), 0)  # a <= N
            # sum: lowest answers are scale_min (not agreeing) and high_min (agreeing); highest high_min-1, max
            m.at_least(expr(s[i, g], expr(a[i, g], scale=-lo), expr(y[i, g], scale=-(high - lo))), 0)
            m.at_most(expr(s[i, g], expr(a[i, g], scale=-(high - 1)), expr(y[i, g], scale=-(hi - high + 1))), 0)
    for key, items in layout.sections.items():
        for g in layout.subgroups:
            n = m.unknown(f"{sid}:{atom}:n[{key},{g}]")
            answers = expr(*(a[i, g] for i in items))
            for i in items:
                m.at_most(expr(a[i, g], expr(n, scale=-1)), 0)  # a[i] <= n
            m.at_most(expr(n, expr(out.respondents[(atom, g)], scale=-1)), 0)  # n <= N
            m.at_most(expr(n, expr(answers, scale=-1)), 0)  # n <= answers
            m.at_most(expr(answers, expr(n, scale=-len(items))), 0)  # answers <= |S| n
            out.parts[(atom, key, g)] = CellQuantities(
                expr(n), answers, expr(*(y[i, g] for i in items)), expr(*(s[i, g] for i in items))
            )


def joint_model(
    layout: SurveyLayout, publications: list[Publication], min_group_size: int, model: AuditModel | None = None
) -> JointModel:
    """The outsider's model of every publication of one survey at once: the unknowns of each atom (the
    groups of respondents, disjoint, that the publications share or not), and what each publication tells
    of the sums over its atoms (see the module notes)."""
    m = model or AuditModel()
    out = JointModel(m, layout)
    for atom in sorted({a for p in publications for a in p.atoms}):
        _atom(m, out, atom)
    for p in publications:
        if p.total_respondents is not None:
            m.between(
                expr(*(out.respondents[(atom, g)] for atom in p.atoms for g in layout.subgroups)), *p.total_respondents
            )
        for cell in p.cells:
            _publish(m, out.cell(p.atoms, cell.section, cell.subgroup), cell, min_group_size)
    return out


def survey_model(
    layout: SurveyLayout,
    published: list[PublishedCell],
    min_group_size: int,
    total_respondents: tuple[float, float] | None = None,
    model: AuditModel | None = None,
) -> SurveyModel:
    """The outsider's model of one survey (see the module notes); several surveys may share one ``model``.
    ``total_respondents`` is what the report's "Responses" line says (an interval: exact when shown, 0 to
    threshold - 1 when "fewer than ..."), None when not published."""
    atoms = frozenset({"all"})
    joint = joint_model(layout, [Publication(atoms, tuple(published), total_respondents)], min_group_size, model)
    out = SurveyModel(joint.model, layout, respondents={g: joint.respondents[("all", g)] for g in layout.subgroups})
    for key in layout.sections:
        for g in (None, *layout.subgroups):
            out.cells[(key, g)] = joint.cell(atoms, key, g)
    return out


def _publish(m: AuditModel, q: CellQuantities, cell: PublishedCell, min_group_size: int) -> None:
    """What one published cell tells."""
    if cell.hidden == UNSAID:
        return
    if cell.hidden == TOO_FEW:
        m.between(q.n, 1, min_group_size - 1)
        return
    if cell.hidden == PROTECTS:
        m.at_least(q.n, min_group_size)
        return
    if cell.hidden == NONE:
        m.equals(q.n, 0)
        return
    if cell.n is not None:
        m.equals(q.n, cell.n)
    if cell.answers is not None:
        m.equals(q.answers, cell.answers)
    if cell.share is not None:
        m.share_between(q.agree, q.answers, *cell.share)
    if cell.mean is not None and q.total is not None:
        m.share_between(q.total, q.answers, *cell.mean)


def printed_interval(value: float, decimals: int) -> tuple[float, float]:
    """Every value that prints as ``value`` with ``decimals`` decimals (round half to even aside)."""
    half = 0.5 * 10**-decimals
    return max(0.0, value - half), value + half


def cell_name(prefix: str, section: str, subgroup: str | None) -> str:
    """How the audit names a cell: ``prefix section subgroup`` (``whole`` for the whole group)."""
    return f"{prefix} {section} {subgroup if subgroup is not None else 'whole'}"


def hidden_cells(sm: SurveyModel, published: list[PublishedCell]) -> dict[str, CellQuantities]:
    """The hidden cells' quantities, named ``survey section subgroup`` (:func:`cell_name`)."""
    return {
        cell_name(sm.layout.survey, c.section, c.subgroup): sm.quantities(c.section, c.subgroup)
        for c in published
        if c.hidden in (TOO_FEW, PROTECTS)
    }


__all__ = [
    "NONE",
    "PROTECTS",
    "UNSAID",
    "JointModel",
    "Publication",
    "PublishedCell",
    "SurveyLayout",
    "SurveyModel",
    "TOO_FEW",
    "cell_name",
    "hidden_cells",
    "joint_model",
    "printed_interval",
    "survey_model",
    "INF",
    "Expr",
]
