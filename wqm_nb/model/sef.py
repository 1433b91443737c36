"""Self-evaluation (SEF) summaries: one row per element, one row per section.

Pure functions on DataFrames: the current ratings come in, typed tables come
out. An unrated element has a NaN rating; a cycle with no ratings at all gives
the same tables with every element unrated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Framework

ELEMENT_COLUMNS = [
    "principle_id",
    "principle",
    "element_id",
    "element",
    "rating",
    "level",
    "evidence",
    "has_evidence",
    "sorting",
]


def sef_elements(framework: Framework, ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per framework element, in framework order, with its current
    rating (NaN when unrated), the scale label, the evidence and the NCB
    tool's sorting (``''`` when not sorted)."""
    current = {r["element_id"]: r for r in ratings.to_dict("records")} if len(ratings) else {}
    rows = []
    for p, e in framework.elements:
        r = current.get(e.id, {})
        rating = r.get("rating")
        rating = None if rating is None or pd.isna(rating) else rating
        raw = r.get("evidence")
        evidence = "" if raw is None or pd.isna(raw) else str(raw).strip()
        raw_sorting = r.get("sorting")
        sorting = "" if raw_sorting is None or pd.isna(raw_sorting) else str(raw_sorting)
        rows.append(
            dict(
                principle_id=p.id,
                principle=p.name,
                element_id=e.id,
                element=e.text,
                rating=float(rating) if rating is not None else np.nan,
                level=framework.scale.label(rating),
                evidence=evidence,
                has_evidence=bool(evidence),
                sorting=sorting,
            )
        )
    return pd.DataFrame(rows, columns=ELEMENT_COLUMNS)


def sef_principles(framework: Framework, elements: pd.DataFrame) -> pd.DataFrame:
    """Per section: mean and lowest rating, elements rated, elements with evidence."""
    rows = []
    for p in framework.principles:
        sub = elements[elements["principle_id"] == p.id]
        mean = sub["rating"].mean()
        rows.append(
            dict(
                principle_id=p.id,
                principle=p.name,
                mean_rating=mean,
                min_rating=sub["rating"].min(),
                level=framework.scale.label(mean),
                elements=len(sub),
                rated=int(sub["rating"].notna().sum()),
                with_evidence=int(sub["has_evidence"].sum()),
            )
        )
    return pd.DataFrame(rows)
