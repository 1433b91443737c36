"""Trust totals audited with the member schools' releases and the public pupil numbers.

A group overview's trust total of a survey section sums the member schools' answers. Each school's own
release is cleared alone (:mod:`.release`); taken together with the totals, an outsider has more facts: one
more sum over the schools of every section shown, and, for a total weighted by pupils on roll (which are
public), a weighted sum of the schools' shares. :func:`totals_to_hide` writes all of it as one linear model
(:func:`~.tables.joint_model`, each school an *atom* of the survey, every framework's sections at once), and
audits every cell any member school hides (:func:`~.audit.audit`: respondents, answers, agreeing and not
agreeing answers, sum; "all agree" / "none agree"); while one is disclosed, the total nearest to it (the
same section, else the one sharing most items with it) is hidden too.

What a school's release tells is its :class:`SchoolPublication` (its cells as printed, its "Responses"
line, and, for the protecting side only, the true counts of its hidden cells, which make the audit quick);
:func:`school_publications` makes them from a release and the school year's data. A trust :class:`Total` is
what the overview prints: the respondents and the share as printed (an interval), pooled or weighted.

Method: docs/privacy.md, "Trust totals give no school away".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .audit import expr
from .tables import NONE, PROTECTS, TOO_FEW, UNSAID, Publication, PublishedCell, SurveyLayout, joint_model

#: the reason a total hidden by the joint audit carries (as :data:`~.families.COMPLEMENTARY`: a school is
#: protected by it)
AUDIT = "audit"
#: cells a school's publication hides, which the audit bounds
HIDDEN = (TOO_FEW, PROTECTS, UNSAID)


@dataclass(frozen=True)
class SchoolPublication:
    """One school's publication of one survey as an outsider reads it (``cells``, ``line``: its "Responses"
    line as an interval, None when not printed), and the true quantities of its hidden cells
    (``truth[(section, subgroup)]``: what the protecting side knows; never published)."""

    cells: tuple[PublishedCell, ...]
    line: tuple[float, float] | None = None
    truth: dict[tuple[str, str | None], dict[str, float]] = field(default_factory=dict)
    #: every section's true whole-group respondents, answers and agreeing answers (the trust totals' parts)
    wholes: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def to_json(self) -> dict:
        from .release import _cell_json

        return {
            "cells": [_cell_json(c) for c in self.cells],
            "line": list(self.line) if self.line is not None else None,
            "wholes": {k: list(v) for k, v in sorted(self.wholes.items())},
            "truth": [
                [k, g, dict(q)] for (k, g), q in sorted(self.truth.items(), key=lambda x: (x[0][0], x[0][1] or ""))
            ],
        }

    @classmethod
    def from_json(cls, doc: Mapping) -> SchoolPublication:
        from .release import _cell_of

        line = doc.get("line")
        return cls(
            tuple(_cell_of(c) for c in doc["cells"]),
            (float(line[0]), float(line[1])) if line is not None else None,
            {(k, g): {q: float(v) for q, v in quantities.items()} for k, g, quantities in doc.get("truth", [])},
            {k: (int(v[0]), int(v[1]), int(v[2])) for k, v in doc.get("wholes", {}).items()},
        )


def school_publications(release, data, layouts: Mapping[str, SurveyLayout]) -> dict[str, SchoolPublication]:
    """Each survey's :class:`SchoolPublication` of a school year's ``release``
    (:class:`~.release.Release`), with the true quantities of its hidden cells counted from ``data``
    (``layouts``: :func:`~.release.survey_layouts` of the release's frameworks and the data)."""
    from .protect import true_cells

    out = {}
    for survey_id, cells in release.published.items():
        layout = layouts.get(survey_id)
        if layout is None or not cells:
            continue
        counts = true_cells(data, layout)
        truth = {
            (c.section, c.subgroup): counts[(c.section, c.subgroup)].quantities()
            for c in cells
            if c.hidden in HIDDEN and (c.section, c.subgroup) in counts
        }
        wholes = {
            key: (counts[(key, None)].n, counts[(key, None)].answers, counts[(key, None)].agree)
            for key in layout.sections
        }
        out[survey_id] = SchoolPublication(cells, release.totals.get(survey_id), truth, wholes)
    return out


@dataclass(frozen=True)
class Total:
    """One trust total as printed: its section (``framework:section``), respondents and share (an interval).
    ``weights`` (school -> pupils on roll over the total's pupils) when weighted by pupils, else the share
    of all the schools' answers."""

    section: str
    n: int
    share: tuple[float, float]
    weights: dict[str, float] | None = None


def trust_layout(layout: SurveyLayout, subgroups: tuple[str, ...]) -> SurveyLayout:
    """A survey's public structure with every subgroup any school may have (``subgroups``: the survey's
    subgroup values; "" for those who did not say is added)."""
    return replace(layout, subgroups=tuple(subgroups) + ("",) if "" not in subgroups else tuple(subgroups))


def totals_to_hide(
    layout: SurveyLayout,
    schools: Mapping[str, SchoolPublication],
    totals: Mapping[str, Total],
    threshold: int,
    fixed: Mapping[str, Total] | None = None,
) -> list[str]:
    """The keys of ``totals`` to hide, in the order they were hidden, so that nothing any school in
    ``schools`` hides can be worked out from the totals, the schools' publications and the pupil numbers
    together (see the module notes). ``layout``: the survey's public structure with every subgroup of the
    survey (a school's subgroups absent from its cells have nobody); ``fixed``: totals already published
    (an earlier overview of the same schools and data), never hidden here."""
    if not totals or not schools:
        return []
    sensitive, known, where = {}, {}, {}
    for school, pub in schools.items():
        for c in pub.cells:
            truth = pub.truth.get((c.section, c.subgroup))
            if c.hidden not in HIDDEN or (c.hidden == UNSAID and truth is not None and not truth["respondents"]):
                continue  # shown, or a withheld cell known to be empty: it tells nothing of anyone
            name = f"{school} {c.section} {c.subgroup if c.subgroup is not None else 'whole'}"
            sensitive[name] = (school, c.section, c.subgroup)
            where[name] = c.section
            if truth is not None:
                known[name] = truth
    if not sensitive:
        return []
    shown = dict(totals)
    hidden: list[str] = []
    while shown:
        found = _disclosed(layout, schools, {**(fixed or {}), **shown}, threshold, sensitive, known)
        if found is None:
            break
        section = where[found]
        items = layout.sections
        key = max(
            shown,
            key=lambda k: (shown[k].section == section, len(items[shown[k].section] & items[section]), k),
        )
        hidden.append(key)
        del shown[key]
    return hidden


def _disclosed(
    layout: SurveyLayout,
    schools: Mapping[str, SchoolPublication],
    totals: Mapping[str, Total],
    threshold: int,
    sensitive: Mapping[str, tuple[str, str, str | None]],
    known: Mapping[str, Mapping[str, float]],
) -> str | None:
    """The first hidden cell the outsider's model of the schools and ``totals`` discloses (None: none)."""
    from .audit import audit

    atoms = {school: frozenset({school}) for school in schools}
    joint = joint_model(layout, [Publication(atoms[s], p.cells, p.line) for s, p in sorted(schools.items())], threshold)
    m = joint.model
    everyone = frozenset(schools)
    for school, pub in schools.items():  # a subgroup a school's report does not list has nobody in it
        listed = {c.subgroup for c in pub.cells if c.subgroup is not None}
        for g in layout.subgroups:
            if g not in listed:
                m.equals(expr(joint.respondents[(school, g)]), 0)
    for total in totals.values():
        whole = joint.cell(everyone, total.section, None)
        m.equals(whole.n, total.n)
        if total.weights is None:
            m.share_between(whole.agree, whole.answers, *total.share)
            continue
        # weighted by pupils: sum of w_s * agree_s / answers_s, each school's answers printed in its report
        terms = []
        for school, w in total.weights.items():
            answers = _answers(schools[school], total.section)
            if answers is None:  # not printed: the weighted total is not linear; the caller never weights then
                raise ValueError(f"{school} {total.section}: a pupil-weighted total over a hidden school")
            if answers:
                terms.append(expr(joint.cell(atoms[school], total.section, None).agree, scale=w / answers))
        m.between(expr(*terms), *total.share)
    cells = {name: joint.cell(atoms[s], section, g) for name, (s, section, g) in sensitive.items()}
    for finding in audit(m, cells, first=True, known=known):
        if finding.disclosed:
            return finding.cell
    return None


def _answers(pub: SchoolPublication, section: str) -> int | None:
    """A school's printed answers of a section's whole group (None when it is hidden)."""
    for c in pub.cells:
        if c.section == section and c.subgroup is None:
            return c.answers if not c.hidden else (0 if c.hidden == NONE else None)
    return 0


__all__ = ["AUDIT", "SchoolPublication", "Total", "school_publications", "totals_to_hide", "trust_layout"]
