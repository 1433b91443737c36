"""Self-evaluation summaries: one row per element, one row per section."""

import math

import pandas as pd
import pytest

from wqm_nb.data import load_framework
from wqm_nb.model.sef import ELEMENT_COLUMNS, sef_elements, sef_principles

WQM = load_framework("wqm")
LM = load_framework("leadership_management")


def ratings(rows):
    """rows: (element_id, rating, evidence)."""
    return pd.DataFrame(rows, columns=["element_id", "rating", "evidence"])


def test_one_row_per_element_in_framework_order():
    el = sef_elements(WQM, ratings([("P7.4", 2, "x"), ("P1.1", 4, "y")]))
    assert list(el.columns) == ELEMENT_COLUMNS
    assert el["element_id"].tolist() == list(WQM.element_ids)
    assert len(el) == 20
    assert el["principle_id"].tolist()[:6] == ["P1"] * 6
    assert el.iloc[0]["principle"] == "Adopt whole-school thinking"


def test_rated_element_has_rating_label_and_stripped_evidence():
    el = sef_elements(WQM, ratings([("P1.2", 2, "  Staff charter  ")])).set_index("element_id")
    row = el.loc["P1.2"]
    assert row["rating"] == 2.0
    assert row["level"] == "Shared understanding"
    assert row["evidence"] == "Staff charter"
    assert bool(row["has_evidence"]) is True


def test_unrated_and_blank_evidence():
    el = sef_elements(WQM, ratings([("P1.1", 3, "   "), ("P1.2", 1, "")])).set_index("element_id")
    assert not el.loc["P1.1", "has_evidence"]  # whitespace is no evidence
    assert el.loc["P1.2", "evidence"] == "" and not el.loc["P1.2", "has_evidence"]
    assert math.isnan(el.loc["P2.1", "rating"])
    assert el.loc["P2.1", "level"] == "" and el.loc["P2.1", "evidence"] == ""


def test_no_ratings_gives_every_element_unrated():
    el = sef_elements(WQM, ratings([]))
    assert len(el) == len(WQM.element_ids)
    assert el["rating"].isna().all()
    assert not el["has_evidence"].any()


def test_elements_not_in_framework_are_ignored():
    el = sef_elements(WQM, ratings([("LM.1", 3, "x"), ("P5.1", 4, "y")]))
    assert "LM.1" not in set(el["element_id"])
    assert el["rating"].notna().sum() == 1


def test_principles_mean_min_counts_and_level():
    el = sef_elements(WQM, ratings([("P1.1", 1, "a"), ("P1.2", 4, ""), ("P1.3", 4, "b"), ("P5.1", 3, "c")]))
    pr = sef_principles(WQM, el).set_index("principle_id")
    assert list(pr.index) == list(WQM.principle_ids)
    p1 = pr.loc["P1"]
    assert p1["mean_rating"] == pytest.approx(3.0)  # unrated elements are left out of the mean
    assert p1["min_rating"] == 1
    assert p1["elements"] == 6 and p1["rated"] == 3 and p1["with_evidence"] == 2
    assert p1["level"] == "Developing practice"
    assert pr.loc["P5", "level"] == "Developing practice" and pr.loc["P5", "rated"] == 1


def test_principle_with_nothing_rated():
    pr = sef_principles(WQM, sef_elements(WQM, ratings([("P1.1", 4, "x")]))).set_index("principle_id")
    assert math.isnan(pr.loc["P2", "mean_rating"]) and math.isnan(pr.loc["P2", "min_rating"])
    assert pr.loc["P2", "level"] == "" and pr.loc["P2", "rated"] == 0


def test_checklist_scale_labels():
    el = sef_elements(LM, ratings([("LM.1", 3, "x"), ("LM.2", 2, "y"), ("LM.3", 1, "")]))
    levels = dict(zip(el["element_id"], el["level"], strict=False))
    assert levels["LM.1"] == "In place" and levels["LM.2"] == "Partly in place"
    assert levels["LM.3"] == "Not in place" and levels["LM.4"] == ""
    pr = sef_principles(LM, el)
    assert len(pr) == 1 and pr.iloc[0]["elements"] == 8 and pr.iloc[0]["rated"] == 3
    assert pr.iloc[0]["mean_rating"] == pytest.approx(2.0)


def test_missing_evidence_and_rating_are_missing_not_the_text_nan():
    import pandas as pd

    from wqm_nb.data import load_framework
    from wqm_nb.model.sef import sef_elements

    fw = load_framework("wqm")
    frame = pd.DataFrame([dict(element_id="P1.1", rating=3, evidence="x"), dict(element_id="P1.2", rating=2)])
    row = sef_elements(fw, frame).set_index("element_id").loc["P1.2"]
    assert row["evidence"] == "" and not row["has_evidence"] and row["rating"] == 2
