"""Strengths and areas for development, from the self-evaluation and the published figures.

Thresholds come from the framework's ``report`` section. Survey statements
read only published (unsuppressed) figures of stakeholder agreement; the
staff audit (measure ``rating``) is shown beside the self-evaluation instead.
"""

from __future__ import annotations

import pandas as pd

from ..data import Framework
from .figures import PublishedFigures


def pct(x: float) -> str:
    """A share as a whole percentage."""
    return f"{x:.0%}"


def strengths_and_areas(
    framework: Framework, elements: pd.DataFrame, principles: pd.DataFrame, figures: PublishedFigures
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Statements on strengths and on areas for development, one per principle,
    from the self-evaluation and what stakeholders said (thresholds from the
    framework's ``report`` section)."""
    t = framework.report
    strengths, areas = [], []
    by_id = principles.set_index("principle_id")
    for p in framework.principles:
        prow = by_id.loc[p.id]
        reported = figures.for_section(p.id)
        good, weak = [], []
        if prow["mean_rating"] >= t.strength_min_mean:
            good.append(f"self-evaluated as {prow['level']} (mean {prow['mean_rating']:.1f})")
        high = reported[reported["agree_share"] >= t.strength_min_agreement]
        if len(reported) and len(high) == len(reported):
            good.append(
                "; ".join(
                    f"{pct(r.agree_share)} of {r.survey_name.lower()} respondents agree" for r in high.itertuples()
                )
            )
        sub = elements[elements["principle_id"] == p.id]
        low = sub[sub["rating"] <= t.development_max_rating]
        if len(low):
            weak.append(
                "rated " + ", ".join(f"{r.element_id} {framework.scale.label(r.rating)}" for r in low.itertuples())
            )
        unrated = sub[sub["rating"].isna()]
        if len(unrated):
            weak.append("not yet rated: " + ", ".join(unrated["element_id"]))
        missing = sub[sub["rating"].notna() & ~sub["has_evidence"]]
        if len(missing):
            weak.append("no evidence recorded for " + ", ".join(missing["element_id"]))
        for r in reported[reported["agree_share"] < t.development_max_agreement].itertuples():
            gap = " despite a self-evaluation of 3 or more" if prow["mean_rating"] >= 3 else ""
            weak.append(f"only {pct(r.agree_share)} of {r.survey_name.lower()} respondents agree{gap}")
        if good:
            strengths.append(dict(principle_id=p.id, principle=p.name, statement="; ".join(good)))
        if weak:
            areas.append(dict(principle_id=p.id, principle=p.name, statement="; ".join(weak)))
    cols = ["principle_id", "principle", "statement"]
    return pd.DataFrame(strengths, columns=cols), pd.DataFrame(areas, columns=cols)
