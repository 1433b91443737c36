"""Group (trust) overview: every school of a group side by side for one year."""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from . import analysis, charts
from .frameworks import Framework, QuestionBank, load_framework, load_question_bank
from .report import html_section, html_table, open_data, school_history


@dataclass
class GroupOverview:
    trust: str
    academic_year: str
    framework: Framework
    bank: QuestionBank
    min_group_size: int
    schools: pd.DataFrame
    sef: pd.DataFrame                     # school name x principle id: mean maturity
    agreement: dict[str, pd.DataFrame]    # survey id -> school name x principle id: share agreeing
    awards: pd.DataFrame
    report_links: dict[str, str] = field(default_factory=dict)

    def header(self) -> HTML:
        title = self.trust or "All schools"
        return HTML(f"<header class='wqm-header'><p class='wqm-kicker'>{escape(self.framework.name)}</p>"
                    f"<h1>{escape(title)}</h1><p class='wqm-subtitle'>Group overview, {self.academic_year}: "
                    f"{len(self.schools)} schools</p></header>")

    def sef_section(self) -> HTML:
        svg = charts.heatmap(self.sef, "Mean self-evaluated maturity", vmin=self.framework.scale.min,
                             vmax=self.framework.scale.max, cbar_label="maturity")
        key = "; ".join(f"{p.id} {p.name}" for p in self.framework.principles)
        return html_section("Schools by framing principle", svg, key)

    def survey_section(self) -> HTML:
        body = ""
        for survey_id, matrix in self.agreement.items():
            if matrix.notna().any().any():
                body += charts.heatmap(matrix * 100, f"{self.bank.surveys[survey_id].name}: % agreeing",
                                       vmin=0, vmax=100, fmt=".0f", cmap="RdYlGn", cbar_label="% agree")
        return html_section("What stakeholders say", body,
                        f"Blank cells: fewer than {self.min_group_size} respondents (suppressed) or not asked.")

    def awards_section(self) -> HTML:
        table = self.awards.copy()
        if self.report_links:
            table["Report"] = table["school_id"].map(lambda s: self.report_links.get(s, ""))
        html = html_table(table.rename(columns={"school_id": "School id"}))
        for link in self.report_links.values():
            html = html.replace(f"<td>{escape(link)}</td>", f"<td><a href='{escape(link)}'>{escape(link)}</a></td>")
        return html_section("Award readiness", html, "Highest level met and what the next level still needs.")


def load_group_overview(data: str | Path | None = None, cycle: str = "", trust: str = "",
                        min_group_size: int = analysis.DEFAULT_MIN_GROUP_SIZE, framework: str = "wqm",
                        report_links: dict[str, str] | None = None) -> GroupOverview:
    """Analyse every school of ``trust`` (all schools if empty) for ``cycle``
    (the latest year in the data if empty)."""
    fw = load_framework(framework)
    bank = load_question_bank()
    with open_data(data) as store:
        schools = store.schools(trust or None)
        if not len(schools):
            raise KeyError(f"no schools for trust {trust!r}")
        cycles = store.cycles(framework=fw.id)
        cycles = cycles[cycles["school_id"].isin(schools["school_id"])]
        year = cycle or cycles["academic_year"].max()
        sef, agree, awards = {}, {s: {} for s in bank.surveys}, []
        for s in schools.to_dict("records"):
            history = school_history(store, s["school_id"], fw, bank, min_group_size, up_to=year)
            if not history or history[-1].academic_year != year:
                awards.append(dict(school_id=s["school_id"], School=s["name"], Phase=s["phase"],
                                   **{"Level met": "no data for " + year, "Next level": "", "Principles ready": ""}))
                continue
            current = history[-1]
            sef[s["name"]] = current.principles.set_index("principle_id")["mean_rating"]
            for survey_id in bank.surveys:
                sub = current.scores[current.scores["survey"] == survey_id]
                agree[survey_id][s["name"]] = sub.set_index("principle_id")["agree"]
            rd = analysis.readiness(fw, [c.cycle_data for c in history])
            nxt = rd.next_level
            ready = (f"{int(rd.table[nxt.name].sum())}/{len(fw.principles)} for {nxt.name}" if nxt else "all")
            awards.append(dict(school_id=s["school_id"], School=s["name"], Phase=s["phase"],
                               **{"Level met": rd.achieved.name if rd.achieved else "not yet",
                                  "Next level": nxt.name if nxt else "-", "Principles ready": ready}))
    principle_ids = list(fw.principle_ids)
    return GroupOverview(
        trust=trust or (schools["trust"].iloc[0] if schools["trust"].nunique() == 1 else ""),
        academic_year=year, framework=fw, bank=bank, min_group_size=min_group_size, schools=schools,
        sef=pd.DataFrame(sef).T.reindex(columns=principle_ids),
        agreement={k: pd.DataFrame(v).T.reindex(columns=principle_ids) for k, v in agree.items()},
        awards=pd.DataFrame(awards), report_links=dict(report_links or {}),
    )
