"""The group (trust) roll-up: every school of a group side by side for one year.

The roll-up is built from :class:`SchoolSummary` records, one per school
(:func:`summarise`; :func:`missing_summary` for a school that has none), so
it never goes back to the raw data: a batch summarises each school as its
report is made, keeps the summaries in a file (:func:`save_summaries`, JSON
readable by its owner only: the summaries hold true counts,
:class:`GroupCount`, kept for the trust totals' protection alone) and builds
the roll-up from them (:func:`rollup_summaries`; :func:`rollup_group`
assesses every school of a group's settings). Survey numbers in a summary
come from that school's published figures, so a suppressed cell stays
missing in the roll-up too, with the reason the school's figures give.

A :class:`GroupRollup` holds, with the thresholds of the framework's
``decisions:`` block (:mod:`wqm_nb.data.decision_rules`): the award pipeline
(:attr:`~GroupRollup.pipeline`, by :func:`wqm_nb.model.awards.held_level` and
:class:`~wqm_nb.model.awards.Readiness`); the heatmaps
(:meth:`~GroupRollup.agreement`, :meth:`~GroupRollup.agreement_notes`); each
section's strength in each school (:attr:`~GroupRollup.strength`, 0 to 1);
peer support (:attr:`~GroupRollup.peer_matches`); similar schools
(:attr:`~GroupRollup.similar_schools`, :attr:`~GroupRollup.similar`); the
governance early warning (:attr:`~GroupRollup.governance`); the wellbeing
measures (:meth:`~GroupRollup.measure_means`); and the trust totals
(:attr:`~GroupRollup.trust_totals`), protected through
:func:`~wqm_nb.disclosure.families.protect` (hidden with
:data:`PROTECTS_SCHOOL` rather than hide a shown school), audited jointly
with every member school's release under every framework at once
(:attr:`~GroupRollup.trust_audit`, :mod:`wqm_nb.disclosure.trust`) and,
against the overviews published before (:func:`published_overview`),
:mod:`wqm_nb.disclosure.overviews`.

Method: docs/methodology.md, "The trust"; the trust totals' protection: docs/privacy.md, "Trust totals give
no school away".
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from statistics import median

import pandas as pd

from ..data import Framework, QuestionBank, load_framework, load_question_bank
from ..data.benchmark_file import MEASURE_MEAN_RATING, SELF_EVALUATION
from ..data.frameworks import HeldRequirement, Scale
from ..disclosure.families import COMPLEMENTARY, PRIMARY
from ..disclosure.overviews import OverviewRecord, discloses_by_difference, protect_total, school_digest
from ..disclosure.release import SHARE_DECIMALS
from ..disclosure.threshold import resolve_threshold
from ..errors import SettingsError, UnknownYearError
from ..settings import GroupSettings, ReportSettings
from ..store import Store
from .assessment import SchoolAssessment, assess_store
from .awards import held_level
from .figures import PROTECTS_CHANGE, too_few

#: why a trust total is hidden when showing it would let a school's hidden figure be worked out
PROTECTS_SCHOOL = "not shown, so that a school's hidden figure cannot be worked out"
#: a trust total hidden because, with an earlier overview, a changed school's hidden figure would be its difference
CHANGED = "changed"
#: a school's survey the school year's release withholds whole (it cannot be cleared, or a change since the
#: last publication would be worked out): it publishes nothing, and is left out of the trust totals, which
#: would otherwise be its figure plus the others'
WITHHELD_FROM_TOTALS = "withheld"
#: how a trust total is weighted: by pupils on roll, or (a school's own figure hidden) all the group's answers
WEIGHT_PUPILS = "pupils on roll"
WEIGHT_ANSWERS = "all answers"
#: a section a survey does not ask about
NOT_ASKED = "not asked"


@dataclass(frozen=True)
class GroupCount:
    """One school's whole-group counts for one survey x section: the input of the trust total.

    These are the true counts, also of a group the school's published figures
    hide (``hidden`` says how they hid it: ``primary``, ``complementary`` or
    ''). The trust total adds them up and :func:`protect_total` decides
    whether it may be shown; nothing ever displays them."""

    n: int
    answers: int
    agree: int
    items: int
    hidden: str = ""


@dataclass(frozen=True)
class Candidate:
    """A trust total before the joint audit: its member schools with their counts, why the per-family rule
    or the ledger hides it ('' when neither does), its value and weighting."""

    members: list[tuple[SchoolSummary, GroupCount]]
    hidden: str
    value: float
    weighting: str


@dataclass(frozen=True)
class SchoolSummary:
    """What the roll-up needs of one school's assessment (small and picklable)."""

    school_id: str
    name: str
    phase: str
    trust: str
    year: str
    has_data: bool
    sef_means: dict[str, float] = field(default_factory=dict)  # section -> mean rating
    agreement: dict[str, dict[str, float]] = field(default_factory=dict)  # survey -> section -> share
    # (stakeholder agreement only: the staff audit, a rating, is not rolled up)
    level_met: str = ""
    next_level: str = ""
    progress: str = ""
    #: pupils on roll (``schools.pupils``); None when not recorded
    pupils: int | None = None
    #: survey -> section -> published respondents (shown groups only)
    agreement_n: dict[str, dict[str, int]] = field(default_factory=dict)
    #: survey -> section -> why the group is not shown (its published reason, e.g. "fewer than 5 responses")
    hidden: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the school's previous year in the store ('' when none) and its figures, for the early warning
    previous_year: str = ""
    previous_sef_means: dict[str, float] = field(default_factory=dict)
    previous_agreement: dict[str, dict[str, float]] = field(default_factory=dict)
    previous_agreement_n: dict[str, dict[str, int]] = field(default_factory=dict)
    #: level ids whose award rules are met this year, in framework order
    levels_met: tuple[str, ...] = ()
    #: level id -> academic year the school has held it since (recorded award decisions)
    held: dict[str, str] = field(default_factory=dict)
    #: survey -> section -> true counts for the trust total (see :class:`GroupCount`)
    counts: dict[str, dict[str, GroupCount]] = field(default_factory=dict)
    #: the published whole-group mean rows of the validated measures this year (:data:`MEASURE_FIELDS`)
    measures: tuple[dict, ...] = ()
    #: survey -> the school's publication of it as an outsider reads it, every framework's sections, with the
    #: true counts of its hidden cells (:class:`~wqm_nb.disclosure.trust.SchoolPublication` as JSON): what
    #: the trust totals are audited with
    publications: dict[str, dict] = field(default_factory=dict)


#: What a :class:`SchoolSummary` keeps of each whole-group measure mean of its published figures.
MEASURE_FIELDS = (
    "survey",
    "survey_name",
    "instrument",
    "informant",
    "score",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "suppressed",
    "reason",
)


def _measures(figures) -> tuple[dict, ...]:
    """The whole-group mean rows of the validated measures in published figures (hidden ones with their
    reason and no number)."""
    rows = figures.measure_means(subgroups=False)
    out = []
    for r in rows.to_dict("records"):
        record = {k: r[k] for k in MEASURE_FIELDS}
        record["n"] = None if pd.isna(record["n"]) else int(record["n"])
        record["suppressed"] = bool(record["suppressed"])
        for k in ("mean", "ci_low", "ci_high"):
            record[k] = math.nan if pd.isna(record[k]) else float(record[k])
        out.append(record)
    return tuple(out)


def _published(figures) -> tuple[dict, dict, dict]:
    """Shares, respondents and hidden reasons of the whole-group agreement rows of published figures."""
    shares: dict[str, dict[str, float]] = {}
    sizes: dict[str, dict[str, int]] = {}
    hidden: dict[str, dict[str, str]] = {}
    for r in figures.whole.itertuples():
        shares.setdefault(r.survey, {})[r.section_id] = float(r.agree_share) if not r.suppressed else math.nan
        if r.suppressed:
            hidden.setdefault(r.survey, {})[r.section_id] = r.reason
        else:
            sizes.setdefault(r.survey, {})[r.section_id] = int(r.n)
    return shares, sizes, hidden


def _kind_of(cell_hidden: str) -> str:
    """How a school hid a whole group, as a trust total's part (:attr:`GroupCount.hidden`), from its published
    cell's reason ('' when shown)."""
    from ..disclosure.tables import PROTECTS, TOO_FEW, UNSAID

    return {TOO_FEW: PRIMARY, PROTECTS: COMPLEMENTARY, UNSAID: WITHHELD_FROM_TOTALS}.get(cell_hidden, "")


def _counts_and_publications(
    assessment: SchoolAssessment, store: Store
) -> tuple[dict[str, dict[str, GroupCount]], dict[str, dict]]:
    """What the trust totals need of the school this year, from one count of its answers: the true
    whole-group counts of each agreement survey's sections under the overview's framework (hidden groups
    too, with how the school hid them: :class:`GroupCount`), and each agreement survey's publication under
    every framework at once, with the true counts of its hidden cells
    (:func:`~wqm_nb.disclosure.trust.school_publications`, as JSON), for the joint audit."""
    from ..data.surveys import MEASURE_AGREEMENT
    from ..disclosure.ledger import Ledger, published_release
    from ..disclosure.release import release_frameworks, survey_layouts
    from ..disclosure.trust import school_publications
    from .figures import survey_totals

    current, fw, bank = assessment.current, assessment.framework, assessment.bank
    data = store.survey_data(current.school_year_id, bank)
    release, _ = published_release(
        Ledger.of(store),
        assessment.school["school_id"],
        current.year,
        data,
        bank,
        current.figures.min_group_size,
        survey_totals(data, bank),
        fw,
        assessment.mapping,
    )
    layouts = survey_layouts(bank, release_frameworks(fw), data, {fw.id: assessment.mapping})
    agreement = {k: v for k, v in layouts.items() if bank.surveys[k].measure == MEASURE_AGREEMENT}
    publications = school_publications(release, data, agreement)
    counts: dict[str, dict[str, GroupCount]] = {}
    for survey_id, pub in publications.items():
        wholes = {c.section: c for c in pub.cells if c.subgroup is None}
        for section_id in fw.principle_ids:
            key = f"{fw.id}:{section_id}"
            if key not in pub.wholes or not pub.wholes[key][0]:
                continue
            n, answers, agree = pub.wholes[key]
            items = len(agreement[survey_id].sections[key])
            counts.setdefault(survey_id, {})[section_id] = GroupCount(
                n=n, answers=answers, agree=agree, items=items, hidden=_kind_of(wholes[key].hidden)
            )
    return counts, {k: p.to_json() for k, p in publications.items()}


def summarise(assessment: SchoolAssessment, store: Store | None = None) -> SchoolSummary:
    """The roll-up's view of one school. With the ``store`` the assessment was read from, the summary
    also carries the true counts the trust totals need (:class:`GroupCount`); without it the trust
    totals leave the school out."""
    fw, current = assessment.framework, assessment.current
    agreement, agreement_n, hidden = _published(current.figures)
    rd = assessment.readiness
    held: dict[str, str] = {}
    levels_met: tuple[str, ...] = ()
    if rd is not None:
        nxt = rd.next_level
        level_met = rd.achieved.name if rd.achieved else "not yet"
        next_level = nxt.name if nxt else "-"
        progress = f"{int(rd.table[nxt.name].sum())}/{len(fw.principles)} for {nxt.name}" if nxt else "all met"
        levels_met = tuple(lv.id for lv in fw.levels if rd.met.get(lv.id))
        for lv in fw.levels:
            holding = held_level(assessment.award_decisions, HeldRequirement(level=lv.id), current.year, fw)
            if holding.held:
                held[lv.id] = holding.since or ""
    else:
        top = current.elements["rating"] == fw.scale.max
        level_met, next_level = "", ""
        progress = f"{int(top.sum())}/{len(current.elements)} {fw.scale.levels[-1].label.lower()}"
    previous = assessment.history[-2] if len(assessment.history) > 1 else None
    prev_agreement, prev_n, _ = _published(previous.figures) if previous is not None else ({}, {}, {})
    counts, publications = _counts_and_publications(assessment, store) if store is not None else ({}, {})
    s = assessment.school
    pupils = s.get("pupils")
    return SchoolSummary(
        school_id=s["school_id"],
        name=s["name"],
        phase=s["phase"],
        trust=s["trust"],
        year=current.year,
        has_data=True,
        sef_means=dict(zip(current.principles["principle_id"], current.principles["mean_rating"], strict=False)),
        agreement=agreement,
        level_met=level_met,
        next_level=next_level,
        progress=progress,
        pupils=int(pupils) if pupils is not None and not pd.isna(pupils) else None,
        agreement_n=agreement_n,
        hidden=hidden,
        previous_year=previous.year if previous is not None else "",
        previous_sef_means=dict(
            zip(previous.principles["principle_id"], previous.principles["mean_rating"], strict=False)
        )
        if previous is not None
        else {},
        previous_agreement=prev_agreement,
        previous_agreement_n=prev_n,
        levels_met=levels_met,
        held=held,
        counts=counts,
        measures=_measures(current.figures),
        publications=publications,
    )


def missing_summary(school: dict, year: str, why: str = "") -> SchoolSummary:
    """A school with no data for the roll-up's year (``why`` says otherwise, e.g. "report failed")."""
    pupils = school.get("pupils")
    return SchoolSummary(
        school_id=school["school_id"],
        name=school["name"],
        phase=school["phase"],
        trust=school["trust"],
        year=year,
        has_data=False,
        progress=why or f"no data for {year}",
        pupils=int(pupils) if pupils is not None and not pd.isna(pupils) else None,
    )


#: The first line of a summaries file, checked when it is read back.
SUMMARIES_FORMAT = "wqm-school-summaries/1"


def summaries_to_json(summaries: list[SchoolSummary], overviews: tuple | None = None) -> str:
    """Summaries as the JSON text of a summaries file (they hold true counts: keep the text private). A batch
    adds the ``overviews`` of the trust's year it read from the publication ledger (and recorded its own
    overview in), so an overview made where the ledger cannot be reached is audited with them."""
    doc: dict = {"format": SUMMARIES_FORMAT, "summaries": [asdict(s) for s in summaries]}
    if overviews is not None:
        doc["overviews"] = [o.to_json() for o in overviews]
    return json.dumps(doc)


def _summaries_doc(text: str | bytes, origin: str) -> tuple[list[SchoolSummary], tuple | None]:
    """The summaries of :func:`summaries_to_json` text, and the earlier overviews a batch put beside them
    (None when it put none); anything else is a :class:`SettingsError` naming ``origin``."""
    try:
        content = json.loads(text)
        if content.get("format") != SUMMARIES_FORMAT:
            raise ValueError(f"format {content.get('format')!r}, expected {SUMMARIES_FORMAT!r}")
        overviews = tuple(OverviewRecord.from_json(o) for o in content["overviews"]) if "overviews" in content else None
        return [_summary_from_dict(d) for d in content["summaries"]], overviews
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SettingsError(f"{origin}: not a summaries file ({exc})") from None


def summaries_from_json(text: str | bytes, origin: str = "summaries") -> list[SchoolSummary]:
    """Summaries back from :func:`summaries_to_json` text; anything else is a :class:`SettingsError` naming
    ``origin``."""
    return _summaries_doc(text, origin)[0]


def save_summaries(path: str | Path, summaries: list[SchoolSummary]) -> Path:
    """Write summaries to ``path``, readable and writable by the owner only (they hold the true counts of
    hidden groups, which nothing may show)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(summaries_to_json(summaries))
    return path


def read_summaries(path: str | Path) -> tuple[list[SchoolSummary], tuple | None]:
    """Read a file :func:`save_summaries` (or a batch) wrote, once: its summaries and the earlier overviews a
    batch put in it (None when none); a missing or foreign file is a :class:`SettingsError`."""
    path = Path(path)
    if not path.is_file():
        raise SettingsError(
            f"no summaries file at {path} (a batch deletes its file once the overview is made): "
            f'set summaries = "" to assess every school from the data'
        )
    return _summaries_doc(path.read_bytes(), str(path))


def load_summaries(path: str | Path) -> list[SchoolSummary]:
    """The summaries of a file :func:`save_summaries` wrote (:func:`read_summaries`)."""
    return read_summaries(path)[0]


def _summary_from_dict(d: dict) -> SchoolSummary:
    d = dict(d)
    d["counts"] = {
        survey: {section: GroupCount(**c) for section, c in sections.items()}
        for survey, sections in d.get("counts", {}).items()
    }
    d["levels_met"] = tuple(d.get("levels_met", ()))
    d["measures"] = tuple(d.get("measures", ()))
    return SchoolSummary(**d)


def rollup_summaries(
    settings: GroupSettings,
    summaries: list[SchoolSummary],
    framework: Framework | None = None,
    overviews: tuple | None = None,
) -> GroupRollup:
    """The roll-up of summaries made school by school, in the settings' year (empty: the latest year
    any summary has data for). A summary of another year stands for "no data" in this one. Audited with
    ``overviews`` (the earlier overviews a batch read and recorded this one with) when given, else with
    the ledger of the settings' data, where it is recorded (:func:`published_overview`)."""
    year = settings.year or max((s.year for s in summaries if s.has_data), default="")
    aligned = [
        s
        if s.year == year or not s.has_data
        else missing_summary(
            {"school_id": s.school_id, "name": s.name, "phase": s.phase, "trust": s.trust, "pupils": s.pupils}, year
        )
        for s in summaries
    ]
    rollup = build_rollup(settings.replace(year=year), aligned, framework)
    if overviews is not None:
        from dataclasses import replace

        return replace(rollup, earlier_overviews=overviews)
    return published_overview(rollup)


def position(value: float | None, scale: Scale) -> float:
    """A rating's place on its scale from 0 (lowest) to 1 (highest); NaN stays NaN."""
    if value is None or pd.isna(value):
        return math.nan
    return (float(value) - scale.min) / (scale.max - scale.min)


@dataclass(frozen=True)
class GroupRollup:
    """Schools of a group in one year: maturity, agreement and award status side by side."""

    settings: GroupSettings
    trust: str
    year: str
    framework: Framework
    bank: QuestionBank
    summaries: tuple[SchoolSummary, ...]
    #: the overviews of the trust's year published before this one (:mod:`wqm_nb.disclosure.overviews`)
    earlier_overviews: tuple = ()

    @property
    def labels(self) -> dict[str, str]:
        """School id -> row label: the name, with the id added where two schools share a name."""
        names = [s.name for s in self.summaries]
        return {
            s.school_id: s.name if names.count(s.name) == 1 else f"{s.name} ({s.school_id})" for s in self.summaries
        }

    @property
    def with_data(self) -> list[SchoolSummary]:
        """The summaries of schools with data this year."""
        return [s for s in self.summaries if s.has_data]

    @property
    def sef(self) -> pd.DataFrame:
        """School x section: mean self-evaluated rating (rows labelled by :attr:`labels`)."""
        labels = self.labels
        rows = {labels[s.school_id]: s.sef_means for s in self.with_data}
        return pd.DataFrame(rows, dtype=float).T.reindex(columns=list(self.framework.principle_ids))

    def agreement(self, survey: str) -> pd.DataFrame:
        """School x section: published share agreeing (blank when suppressed or not asked)."""
        labels = self.labels
        rows = {labels[s.school_id]: s.agreement.get(survey, {}) for s in self.with_data}
        return pd.DataFrame(rows, dtype=float).T.reindex(columns=list(self.framework.principle_ids))

    def agreement_notes(self, survey: str) -> pd.DataFrame:
        """School x section, beside :meth:`agreement`: '' where a share is shown, else why not (the
        school's published reason, or "not asked")."""
        labels, sections = self.labels, self.framework.principle_ids
        rows = {}
        for s in self.with_data:
            asked = s.agreement.get(survey, {})
            rows[labels[s.school_id]] = {
                sec: "" if sec in asked and not pd.isna(asked[sec]) else s.hidden.get(survey, {}).get(sec, NOT_ASKED)
                for sec in sections
            }
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(sections), dtype=object)

    @property
    def status(self) -> pd.DataFrame:
        """One row per school: id, name, phase, level met, next level, progress."""
        return pd.DataFrame(
            [
                dict(
                    school_id=s.school_id,
                    name=s.name,
                    phase=s.phase,
                    level_met=s.level_met,
                    next_level=s.next_level,
                    progress=s.progress,
                )
                for s in self.summaries
            ]
        )

    # -- award pipeline -----------------------------------------------------

    @property
    def pipeline(self) -> pd.DataFrame:
        """One row per school: the level it holds (``holds``, level id, and ``holds_since``), the next
        level (``next``), whether its award rules are met this year (``ready``) and the highest level whose
        rules are met (``rules_met``, '' for none). Empty for a framework without award levels; ``next`` is
        '' for a school holding the highest level and for a school without data this year."""
        levels = self.framework.levels
        columns = ["school_id", "name", "has_data", "holds", "holds_since", "next", "ready", "rules_met"]
        if not levels:
            return pd.DataFrame(columns=columns)
        rows = []
        for s in self.summaries:
            held = [lv for lv in levels if lv.id in s.held]
            top = held[-1] if held else None
            above = levels[levels.index(top) + 1 :] if top else list(levels)
            nxt = above[0] if above and s.has_data else None
            met = [lv for lv in levels if lv.id in s.levels_met]
            rows.append(
                dict(
                    school_id=s.school_id,
                    name=s.name,
                    has_data=s.has_data,
                    holds=top.id if top else "",
                    holds_since=s.held[top.id] if top else "",
                    next=nxt.id if nxt else "",
                    ready=bool(nxt and nxt.id in s.levels_met),
                    rules_met=met[-1].id if met else "",
                )
            )
        return pd.DataFrame(rows, columns=columns)

    # -- strength and peer support -------------------------------------------

    @cached_property
    def strength(self) -> pd.DataFrame:
        """School id x section: strength from 0 to 1 (see the module notes); NaN with no figure at all."""
        w = self.framework.decisions.peer_support.stakeholder_share
        sections = list(self.framework.principle_ids)
        rows = {}
        for s in self.with_data:
            row = {}
            for sec in sections:
                own = position(s.sef_means.get(sec), self.framework.scale)
                shares = [v[sec] for v in s.agreement.values() if sec in v and not pd.isna(v[sec])]
                theirs = sum(shares) / len(shares) if shares else math.nan
                if pd.isna(own):
                    row[sec] = theirs
                elif pd.isna(theirs):
                    row[sec] = own
                else:
                    row[sec] = (1 - w) * own + w * theirs
            rows[s.school_id] = row
        return pd.DataFrame.from_dict(rows, orient="index", columns=sections, dtype=float)

    @property
    def ambassadors(self) -> set[str]:
        """Schools holding the framework's highest level (WQM: Beacon schools)."""
        if not self.framework.levels:
            return set()
        top = self.framework.levels[-1].id
        return {s.school_id for s in self.with_data if top in s.held}

    @cached_property
    def peer_matches(self) -> pd.DataFrame:
        """One row per need and partner: ``receiver_id``, ``section_id``, ``receiver_strength``,
        ``giver_id`` (None: no school far enough ahead), ``giver_strength``, ``ambassador``, ``rank``
        (1 = first suggested). Needs are each school's ``weakest`` sections by strength."""
        rules = self.framework.decisions.peer_support
        strength, ambassadors = self.strength, self.ambassadors
        order = {sec: i for i, sec in enumerate(self.framework.principle_ids)}
        rows = []
        for receiver in strength.index:
            own = strength.loc[receiver].dropna()
            weakest = sorted(own.items(), key=lambda kv: (kv[1], order[kv[0]]))[: rules.weakest]
            for sec, mine in weakest:
                others = strength[sec].drop(index=receiver).dropna()
                givers = [(g, v) for g, v in others.items() if v >= mine + rules.min_gap - 1e-9]
                givers.sort(key=lambda gv: (gv[0] not in ambassadors, -gv[1], gv[0]))
                base = dict(receiver_id=receiver, section_id=sec, receiver_strength=mine)
                if not givers:
                    rows.append(dict(base, giver_id=None, giver_strength=math.nan, ambassador=False, rank=0))
                for rank, (g, v) in enumerate(givers[: rules.givers_per_need], 1):
                    rows.append(dict(base, giver_id=g, giver_strength=v, ambassador=g in ambassadors, rank=rank))
        return pd.DataFrame(
            rows,
            columns=[
                "receiver_id",
                "section_id",
                "receiver_strength",
                "giver_id",
                "giver_strength",
                "ambassador",
                "rank",
            ],
        )

    # -- similar schools ----------------------------------------------------

    @property
    def similar_schools(self) -> dict[str, tuple[str, ...]]:
        """School id -> ids of the similar schools with data (same phase, similar roll; see the notes).
        A school without a recorded roll has none."""
        share = self.framework.decisions.benchmarks.similar_size_share
        out = {}
        for s in self.with_data:
            out[s.school_id] = tuple(
                o.school_id
                for o in self.with_data
                if o.school_id != s.school_id
                and o.phase == s.phase
                and s.pupils
                and o.pupils
                and abs(s.pupils - o.pupils) <= share * max(s.pupils, o.pupils) + 1e-9
            )
        return out

    @staticmethod
    def _overall(s: SchoolSummary) -> dict[str, float]:
        """A school's mean self-rating and, per survey, mean published agreement over the sections shown."""
        out = {}
        sef = [v for v in s.sef_means.values() if not pd.isna(v)]
        out[SELF_EVALUATION] = sum(sef) / len(sef) if sef else math.nan
        for survey, shares in s.agreement.items():
            shown = [v for v in shares.values() if not pd.isna(v)]
            out[survey] = sum(shown) / len(shown) if shown else math.nan
        return out

    @property
    def similar(self) -> pd.DataFrame:
        """One row per school and measure (``self_evaluation`` or a survey id): the school's own figure
        (mean self-rating; mean published agreement over the sections shown), the median over its
        similar schools and how many of them have the figure."""
        overall = {s.school_id: self._overall(s) for s in self.with_data}
        measures = [SELF_EVALUATION] + [
            sid for sid in self.bank.surveys if any(sid in s.agreement for s in self.with_data)
        ]
        rows = []
        for school_id, similar in self.similar_schools.items():
            for measure in measures:
                values = [overall[o].get(measure, math.nan) for o in similar]
                values = [v for v in values if not pd.isna(v)]
                rows.append(
                    dict(
                        school_id=school_id,
                        measure=measure,
                        own=overall[school_id].get(measure, math.nan),
                        similar_median=median(values) if values else math.nan,
                        similar_count=len(values),
                    )
                )
        return pd.DataFrame(rows, columns=["school_id", "measure", "own", "similar_median", "similar_count"])

    # -- governance early warning -----------------------------------------------

    @property
    def governance(self) -> pd.DataFrame:
        """The early-warning list: one row per flag with ``school_id``, ``kind`` (``fell_while_rose``:
        stakeholder agreement fell while the self-rating rose; ``below``: a published stakeholder group
        below the threshold), ``section_id``, ``survey`` and the figures behind it (``share``,
        ``previous_share``, ``rating``, ``previous_rating``, ``n``, ``previous_n``)."""
        rules, scale = self.framework.decisions.governance, self.framework.scale
        rows = []
        for s in self.with_data:
            for sec in self.framework.principle_ids:
                now, then = s.sef_means.get(sec), s.previous_sef_means.get(sec)
                rise = position(now, scale) - position(then, scale)
                if not s.previous_year or pd.isna(rise) or rise < rules.min_rating_rise - 1e-9:
                    continue
                for survey, shares in s.agreement.items():
                    share, before = shares.get(sec), s.previous_agreement.get(survey, {}).get(sec)
                    n = s.agreement_n.get(survey, {}).get(sec, 0)
                    n_before = s.previous_agreement_n.get(survey, {}).get(sec, 0)
                    if (
                        share is None
                        or before is None
                        or pd.isna(share)
                        or pd.isna(before)
                        or min(n, n_before) < rules.min_respondents
                    ):
                        continue
                    if before - share >= rules.agreement_fall - 1e-9:
                        rows.append(
                            dict(
                                school_id=s.school_id,
                                kind="fell_while_rose",
                                section_id=sec,
                                survey=survey,
                                share=share,
                                previous_share=before,
                                rating=now,
                                previous_rating=then,
                                n=n,
                                previous_n=n_before,
                                previous_year=s.previous_year,
                            )
                        )
            for survey, shares in s.agreement.items():
                for sec in self.framework.principle_ids:
                    share = shares.get(sec)
                    if share is not None and not pd.isna(share) and share < rules.stakeholder_agreement_below:
                        rows.append(
                            dict(
                                school_id=s.school_id,
                                kind="below",
                                section_id=sec,
                                survey=survey,
                                share=share,
                                n=s.agreement_n.get(survey, {}).get(sec),
                            )
                        )
        columns = [
            "school_id",
            "kind",
            "section_id",
            "survey",
            "share",
            "previous_share",
            "rating",
            "previous_rating",
            "n",
            "previous_n",
            "previous_year",
        ]
        return pd.DataFrame(rows, columns=columns)

    # -- wellbeing measures -------------------------------------------------------

    def measure_means(self) -> pd.DataFrame:
        """One row per school with data and published whole-group measure mean: ``school_id``, ``label``
        (:attr:`labels`) and :data:`MEASURE_FIELDS`, in school order; ``comparable`` is whether the school's
        group reaches the instrument's minimum for comparing groups (False for a hidden figure)."""
        from .measures import instruments_of, min_group

        labels = self.labels
        rows = [dict(school_id=s.school_id, label=labels[s.school_id], **m) for s in self.with_data for m in s.measures]
        columns = ["school_id", "label", *MEASURE_FIELDS, "comparable"]
        if not rows:
            return pd.DataFrame(columns=columns)
        frame = pd.DataFrame(rows)
        minimum = {i.id: i for i in instruments_of(frame["instrument"])}
        frame["comparable"] = [
            not r.suppressed
            and r.instrument in minimum
            and r.n is not None
            and not pd.isna(r.n)
            and int(r.n) >= min_group(minimum[r.instrument], r.score)
            for r in frame.itertuples()
        ]
        return frame[columns]

    # -- trust totals -------------------------------------------------------------

    @property
    def unweighted(self) -> list[str]:
        """Schools with data but no recorded pupil numbers: left out of the trust totals."""
        return [s.school_id for s in self.with_data if not s.pupils]

    @property
    def withheld_from_totals(self) -> list[str]:
        """Schools with pupil numbers whose release withholds a survey whole: left out of that survey's
        trust totals (:data:`WITHHELD_FROM_TOTALS`)."""
        return [
            s.school_id
            for s in self.with_data
            if s.pupils and any(c.hidden == WITHHELD_FROM_TOTALS for v in s.counts.values() for c in v.values())
        ]

    @cached_property
    def overview_members(self) -> OverviewRecord:
        """The schools whose counts the trust totals sum (with pupil numbers), each with a digest of its
        counts and the totals it hides in its own report; no totals yet."""
        weighted = [s for s in self.with_data if s.pupils]

        def hides(s: SchoolSummary) -> tuple[str, ...]:
            own = {f"{survey}:{sec}" for survey, secs in s.hidden.items() for sec in secs}
            own |= {f"{survey}:{sec}" for survey, secs in s.counts.items() for sec, c in secs.items() if c.hidden}
            return tuple(sorted(own))

        return OverviewRecord(
            {s.school_id: school_digest(s.counts) for s in weighted}, {s.school_id: hides(s) for s in weighted}
        )

    @property
    def overview_record(self) -> OverviewRecord:
        """What this overview publishes, as the ledger records it (:mod:`wqm_nb.disclosure.overviews`)."""
        totals = self.trust_totals
        shown = totals[(totals["measure"] == "agreement") & ~totals["suppressed"].astype(bool)]
        members = self.overview_members
        return OverviewRecord(
            members.schools, members.hidden, tuple(sorted(f"{r.survey}:{r.section_id}" for r in shown.itertuples()))
        )

    @cached_property
    def trust_audit(self) -> dict[tuple[str, str], str]:
        """The trust totals the joint audit hides, keyed ``(survey, "framework:section")``, for every framework
        at once (:func:`~wqm_nb.disclosure.trust.totals_to_hide`): each survey's totals the per-family rule
        lets through, under every framework a school's release covers, with every member school's
        publication and the pupil numbers. Every framework's overview is a view of the same decisions, so two
        overviews of the trust's year under two frameworks cannot be solved together either. A survey whose
        member schools hide nothing needs no audit. A summary that carries no publication (made by hand, or a
        summaries file from before the audit) stands for its whole groups of this framework as published."""
        from ..data import load_mapping
        from ..disclosure.release import release_frameworks, survey_layouts
        from ..disclosure.tables import NONE, UNSAID, printed_interval
        from ..disclosure.trust import HIDDEN, SchoolPublication, Total, totals_to_hide, trust_layout

        fw = self.framework
        weighted = [s for s in self.with_data if s.pupils and s.counts]
        layouts = survey_layouts(self.bank, release_frameworks(fw), None, {fw.id: load_mapping(fw, self.bank)})
        out: dict[tuple[str, str], str] = {}
        for survey in sorted({k for s in weighted for k in s.counts}):
            pubs = {
                s.school_id: SchoolPublication.from_json(s.publications[survey])
                if survey in s.publications
                else _publication_of_counts(s.counts.get(survey, {}), fw.id)
                for s in weighted
            }
            # a school whose survey is withheld whole is in no total
            pubs = {sid: p for sid, p in pubs.items() if any(c.hidden != UNSAID for c in p.cells)}
            if not any(c.hidden in HIDDEN for p in pubs.values() for c in p.cells):
                continue
            summaries = {s.school_id: s for s in weighted}
            totals = {}
            for key, items in layouts[survey].sections.items():
                members = []
                for sid, pub in pubs.items():
                    cell = next((c for c in pub.cells if c.section == key and c.subgroup is None), None)
                    if cell is None or cell.hidden in (NONE, UNSAID) or key not in pub.wholes:
                        continue
                    n, answers, agree = pub.wholes[key]
                    members.append((summaries[sid], GroupCount(n, answers, agree, len(items), _kind_of(cell.hidden))))
                if not members:
                    continue
                c = _candidate(members, self.settings.min_group_size)
                if c.hidden:
                    continue
                weights = None
                if c.weighting == WEIGHT_PUPILS:
                    pupils = sum(_pupils(s) for s, _ in c.members)
                    weights = {s.school_id: _pupils(s) / pupils for s, _ in c.members}
                totals[key] = Total(
                    key,
                    sum(g.n for _, g in c.members),
                    printed_interval(round(c.value, SHARE_DECIMALS), SHARE_DECIMALS),
                    weights,
                )
            subgroups = self.bank.surveys[survey].subgroup
            layout = trust_layout(layouts[survey], tuple(subgroups.values) if subgroups else ())
            for key in totals_to_hide(layout, pubs, totals, self.settings.min_group_size):
                out[(survey, key)] = COMPLEMENTARY
        return out

    @cached_property
    def trust_totals(self) -> pd.DataFrame:
        """Per survey x section: the share agreeing over the group's schools weighted by pupils on roll
        (``value``, ``weighting`` :data:`WEIGHT_PUPILS`), or, when any school's own figure is hidden, the
        share of all the group's answers (:data:`WEIGHT_ANSWERS`), with ``n`` respondents and ``schools``
        contributing, or hidden with its ``reason`` (see the module notes); and per section the
        self-evaluation's mean rating weighted by pupils (survey ``self_evaluation``, never hidden: ratings
        are not survey groups)."""
        weighted = [s for s in self.with_data if s.pupils]
        min_size = self.settings.min_group_size
        members_now = self.overview_members
        rows = []
        for sec in self.framework.principle_ids:
            rated = [(_pupils(s), s.sef_means[sec]) for s in weighted if not pd.isna(s.sef_means.get(sec, math.nan))]
            if rated:
                pupils = sum(p for p, _ in rated)
                rows.append(
                    dict(
                        survey=SELF_EVALUATION,
                        section_id=sec,
                        measure=MEASURE_MEAN_RATING,
                        value=sum(p * v for p, v in rated) / pupils,
                        n=None,
                        schools=len(rated),
                        pupils=pupils,
                        suppressed=False,
                        reason="",
                        weighting=WEIGHT_PUPILS,
                    )
                )
        candidates: dict[tuple[str, str], Candidate] = {}
        for survey in self.bank.surveys:
            for sec in self.framework.principle_ids:
                members = [
                    (s, s.counts[survey][sec])
                    for s in weighted
                    if sec in s.counts.get(survey, {})
                    and s.counts[survey][sec].n > 0
                    and s.counts[survey][sec].hidden != WITHHELD_FROM_TOTALS
                ]
                if not members:
                    continue
                c = _candidate(members, min_size)
                if not c.hidden and any(
                    discloses_by_difference(f"{survey}:{sec}", e, members_now) for e in self.earlier_overviews
                ):
                    c = replace(c, hidden=CHANGED)
                candidates[(survey, sec)] = c
        audited = self.trust_audit
        for (survey, sec), c in candidates.items():
            hidden = c.hidden or audited.get((survey, f"{self.framework.id}:{sec}"), "")
            rows.append(
                dict(
                    survey=survey,
                    section_id=sec,
                    measure="agreement",
                    value=math.nan if hidden else round(c.value, SHARE_DECIMALS),
                    n=None if hidden else sum(g.n for _, g in c.members),
                    schools=len(c.members),
                    pupils=sum(_pupils(s) for s, _ in c.members),
                    suppressed=bool(hidden),
                    reason=too_few(min_size)
                    if hidden == PRIMARY
                    else PROTECTS_CHANGE
                    if hidden == CHANGED
                    else PROTECTS_SCHOOL
                    if hidden
                    else "",
                    weighting="" if hidden else c.weighting,
                )
            )
        return pd.DataFrame(
            rows,
            columns=[
                "survey",
                "section_id",
                "measure",
                "value",
                "n",
                "schools",
                "pupils",
                "suppressed",
                "reason",
                "weighting",
            ],
        )


def _publication_of_counts(counts: dict[str, GroupCount], framework: str):
    """What a summary without a publication tells of one survey: its whole groups of one framework's sections
    as published (shown ones as printed, hidden ones by their reason), from its counts."""
    from ..disclosure.tables import PROTECTS, TOO_FEW, UNSAID, PublishedCell, printed_interval
    from ..disclosure.trust import SchoolPublication

    reasons = {PRIMARY: TOO_FEW, COMPLEMENTARY: PROTECTS, WITHHELD_FROM_TOTALS: UNSAID}
    cells: list[PublishedCell] = []
    truth: dict[tuple[str, str | None], dict[str, float]] = {}
    wholes: dict[str, tuple[int, int, int]] = {}
    for sec, c in counts.items():
        key = f"{framework}:{sec}"
        wholes[key] = (c.n, c.answers, c.agree)
        for group in (None, ""):  # the school's only group: everyone
            if c.hidden:
                cells.append(PublishedCell(key, group, reasons[c.hidden]))
                truth[(key, group)] = {
                    "respondents": c.n,
                    "answers": c.answers,
                    "agreeing": c.agree,
                    "not agreeing": c.answers - c.agree,
                }
            else:
                share = printed_interval(round(c.agree / c.answers, SHARE_DECIMALS), SHARE_DECIMALS)
                cells.append(PublishedCell(key, group, n=c.n, answers=c.answers, share=share))
    return SchoolPublication(tuple(cells), None, truth, wholes)


def _candidate(members: list[tuple[SchoolSummary, GroupCount]], min_size: int) -> Candidate:
    """A trust total over ``members`` before the ledger and the joint audit: hidden by the per-family rule
    (:func:`protect_total`) or not; weighted by pupils on roll when no member's own figure is hidden, else the
    share of all the group's answers (with public pupil numbers, a pupil-weighted total would pin the hidden
    schools' shares)."""
    hidden = protect_total([c for _, c in members], min_size)
    if any(c.hidden for _, c in members):
        answers = sum(c.answers for _, c in members)
        value = sum(c.agree for _, c in members) / answers if answers else math.nan
        return Candidate(members, hidden, value, WEIGHT_ANSWERS)
    pupils = sum(_pupils(s) for s, _ in members)
    value = sum(_pupils(s) * c.agree / c.answers for s, c in members if c.answers) / pupils
    return Candidate(members, hidden, value, WEIGHT_PUPILS)


def _pupils(s: SchoolSummary) -> int:
    """The pupils on roll of a school the trust totals weight (only those with a number are weighted)."""
    assert s.pupils is not None
    return s.pupils


def build_rollup(
    settings: GroupSettings, summaries: list[SchoolSummary], framework: Framework | None = None, trust: str = ""
) -> GroupRollup:
    """A roll-up from summaries already made (e.g. by a batch as each report finished)."""
    fw = framework or load_framework(settings.framework)
    ordered = tuple(sorted(summaries, key=lambda s: s.school_id))
    trusts = {s.trust for s in ordered}
    return GroupRollup(
        settings=settings,
        trust=trust or settings.trust or (trusts.pop() if len(trusts) == 1 else ""),
        year=settings.year,
        framework=fw,
        bank=load_question_bank(),
        summaries=ordered,
    )


def rollup_group(settings: GroupSettings) -> GroupRollup:
    """Assess every school of the settings' trust (all schools if empty) in the
    settings' year (the latest year in the data if empty) and roll them up."""
    fw = load_framework(settings.framework)
    with Store.open(settings.data_path, read_only=True) as store:
        settings = settings.replace(
            min_group_size=resolve_threshold(store.threshold, settings.min_group_size, str(settings.data))
        )
        schools = store.schools(settings.trust or None)
        if not schools:
            trusts = sorted({s["trust"] for s in store.schools()})
            raise SettingsError(f"no schools in trust {settings.trust!r} (trusts: {', '.join(trusts) or 'none'})")
        ids = {s["school_id"] for s in schools}
        years = [y["academic_year"] for y in store.school_years() if y["school_id"] in ids]
        year = settings.year or max(years, default="")
        summaries = []
        for school in schools:
            try:
                assessment = assess_store(
                    store,
                    ReportSettings(
                        school_id=school["school_id"],
                        year=year,
                        data=settings.data,
                        framework=settings.framework,
                        min_group_size=settings.min_group_size,
                        as_of=settings.as_of,
                    ),
                    fw,
                )
            except UnknownYearError:
                summaries.append(missing_summary(school, year))
                continue
            summaries.append(summarise(assessment, store))
    return published_overview(build_rollup(settings.replace(year=year), summaries, fw))


def published_overview(rollup: GroupRollup) -> GroupRollup:
    """``rollup`` audited with the overviews of its trust's year published before (its trust totals hidden
    where a difference would give a school's hidden figure away), and recorded in the publication ledger of
    the settings' data (nothing is written when the same overview is already recorded)."""
    from dataclasses import replace

    from ..disclosure.ledger import Ledger, ledger_path

    try:
        data = rollup.settings.data_path
    except SettingsError:  # summaries without their data (nothing to record beside)
        return rollup
    if data.is_file():  # a store: its ledger is beside what it stands for (a CSV folder it came from)
        with Store.open(data, read_only=True) as store:
            ledger = Ledger.of(store)
    else:
        ledger = Ledger(ledger_path(data))
    if ledger is None:
        return rollup
    where = (rollup.trust or "*", rollup.year, rollup.framework.id)
    out = replace(rollup, earlier_overviews=tuple(ledger.overviews(*where)))
    ledger.record_overview(*where, out.overview_record)
    return out


__all__ = [
    "GroupCount",
    "GroupRollup",
    "MEASURE_FIELDS",
    "NOT_ASKED",
    "PROTECTS_SCHOOL",
    "SELF_EVALUATION",
    "SUMMARIES_FORMAT",
    "SchoolSummary",
    "build_rollup",
    "load_summaries",
    "missing_summary",
    "position",
    "protect_total",
    "published_overview",
    "rollup_group",
    "rollup_summaries",
    "save_summaries",
    "summaries_from_json",
    "read_summaries",
    "summaries_to_json",
    "summarise",
]
