"""A school year published more than once: its respondents as *atoms*, and a new release audited with every
earlier one.

:func:`member_keys` gives each survey's respondents *member* keys (a respondent by its subgroup and answers,
a tally batch by its rows); a publication records its members in the ledger (:mod:`.ledger`;
:class:`SurveyPublication`), and members that appear in the same publications form one *atom*, whose answers
are unknowns of the outsider's joint model (:func:`~wqm_nb.disclosure.tables.joint_model`).

:func:`protect_release` protects a survey's new release with that model: the new release's hidden cells,
every earlier release's hidden cells and a change by fewer than the threshold's respondents must stay open.
A hidden cell worked out is covered as in a first publication
(:func:`~wqm_nb.disclosure.protect.protect_jointly`); a change worked out (:class:`ChangeDisclosed`)
withholds the survey with the reason :data:`~wqm_nb.disclosure.protect.CHANGE`. :func:`subset` is a
survey's data restricted to some members.

Method: docs/privacy.md, "A school year published again".
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..store.surveys import SurveyBlock, SurveyData
from .audit import audit
from .protect import CHANGE, Counts, _published, protect_jointly, responses_line, true_cells, withheld
from .tables import PROTECTS, TOO_FEW, UNSAID, Publication, PublishedCell, SurveyLayout, cell_name, joint_model


@dataclass(frozen=True)
class SurveyPublication:
    """One earlier publication of a survey, as the ledger keeps it: its members (key -> respondents: 1 for a
    respondent, the forms of a tally batch), its cells as printed and its "Responses" line."""

    members: dict[str, int]
    cells: tuple[PublishedCell, ...]
    total_respondents: tuple[float, float] | None = None


def _rows_mask(data: SurveyData, survey: str) -> np.ndarray:
    tallies = data.tally_rows()
    return (tallies["survey"] == survey).to_numpy() if len(tallies) else np.zeros(0, dtype=bool)


def member_keys(data: SurveyData, survey: str) -> tuple[list[str], dict[int, str], dict[str, int]]:
    """A survey's members: the key of each respondent row of its block (its subgroup, answers and measure
    scores), the key of each tally import, and every member's weight (respondents it stands for)."""
    rows: list[str] = []
    weights: dict[str, int] = {}
    block = data.blocks.get(survey)
    if block is not None:
        # a respondent's measure scores are part of what they answered: a corrected score is a change
        scores = data.score_rows()
        scores = scores[scores["survey"] == survey] if len(scores) else scores
        scored: dict[str, str] = {}
        for respondent, own in scores.groupby("respondent", sort=False) if len(scores) else ():
            scored[str(respondent)] = repr(
                sorted(
                    zip(own["instrument"], own["informant"], own["score_id"], own["value"].astype(float), strict=True)
                )
            )
        seen: Counter = Counter()
        for respondent, g, values in zip(block.respondents, block.subgroups, block.values, strict=False):
            text = f"{survey}|{g}|{scored.get(str(respondent), '')}|"
            content = hashlib.sha256(text.encode() + np.ascontiguousarray(values).tobytes()).hexdigest()
            seen[content] += 1
            key = f"r:{content[:20]}:{seen[content]}"
            rows.append(key)
            weights[key] = 1
    batches: dict[int, str] = {}
    if data.tally_imports is not None:
        tallies, mask = data.tally_rows(), _rows_mask(data, survey)
        sources = np.asarray(data.tally_imports)
        seen = Counter()
        for source in sorted(set(sources[mask].tolist())):
            own = tallies[mask & (sources == source)].sort_values(["subgroup", "item_id", "value"])
            hashed = hashlib.sha256(own[["subgroup", "item_id", "value", "count"]].to_csv(index=False).encode())
            digest = hashed.hexdigest()
            seen[digest] += 1
            key = f"t:{digest[:20]}:{seen[digest]}"
            batches[int(source)] = key
            forms = own.groupby(["subgroup", "item_id"])["count"].sum().groupby(level=0).max().sum()
            weights[key] = int(forms)
    return rows, batches, weights


def subset(
    data: SurveyData, survey: str, keep: set[str], keys: tuple[list[str], dict[int, str], dict[str, int]] | None = None
) -> SurveyData:
    """The part of one survey's data whose members are in ``keep`` (``keys``: its :func:`member_keys`, when
    already worked out)."""
    rows, batches, _ = keys or member_keys(data, survey)
    blocks = {}
    block = data.blocks.get(survey)
    if block is not None:
        chosen = np.array([k in keep for k in rows], dtype=bool)
        blocks[survey] = SurveyBlock(
            survey, block.item_ids, block.respondents[chosen], block.subgroups[chosen], block.values[chosen]
        )
    tallies, tally_imports = None, None
    if data.tally_imports is not None:
        sources = np.asarray(data.tally_imports)
        wanted = {source for source, key in batches.items() if key in keep}
        mask = _rows_mask(data, survey) & np.isin(sources, list(wanted))
        tallies = data.tally_rows()[mask].reset_index(drop=True)
        tally_imports = tuple(sources[mask].tolist())
    return SurveyData(blocks=blocks, tallies=tallies, tally_imports=tally_imports)


def small_change(data: SurveyData, survey: str, history: list[SurveyPublication], threshold: int) -> bool:
    """Whether fewer than ``threshold`` respondents (one or more) joined or left ``survey`` since any earlier
    publication, or changed what they answered (their measure scores included). The survey's cells are audited
    with that change (:func:`protect_release`); its validated measures, which are not, are hidden with it."""
    _, _, weights = member_keys(data, survey)
    for h in history:
        for diff in (set(weights) - set(h.members), set(h.members) - set(weights)):
            weight = sum(weights.get(k, h.members.get(k, 0)) for k in diff)
            if 0 < weight < threshold:
                return True
    return False


class ChangeDisclosed(Exception):
    """The change since an earlier publication would be worked out: the survey is withheld."""


def protect_release(
    layout: SurveyLayout,
    data: SurveyData,
    threshold: int,
    total_respondents: int | None,
    history: list[SurveyPublication],
    cells: dict | None = None,
) -> tuple[dict, dict[str, int]]:
    """Which cells of one survey's new release are hidden, and why, audited with every earlier publication
    of the school year (see the module notes); and the release's members. Without earlier publications, the
    same as :func:`~wqm_nb.disclosure.protect.protect_jointly`. ``cells``: the survey's
    :func:`~wqm_nb.disclosure.protect.true_cells`, when already counted."""
    cells = cells if cells is not None else true_cells(data, layout)
    keys = member_keys(data, layout.survey)
    rows, batches, weights = keys
    if not history:
        return protect_jointly(layout, cells, threshold, total_respondents), weights
    current = set(rows) | set(batches.values())
    pattern: dict[str, str] = {}
    for key in current | {k for h in history for k in h.members}:
        pattern[key] = ("1" if key in current else "0") + "".join("1" if key in h.members else "0" for h in history)
    now = frozenset(pattern[k] for k in current)
    before = [frozenset(pattern[k] for k in h.members) for h in history]
    everyone = {**{k: w for h in history for k, w in h.members.items()}, **weights}

    # the true counts of each current atom's cells: hints for the audit (any cell summed over current atoms)
    truth = {
        atom: true_cells(subset(data, layout.survey, {k for k in current if pattern[k] == atom}, keys), layout)
        for atom in now
    }

    def truth_of(atoms: frozenset[str], section: str, subgroup: str | None) -> dict[str, float] | None:
        if not atoms <= now:
            return None
        parts = [truth[a][(section, subgroup)] for a in atoms]
        return Counts(*(sum(getattr(p, f) for p in parts) for f in ("n", "answers", "agree", "total"))).quantities()

    def weight(atoms: frozenset[str]) -> int:
        return sum(w for k, w in everyone.items() if pattern[k] in atoms)

    line = responses_line(total_respondents, threshold)
    changes = []  # small changes since an earlier publication: (name, atoms)
    for j, atoms in enumerate(before):
        for what, diff in (("added", now - atoms), ("removed", atoms - now)):
            if diff and 0 < weight(diff) < threshold:
                changes.append((f"{what} since publication {j + 1}", diff))
    shown_before = [{(c.section, c.subgroup) for c in h.cells if not c.hidden} for h in history]

    def auditor(reasons: dict) -> list:
        published = _published(cells, reasons)
        pubs = [Publication(atoms, h.cells, h.total_respondents) for atoms, h in zip(before, history, strict=False)]
        pubs.append(Publication(now, tuple(published), line))
        joint = joint_model(layout, pubs, threshold)
        sensitive, names, known, seen = {}, {}, {}, set()

        def add(name: str, atoms: frozenset[str], section: str, subgroup: str | None) -> None:
            if (atoms, section, subgroup) in seen:  # the same cell of the same people: audited once
                return
            seen.add((atoms, section, subgroup))
            sensitive[name] = joint.cell(atoms, section, subgroup)
            names[name] = (section, subgroup)
            hint = truth_of(atoms, section, subgroup)
            if hint is not None:
                known[name] = hint

        for what, diff in changes:  # a change first: it withholds the survey at once
            for key in layout.sections:
                add(f"change {what} {key}", diff, key, None)
        for c in published:
            if c.hidden in (TOO_FEW, PROTECTS) and not any(
                atoms == now and (c.section, c.subgroup) in shown
                for atoms, shown in zip(before, shown_before, strict=False)
            ):
                add(cell_name("now", c.section, c.subgroup), now, c.section, c.subgroup)
        for j, (atoms, h) in enumerate(zip(before, history, strict=False)):
            for c in h.cells:
                hint = truth_of(atoms, c.section, c.subgroup)
                # a withheld survey's cell is audited too, unless it is known to be empty (worked out as 0,
                # it tells nothing of anyone)
                if c.hidden in (TOO_FEW, PROTECTS) or (c.hidden == UNSAID and (hint is None or hint["respondents"])):
                    add(cell_name(f"earlier{j}", c.section, c.subgroup), atoms, c.section, c.subgroup)
        for finding in audit(joint.model, sensitive, first=True, known=known):
            if finding.disclosed:
                if finding.cell.startswith("change "):
                    raise ChangeDisclosed(finding.cell)
                return [names[finding.cell]]
        return []

    # what earlier publications of some of the same people hid stays hidden from the start
    hid = [
        c
        for atoms, h in zip(before, history, strict=False)
        if atoms & now
        for c in h.cells
        if c.hidden in (TOO_FEW, PROTECTS)
    ]
    start_groups = frozenset(c.subgroup for c in hid if c.subgroup is not None)
    start_sections = frozenset(c.section for c in hid if c.subgroup is None)
    try:
        return protect_jointly(
            layout,
            cells,
            threshold,
            total_respondents,
            auditor=auditor,
            start_groups=start_groups,
            start_sections=start_sections,
        ), weights
    except ChangeDisclosed:
        return withheld(cells, threshold, CHANGE), weights


__all__ = ["ChangeDisclosed", "SurveyPublication", "member_keys", "protect_release", "small_change", "subset"]
