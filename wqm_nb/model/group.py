"""The group (trust) roll-up: every school of a group side by side for one year.

The roll-up is built from :class:`SchoolSummary` records, one per school, so
it never goes back to the raw data: a batch can summarise each school as its
report is made and build the roll-up from the summaries. Survey numbers in a
summary come from that school's published figures, so a suppressed cell stays
blank in the roll-up too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..data import Framework, QuestionBank, load_framework, load_question_bank
from ..errors import SettingsError, UnknownYearError
from ..settings import GroupSettings, ReportSettings
from ..store import Store
from .assessment import SchoolAssessment, assess_store


@dataclass(frozen=True)
class SchoolSummary:
    """What the roll-up needs of one school's assessment."""
    school_id: str
    name: str
    phase: str
    trust: str
    year: str
    has_data: bool
    sef_means: dict[str, float] = field(default_factory=dict)                 # section -> mean rating
    agreement: dict[str, dict[str, float]] = field(default_factory=dict)      # survey -> section -> share
    # (stakeholder agreement only: the staff audit, a rating, is not rolled up)
    level_met: str = ""
    next_level: str = ""
    progress: str = ""


def summarise(assessment: SchoolAssessment) -> SchoolSummary:
    """The roll-up's view of one school."""
    fw, current = assessment.framework, assessment.current
    whole = current.figures.whole
    agreement = {s: dict(zip(g["section_id"], g["agree_share"])) for s, g in whole.groupby("survey", sort=False)}
    rd = assessment.readiness
    if rd is not None:
        nxt = rd.next_level
        level_met = rd.achieved.name if rd.achieved else "not yet"
        next_level = nxt.name if nxt else "-"
        progress = f"{int(rd.table[nxt.name].sum())}/{len(fw.principles)} for {nxt.name}" if nxt else "all met"
    else:
        top = current.elements["rating"] == fw.scale.max
        level_met, next_level = "", ""
        progress = f"{int(top.sum())}/{len(current.elements)} {fw.scale.levels[-1].label.lower()}"
    s = assessment.school
    return SchoolSummary(
        school_id=s["school_id"], name=s["name"], phase=s["phase"], trust=s["trust"], year=current.year,
        has_data=True, sef_means=dict(zip(current.principles["principle_id"], current.principles["mean_rating"])),
        agreement=agreement, level_met=level_met, next_level=next_level, progress=progress)


def missing_summary(school: dict, year: str) -> SchoolSummary:
    """A school with no data for the roll-up's year."""
    return SchoolSummary(school_id=school["school_id"], name=school["name"], phase=school["phase"],
                         trust=school["trust"], year=year, has_data=False, progress=f"no data for {year}")


@dataclass(frozen=True)
class GroupRollup:
    """Schools of a group in one year: maturity, agreement and award status side by side."""
    settings: GroupSettings
    trust: str
    year: str
    framework: Framework
    bank: QuestionBank
    summaries: tuple[SchoolSummary, ...]

    @property
    def labels(self) -> dict[str, str]:
        """School id -> row label: the name, with the id added where two schools share a name."""
        names = [s.name for s in self.summaries]
        return {s.school_id: s.name if names.count(s.name) == 1 else f"{s.name} ({s.school_id})"
                for s in self.summaries}

    @property
    def sef(self) -> pd.DataFrame:
        """School x section: mean self-evaluated rating (rows labelled by :attr:`labels`)."""
        labels = self.labels
        rows = {labels[s.school_id]: s.sef_means for s in self.summaries if s.has_data}
        return pd.DataFrame(rows, dtype=float).T.reindex(columns=list(self.framework.principle_ids))

    def agreement(self, survey: str) -> pd.DataFrame:
        """School x section: published share agreeing (blank when suppressed or not asked)."""
        labels = self.labels
        rows = {labels[s.school_id]: s.agreement.get(survey, {}) for s in self.summaries if s.has_data}
        return pd.DataFrame(rows, dtype=float).T.reindex(columns=list(self.framework.principle_ids))

    @property
    def status(self) -> pd.DataFrame:
        """One row per school: id, name, phase, level met, next level, progress."""
        return pd.DataFrame([dict(school_id=s.school_id, name=s.name, phase=s.phase, level_met=s.level_met,
                                  next_level=s.next_level, progress=s.progress) for s in self.summaries])


def build_rollup(settings: GroupSettings, summaries: list[SchoolSummary], framework: Framework | None = None,
                 trust: str = "") -> GroupRollup:
    """A roll-up from summaries already made (e.g. by a batch as each report finished)."""
    fw = framework or load_framework(settings.framework)
    ordered = tuple(sorted(summaries, key=lambda s: s.school_id))
    trusts = {s.trust for s in ordered}
    return GroupRollup(settings=settings, trust=trust or settings.trust or (trusts.pop() if len(trusts) == 1 else ""),
                       year=settings.year, framework=fw, bank=load_question_bank(), summaries=ordered)


def rollup_group(settings: GroupSettings) -> GroupRollup:
    """Assess every school of the settings' trust (all schools if empty) in the
    settings' year (the latest year in the data if empty) and roll them up."""
    fw = load_framework(settings.framework)
    with Store.open(settings.data_path, read_only=True) as store:
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
                assessment = assess_store(store, ReportSettings(school_id=school["school_id"], year=year,
                                                                data=settings.data, framework=settings.framework,
                                                                min_group_size=settings.min_group_size), fw)
            except UnknownYearError:
                summaries.append(missing_summary(school, year))
                continue
            summaries.append(summarise(assessment))
    return build_rollup(settings.replace(year=year), summaries, fw)
