"""A school year's release: every figure any surface publishes about it, decided at once.

A :class:`Release` covers, for every survey of the school year, every bundled framework's sections and
subgroups protected jointly (:mod:`.protect`), audited with every earlier publication of the school year
(:mod:`.changes`), and the survey's validated measures decided with its cells (:mod:`.measures`).
:func:`release_of` makes one, and is what the published figures read (:mod:`wqm_nb.model.figures`);
:func:`survey_layouts` gives the public structure (each framework's sections of each survey, and the
subgroups), :func:`release_frameworks` the frameworks a release covers, and :func:`release_key` (with
:func:`fingerprint` of the data) what a release is a function of, by which the publication ledger
(:mod:`.ledger`) records each release published and gives it again.

Method: docs/privacy.md, "No small group can be identified".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import Framework, QuestionBank, SurveyMapping, available_frameworks, load_framework, load_mapping
from ..store.surveys import SurveyData
from .changes import SurveyPublication, protect_release, small_change
from .measures import measure_families, protect_measures

# the protection of one publication, named here too: a release's reasons are these
from .protect import (
    CHANGE,
    COMPLEMENTARY,
    MEAN_DECIMALS,
    NO_RESPONSES,
    PRIMARY,
    SHARE_DECIMALS,  # noqa: F401
    WITHHELD,
    CellKey,
    Counts,
    _published,
    protect_jointly,
    responses_line,
    true_cells,
    withheld,
)
from .tables import PROTECTS, TOO_FEW, PublishedCell, SurveyLayout


def survey_layouts(
    bank: QuestionBank,
    frameworks: list[Framework] | None = None,
    data: SurveyData | None = None,
    mappings: dict[str, SurveyMapping] | None = None,
) -> dict[str, SurveyLayout]:
    """Every survey's public structure under every framework (the bundled ones by default): its items, its
    subgroup parts (those present in ``data``, and "" for those who did not say) and each section's items,
    keyed ``framework:section``. ``mappings``: a framework's mapping by framework id, where it is not the
    framework's own file's."""
    frameworks = frameworks or [load_framework(f) for f in available_frameworks()]
    tallies = data.tally_rows() if data is not None else None
    loaded = {fw.id: (mappings or {}).get(fw.id) or load_mapping(fw, bank) for fw in frameworks}
    out = {}
    for survey_id, survey in bank.surveys.items():
        sections: dict[str, frozenset[str]] = {}
        for fw in frameworks:
            mapping = loaded[fw.id]
            for item, section in mapping.surveys.get(survey_id, {}).items():
                key = f"{fw.id}:{section}"
                sections[key] = sections.get(key, frozenset()) | {item}
        if not sections:
            continue
        sections = dict(sorted(sections.items()))  # one order, whichever framework asks
        given: set[str] = set()
        if data is not None:
            block = data.blocks.get(survey_id)
            if block is not None:
                given |= set(block.subgroups)
            assert tallies is not None  # read above whenever there is data
            given |= set(tallies.loc[tallies["survey"] == survey_id, "subgroup"])
        parts = [v for v in survey.subgroup.values if v in given] if survey.subgroup else []
        if "" in given or not parts:
            parts.append("")
        scale = bank.scale_of(survey_id)
        items = tuple(i.id for i in survey.items)
        out[survey_id] = SurveyLayout(
            survey_id, items, tuple(parts), sections, min(scale.values), max(scale.values), scale.high_min
        )
    return out


@dataclass(frozen=True)
class Release:
    """Which figures of one school year's surveys are hidden, and why, for every framework at once:
    ``reasons[survey][(section key "framework:section", subgroup or None)]`` (hidden cells only); and, for the
    ledger, what each survey's publication tells an outsider (``published``: its cells as printed,
    ``totals``: its "Responses" line) and its ``members`` (:mod:`.changes`)."""

    threshold: int
    reasons: dict[str, dict[CellKey, str]]
    published: dict[str, tuple[PublishedCell, ...]] = field(default_factory=dict)
    totals: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    members: dict[str, dict[str, int]] = field(default_factory=dict)
    #: validated measures: ``measures[survey][(family "instrument.score|informant", subgroup or None)]``
    measures: dict[str, dict[tuple[str, str | None], str]] = field(default_factory=dict)

    def measure_reasons(self) -> dict[tuple[str, str, str | None], str]:
        """Why each hidden measure cell is hidden, by (survey, family, subgroup)."""
        return {(s, k, g): r for s, v in self.measures.items() for (k, g), r in v.items()}

    def reason(self, survey: str, framework: str, section: str, subgroup: str | None) -> str:
        """Why one cell is hidden (:data:`PRIMARY`, :data:`COMPLEMENTARY`, :data:`WITHHELD`, :data:`CHANGE`),
        '' when shown."""
        return self.reasons.get(survey, {}).get((f"{framework}:{section}", subgroup), "")

    def publication(self, survey: str) -> SurveyPublication:
        """This release's publication of one survey, as a later release reads it."""
        return SurveyPublication(self.members.get(survey, {}), self.published.get(survey, ()), self.totals.get(survey))

    def to_json(self) -> dict:
        """A JSON-ready form (the ledger's)."""
        return {
            "threshold": self.threshold,
            "reasons": {
                s: sorted(([k, g, r] for (k, g), r in v.items()), key=lambda x: (x[0], x[1] or ""))
                for s, v in sorted(self.reasons.items())
            },
            "published": {s: [_cell_json(c) for c in v] for s, v in sorted(self.published.items())},
            "totals": {s: list(v) if v is not None else None for s, v in sorted(self.totals.items())},
            "members": {s: dict(sorted(v.items())) for s, v in sorted(self.members.items())},
            "measures": {
                s: sorted(([k, g, r] for (k, g), r in v.items()), key=lambda x: (x[0], x[1] or ""))
                for s, v in sorted(self.measures.items())
            },
        }

    @classmethod
    def from_json(cls, doc: dict) -> Release:
        return cls(
            int(doc["threshold"]),
            {s: {(k, g): r for k, g, r in v} for s, v in doc["reasons"].items()},
            {s: tuple(_cell_of(c) for c in v) for s, v in doc["published"].items()},
            {s: tuple(v) if v is not None else None for s, v in doc["totals"].items()},
            {s: {k: int(w) for k, w in v.items()} for s, v in doc["members"].items()},
            {s: {(k, g): r for k, g, r in v} for s, v in doc.get("measures", {}).items()},
        )

    @property
    def release_id(self) -> str:
        """A digest of everything the release publishes and is made of."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:24]


def _cell_json(c: PublishedCell) -> list:
    return [
        c.section,
        c.subgroup,
        c.hidden,
        c.n,
        c.answers,
        list(c.share) if c.share else None,
        list(c.mean) if c.mean else None,
    ]


def _cell_of(v: list) -> PublishedCell:
    section, subgroup, hidden, n, answers, share, mean = v
    return PublishedCell(
        section, subgroup, hidden, n, answers, tuple(share) if share else None, tuple(mean) if mean else None
    )


def fingerprint(data: SurveyData) -> str:
    """A digest of a school year's answers, tallies and measure scores (what a release is a function of)."""
    import hashlib

    h = hashlib.sha256()
    for survey_id in sorted(data.blocks):
        block = data.blocks[survey_id]
        h.update(f"{survey_id}\n{list(block.item_ids)}\n{list(map(str, block.subgroups))}\n".encode())
        h.update(np.ascontiguousarray(block.values).tobytes())
    h.update(data.tally_rows().to_csv(index=False).encode())
    h.update(repr(data.tally_imports).encode())
    h.update(data.score_rows().to_csv(index=False).encode())  # measure scores are published too
    return h.hexdigest()


def release_frameworks(framework: Framework | None = None) -> list[Framework]:
    """The frameworks a release covers: every bundled one, ``framework`` in place of the bundled one of its id,
    in one order whichever asks."""
    frameworks = [load_framework(f) for f in available_frameworks()]
    if framework is not None:
        frameworks = [fw for fw in frameworks if fw.id != framework.id] + [framework]
    return sorted(frameworks, key=lambda fw: fw.id)


def _bundled(framework: Framework) -> bool:
    """Whether ``framework`` is a bundled framework as shipped (a view of the bundled release)."""
    from pathlib import Path

    if framework.id not in available_frameworks():
        return False
    return Path(load_framework(framework.id).path).resolve() == Path(framework.path).resolve()


def release_key(
    data: SurveyData,
    threshold: int,
    respondents: dict[str, int],
    framework: Framework | None = None,
    mapping: SurveyMapping | None = None,
) -> str:
    """What a release is a function of, besides earlier releases, as one digest: the data, the threshold,
    the published respondents and the frameworks (with a custom one's mapping). Every bundled framework's
    view of a school year has the same key: they are views of one release."""
    import hashlib

    custom = framework is not None and not _bundled(framework)
    parts = (
        fingerprint(data),
        threshold,
        tuple(sorted(respondents.items())),
        tuple((fw.id, fw.path) for fw in release_frameworks(framework if custom else None)),
        tuple(sorted((k, tuple(sorted(v.items()))) for k, v in mapping.surveys.items()))
        if custom and mapping is not None
        else (),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _measures(
    data: SurveyData,
    bank: QuestionBank,
    threshold: int,
    reasons: dict[str, dict[CellKey, str]],
    published: dict[str, tuple[PublishedCell, ...]],
    changed: frozenset[str] = frozenset(),
) -> dict[str, dict]:
    """Every survey's validated measures, decided with the survey's own cells (:mod:`.measures`): a subgroup
    the survey hides is hidden in every family. The measures of a survey in ``changed`` (a small change
    since an earlier publication: :func:`~.changes.small_change`) are hidden whole, as a change."""
    scores = data.score_rows()
    out: dict[str, dict] = {}
    if not len(scores):
        return out
    for survey_id in sorted(set(scores["survey"].astype(str))):
        survey = bank.surveys.get(survey_id)
        if survey is None:
            continue
        families = measure_families(scores, survey_id, tuple(survey.subgroup.values) if survey.subgroup else None)
        if not families:
            continue
        own = reasons.get(survey_id, {})
        said = set(own.values())
        withheld_reason = next(iter(said)) if said and said <= {WITHHELD, CHANGE} else ""
        if not withheld_reason and survey_id in changed:
            withheld_reason = CHANGE
        # the subgroups the survey hides as subgroups: hidden in a section whose whole is shown (a section
        # hidden whole hides its parts with it, which says nothing of one subgroup)
        cells = published.get(survey_id, ())
        open_sections = {c.section for c in cells if c.subgroup is None and not c.hidden}
        hidden_groups = frozenset(
            c.subgroup
            for c in cells
            if c.subgroup is not None and c.section in open_sections and c.hidden in (TOO_FEW, PROTECTS)
        )
        out[survey_id] = protect_measures(families, threshold, hidden_groups, withheld_reason)
    return out


_RELEASES: dict[tuple, Release] = {}
#: releases kept in memory (a report asks for its school year's several times: one per framework view)
RELEASES_KEPT = 64


def release_of(
    data: SurveyData,
    bank: QuestionBank,
    threshold: int,
    respondents: dict[str, int],
    framework: Framework | None = None,
    mapping: SurveyMapping | None = None,
    earlier: list[Release] | None = None,
) -> Release:
    """The release of one school year: every bundled framework's sections (and ``framework`` with its
    ``mapping``, when given, in place of the bundled one of its id) protected jointly, survey by survey,
    and with every ``earlier`` release of the school year (:func:`~.changes.protect_release`);
    ``respondents`` is each survey's published number of respondents. When a survey cannot be cleared
    (:data:`WITHHELD`), every survey of the school year is withheld with it.

    Kept in memory by what it is a function of (:func:`release_key` and the earlier releases), so each
    framework's view of the same school year reads one release."""
    frameworks = release_frameworks(framework)
    mappings: dict[str, SurveyMapping] = {framework.id: mapping} if framework is not None and mapping else {}
    earlier = earlier or []
    key = (release_key(data, threshold, respondents, framework, mapping), tuple(r.release_id for r in earlier))
    found = _RELEASES.get(key)
    if found is not None:
        return found
    reasons, published, totals, members = {}, {}, {}, {}
    changed: set[str] = set()
    counted: dict[str, dict[CellKey, Counts]] = {}  # the surveys anyone answered
    for survey_id, layout in survey_layouts(bank, frameworks, data, mappings).items():
        history = [r.publication(survey_id) for r in earlier if survey_id in r.published]
        total = respondents.get(survey_id)
        cells = true_cells(data, layout)
        reasons[survey_id], members[survey_id] = protect_release(layout, data, threshold, total, history, cells)
        if history and small_change(data, survey_id, history, threshold):
            changed.add(survey_id)
        published[survey_id] = tuple(_published(cells, reasons[survey_id]))
        totals[survey_id] = responses_line(total, threshold)
        if any(c.n for c in cells.values()):
            counted[survey_id] = cells
    if any(v and set(v.values()) == {WITHHELD} for v in reasons.values()):
        # a release that cannot be cleared publishes no survey figure of the school year: every other survey
        # is withheld with it (the same staff answer the staff survey and the staff audit, and a survey's
        # groups are the school's groups in another); a survey withheld for a change keeps its reason
        for survey_id, cells in counted.items():
            if not reasons[survey_id] or not set(reasons[survey_id].values()) <= {WITHHELD, CHANGE}:
                reasons[survey_id] = withheld(cells, threshold)
                published[survey_id] = tuple(_published(cells, reasons[survey_id]))
    release = Release(
        threshold,
        reasons,
        published,
        totals,
        members,
        _measures(data, bank, threshold, reasons, published, frozenset(changed)),
    )
    while len(_RELEASES) >= RELEASES_KEPT:
        del _RELEASES[next(iter(_RELEASES))]
    _RELEASES[key] = release
    return release


__all__ = [
    "CHANGE",
    "Release",
    "responses_line",
    "fingerprint",
    "release_frameworks",
    "release_key",
    "release_of",
    "withheld",
    "COMPLEMENTARY",
    "CellKey",
    "Counts",
    "MEAN_DECIMALS",
    "NO_RESPONSES",
    "PRIMARY",
    "SHARE_DECIMALS",
    "WITHHELD",
    "protect_jointly",
    "survey_layouts",
    "true_cells",
]
