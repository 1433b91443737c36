"""The instrument files (SDQ, SWEMWBS, Stirling): what they say, checked against the published rules restated
here, and the loader's validation (errors name the file and the field)."""

import copy

import pytest
import yaml

from wqm_nb.data import INSTRUMENT_DIR, available_instruments, bundled_files, load_instrument, validate_file
from wqm_nb.data.instruments import normalise_label, parse_instrument
from wqm_nb.errors import DataFileError, SettingsError

#: The SDQ scales as published (youthinmind, "Scoring the SDQ for age 4-17": item numbers per scale).
SDQ_SCALES = {
    "emotional": [3, 8, 13, 16, 24],
    "conduct": [5, 7, 12, 18, 22],
    "hyperactivity": [2, 10, 15, 21, 25],
    "peer": [6, 11, 14, 19, 23],
    "prosocial": [1, 4, 9, 17, 20],
}
SDQ_REVERSED = {7, 11, 14, 21, 25}
#: youthinmind's own short variable names, item 1 to 25 (its scoring syntax).
SDQ_NAMES = [
    "consid",
    "restles",
    "somatic",
    "shares",
    "tantrum",
    "loner",
    "obeys",
    "worries",
    "caring",
    "fidgety",
    "friend",
    "fights",
    "unhappy",
    "popular",
    "distrac",
    "clingy",
    "kind",
    "lies",
    "bullied",
    "helpout",
    "reflect",
    "steals",
    "oldbest",
    "afraid",
    "attends",
]
#: Warwick's SWEMWBS raw -> metric conversion table, every row.
SWEMWBS_TABLE = {
    7: 7.00,
    8: 9.51,
    9: 11.25,
    10: 12.40,
    11: 13.33,
    12: 14.08,
    13: 14.75,
    14: 15.32,
    15: 15.84,
    16: 16.36,
    17: 16.88,
    18: 17.43,
    19: 17.98,
    20: 18.59,
    21: 19.25,
    22: 19.98,
    23: 20.73,
    24: 21.54,
    25: 22.35,
    26: 23.21,
    27: 24.11,
    28: 25.03,
    29: 26.02,
    30: 27.03,
    31: 28.13,
    32: 29.31,
    33: 30.70,
    34: 32.55,
    35: 35.00,
}


def doc(name: str) -> dict:
    return yaml.safe_load((INSTRUMENT_DIR / f"{name}.yaml").read_text())


def parse(d: dict, name: str = "mine.yaml"):
    return parse_instrument(d, name)


def test_the_three_instruments_are_bundled_and_validated_by_wqm_validate():
    assert available_instruments() == ["sdq", "stirling", "swemwbs"]
    files = [p.name for p in bundled_files() if p.parent == INSTRUMENT_DIR]
    assert files == ["sdq.yaml", "stirling.yaml", "swemwbs.yaml"]
    assert validate_file(INSTRUMENT_DIR / "sdq.yaml") == (
        "sdq.yaml: instrument Strengths and Difficulties Questionnaire (SDQ), 4-17, 33 item columns, 9 scores "
        "(parent: original 3-band, teacher: newer 4-band, self: original 3-band)"
    )
    assert (
        "swemwbs.yaml: instrument Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS), 7 item columns, "
        "2 scores (no bands)" == validate_file(INSTRUMENT_DIR / "swemwbs.yaml")
    )


def test_contract_shapes():
    sdq = load_instrument("sdq")
    assert (sdq.id, sdq.informants) == ("sdq", ("parent", "teacher", "self"))
    assert sdq.item_columns("parent") == tuple(f"sdq{i}" for i in range(1, 26)) + tuple(
        f"sdqimpact{i}" for i in range(1, 9)
    )
    assert sdq.item_columns("teacher")[-6:] == tuple(f"sdqimpact{i}" for i in range(1, 7))
    assert sdq.item_columns() == sdq.item_columns("parent")
    assert sdq.score_ids == (
        "emotional",
        "conduct",
        "hyperactivity",
        "peer",
        "prosocial",
        "total_difficulties",
        "externalising",
        "internalising",
        "impact",
    )
    assert [s.id for s in sdq.scores if s.banded] == [
        "emotional",
        "conduct",
        "hyperactivity",
        "peer",
        "prosocial",
        "total_difficulties",
    ]
    assert sdq.score("total_difficulties").range() == (0, 40)
    assert sdq.score("impact").range("teacher") == (0, 6) and sdq.score("impact").range("parent") == (0, 10)
    for name in ("swemwbs", "stirling"):
        inst = load_instrument(name)
        assert inst.informants == ("self",) and inst.resolve_informant(None) == "self"
    assert load_instrument("swemwbs").item_columns() == tuple(f"swemwbs{i}" for i in range(1, 8))
    assert load_instrument("stirling").item_columns() == tuple(f"stirling{i}" for i in range(1, 16))
    assert load_instrument("swemwbs").score_ids == ("raw", "metric")
    assert load_instrument("stirling").score_ids == ("total",)


def test_every_score_says_which_direction_is_better():
    assert {s.id for s in load_instrument("sdq").scores if s.higher_is_better} == {"prosocial"}
    assert all(s.higher_is_better is not None for s in load_instrument("sdq").scores)
    for name in ("swemwbs", "stirling"):
        assert all(s.higher_is_better for s in load_instrument(name).scores)


def test_every_instrument_states_its_group_minimum_and_its_source():
    assert load_instrument("swemwbs").min_group == 30
    assert "at least 30 people" in load_instrument("swemwbs").min_group_source
    assert "warwick.ac.uk" in load_instrument("swemwbs").min_group_source
    for name in available_instruments():
        inst = load_instrument(name)
        assert inst.min_group >= 2 and inst.min_group_source
        assert all(s.min_group == inst.min_group and s.min_group_source for s in inst.scores)


def test_every_rule_cites_a_source_with_title_publisher_url_and_year():
    for name in available_instruments():
        inst = load_instrument(name)
        for source in inst.sources.values():
            assert source.title and source.publisher and source.url and 1990 <= source.year <= 2030
        cited = (
            {s.source for s in inst.scores}
            | {r.source for r in inst.response_sets.values()}
            | {b.source for b in inst.bands.values()}
        )
        assert cited <= set(inst.sources)
        assert inst.missing_rule and inst.licence and inst.licence_source in inst.sources


def test_sdq_items_scales_and_reverse_scoring_are_as_published():
    sdq = load_instrument("sdq")
    items = {it.number: it for it in sdq.items_for("parent") if it.number}
    assert sorted(items) == list(range(1, 26))
    assert {n for n, it in items.items() if it.reverse} == SDQ_REVERSED
    assert [items[n].label for n in range(1, 26)] == SDQ_NAMES  # short names only, no wording
    for scale, numbers in SDQ_SCALES.items():
        assert sdq.score(scale).item_columns("teacher") == tuple(f"sdq{n}" for n in numbers)
        assert sdq.score(scale).missing.rule == "prorate" and sdq.score(scale).missing.min_answered == 3
    assert sdq.score("total_difficulties").of == ("emotional", "conduct", "hyperactivity", "peer")
    assert sdq.score("externalising").of == ("conduct", "hyperactivity")
    assert sdq.score("internalising").of == ("emotional", "peer")
    assert [(o.value, o.label) for o in sdq.response_sets["sdq"].options] == [
        (0, "Not True"),
        (1, "Somewhat True"),
        (2, "Certainly True"),
    ]


def test_sdq_impact_supplement_per_informant():
    sdq = load_instrument("sdq")
    impact = sdq.score("impact")
    parent = [sdq.item(c, "parent").label for c in impact.item_columns("parent")]
    teacher = [sdq.item(c, "teacher").label for c in impact.item_columns("teacher")]
    assert parent == ["distres", "imphome", "impfrie", "impclas", "impleis"]
    assert teacher == ["distres", "impfrie", "impclas"]
    assert impact.item_columns("self") == impact.item_columns("parent")
    assert impact.recode == {0: 0, 1: 0, 2: 1, 3: 2}
    assert impact.zero_when == ("sdqimpact1", (0,)) and sdq.item("sdqimpact1", "self").label == "ebddiff"
    assert not sdq.item("sdqimpact2", "parent").scored and not sdq.item("sdqimpact6", "teacher").scored
    assert all(sdq.item(c, "parent").optional for c in sdq.item_columns("parent") if c.startswith("sdqimpact"))
    assert sdq.prescored == ("emotional", "conduct", "hyperactivity", "peer", "prosocial", "impact")


def test_sdq_banding_per_informant():
    sdq = load_instrument("sdq")
    assert {w: (b.scheme, b.status) for w, b in sdq.bands.items()} == {
        "parent": ("original 3-band", "confirmed"),
        "teacher": ("newer 4-band", "confirmed"),
        "self": ("original 3-band", "UNCONFIRMED"),
    }
    assert sdq.band_labels("total_difficulties", "teacher") == (
        "Close to average",
        "Slightly raised",
        "High",
        "Very high",
    )
    assert sdq.band_labels("prosocial", "teacher") == ("Very low", "Low", "Slightly lowered", "Close to average")
    assert sdq.band_labels("emotional", "parent") == ("Normal", "Borderline", "Abnormal")
    assert sdq.band_labels("externalising", "parent") == ()
    assert sdq.band("emotional", "parent", float("nan")) == ""
    assert any("Self-report bands" in text and "UNCONFIRMED" in text for text in sdq.unconfirmed)


def test_swemwbs_items_coding_and_every_row_of_the_conversion_table():
    sw = load_instrument("swemwbs")
    assert sw.score("metric").table == SWEMWBS_TABLE
    assert sw.score("metric").table[7] == 7.00 and sw.score("metric").table[35] == 35.00
    assert sw.score("raw").range() == (7, 35) and sw.score("raw").missing.rule == "all_required"
    assert [(o.value, o.label) for o in sw.response_sets["frequency"].options] == [
        (1, "None of the time"),
        (2, "Rarely"),
        (3, "Some of the time"),
        (4, "Often"),
        (5, "All of the time"),
    ]
    assert [it.label for it in sw.items] == [f"SWEMWBS item {n}" for n in range(1, 8)]


def test_stirling_scores_twelve_items_and_records_the_social_desirability_ones():
    st = load_instrument("stirling")
    assert [it.number for it in st.items if not it.scored] == [2, 7, 13]
    total = st.score("total")
    assert total.item_columns("self") == tuple(f"stirling{n}" for n in range(1, 16) if n not in (2, 7, 13))
    assert total.range() == (12, 60) and total.missing.rule == "all_required"
    assert [o.label for o in st.response_sets["frequency"].options] == [
        "Never",
        "Not much of the time",
        "Some of the time",
        "Quite a lot of the time",
        "All of the time",
    ]


@pytest.mark.parametrize(
    "text, value",
    [
        ("Certainly True", 2),
        ("  certainly   TRUE ", 2),
        ("not true", 0),
        ("2", 2),
        ("0.0", 0),
        (1, 1),
        (2.0, 2),
        ("", None),
        ("  ", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_response_labels_and_numbers_are_accepted(text, value):
    assert load_instrument("sdq").response_sets["sdq"].value_of(text) == value


@pytest.mark.parametrize("text", ["3", "-1", "1.5", "yes", "Certainly", True, 7])
def test_anything_else_is_not_an_answer(text):
    with pytest.raises(ValueError):
        load_instrument("sdq").response_sets["sdq"].value_of(text)


def test_label_normalisation_ignores_dash_style_and_a_full_stop():
    assert normalise_label("Yes \u2013 minor  difficulties.") == normalise_label("yes-minor difficulties")
    assert load_instrument("sdq").response_sets["difficulties"].value_of("YES - SEVERE DIFFICULTIES") == 3


def test_loading_by_path_and_unknown_names(tmp_path):
    path = tmp_path / "copy.yaml"
    path.write_text((INSTRUMENT_DIR / "stirling.yaml").read_text())
    assert load_instrument(path).id == "stirling"
    assert load_instrument("SDQ").id == "sdq"
    with pytest.raises(SettingsError, match="unknown instrument 'kidscreen' \\(bundled: sdq, stirling, swemwbs"):
        load_instrument("kidscreen")
    with pytest.raises(DataFileError, match="nope.yaml: no such instrument file"):
        load_instrument(tmp_path / "nope.yaml")


def break_(name, mutate):
    d = copy.deepcopy(doc(name))
    mutate(d)
    return d


@pytest.mark.parametrize(
    "name, mutate, message",
    [
        (
            "sdq",
            lambda d: d["scores"][0]["items"].__setitem__(2, "sdq99"),
            "mine.yaml: scores[0].items[2]: unknown item column 'sdq99' for parent",
        ),
        (
            "sdq",
            lambda d: d["scores"][0]["items"].pop(),
            "mine.yaml: scores[0].max: the items of parent add up to 0-8, not 0-10",
        ),
        (
            "sdq",
            lambda d: d["scores"][0].__setitem__("source", "nowhere"),
            "mine.yaml: scores[0].source: unknown source 'nowhere'",
        ),
        (
            "sdq",
            lambda d: d["scores"][0]["missing"].__setitem__("min_answered", 6),
            "mine.yaml: scores[0].missing.min_answered: must be between 1 and 5",
        ),
        (
            "sdq",
            lambda d: d["scores"][0]["missing"].__setitem__("rule", "impute"),
            "mine.yaml: scores[0].missing.rule: must be one of all_required, prorate, zero_if_any_answered",
        ),
        (
            "sdq",
            lambda d: d["scores"][5].__setitem__("of", ["emotional", "nope"]),
            "mine.yaml: scores[5].of[1]: must name an earlier score, got 'nope'",
        ),
        ("sdq", lambda d: d["scores"][8]["recode"].pop(3), "mine.yaml: scores[8].recode: must map every value"),
        (
            "sdq",
            lambda d: d["bands"]["teacher"]["scores"]["peer"][1].__setitem__("max", 3),
            "mine.yaml: bands.teacher.scores.peer: the bands must cover 0-10 without gaps or overlaps (at 4: 5-5)",
        ),
        (
            "sdq",
            lambda d: d["bands"]["parent"]["scores"]["emotional"][0].__setitem__("max", 4),
            "mine.yaml: bands.parent.scores.emotional: the bands must cover 0-10 without gaps or overlaps (at 5: 4-4)",
        ),
        (
            "sdq",
            lambda d: d["bands"]["parent"]["scores"]["total_difficulties"][2].__setitem__("max", 39),
            "bands.parent.scores.total_difficulties: the bands must cover 0-40 without gaps or overlaps (end at 39)",
        ),
        (
            "sdq",
            lambda d: d["bands"]["self"]["scores"].pop("peer"),
            "mine.yaml: bands: peer is banded for some informants but not for self",
        ),
        (
            "sdq",
            lambda d: d["bands"].__setitem__("carer", d["bands"]["parent"]),
            "mine.yaml: bands.carer: unknown informant 'carer'",
        ),
        (
            "sdq",
            lambda d: d["items"].append({"column": "sdq3", "label": "x", "responses": "sdq"}),
            "mine.yaml: items[36].column: duplicate column 'sdq3' for parent (also items[2])",
        ),
        (
            "sdq",
            lambda d: d["items"][0].__setitem__("responses", "yesno"),
            "mine.yaml: items[0].responses: unknown response set 'yesno'",
        ),
        (
            "sdq",
            lambda d: d["response_sets"]["sdq"]["options"].reverse(),
            "mine.yaml: response_sets.sdq.options: values must be unique and in increasing order",
        ),
        (
            "sdq",
            lambda d: d["response_sets"]["sdq"]["options"][1].__setitem__("label", "not true"),
            "mine.yaml: response_sets.sdq.options[1].label: duplicate label 'not true'",
        ),
        (
            "sdq",
            lambda d: d.__setitem__("prescored", ["total_difficulties"]),
            "mine.yaml: prescored[0]: must name a kind: items score, got 'total_difficulties'",
        ),
        (
            "sdq",
            lambda d: d["sources"]["scoring"].pop("url"),
            "mine.yaml: sources.scoring.url: required field is missing",
        ),
        ("sdq", lambda d: d.pop("min_group_source"), "mine.yaml: min_group_source: required field is missing"),
        (
            "swemwbs",
            lambda d: d["scores"][1]["table"].pop(29),
            "mine.yaml: scores[1].table: must give every raw score from 7 to 35 exactly once",
        ),
        (
            "swemwbs",
            lambda d: d["scores"][1]["table"].__setitem__(30, 25.0),
            "mine.yaml: scores[1].table: must increase with the score it converts",
        ),
        (
            "swemwbs",
            lambda d: d["scores"][1]["table"].__setitem__(35, 36.0),
            "mine.yaml: scores[1].table.35: 36 is outside 7-35",
        ),
        (
            "stirling",
            lambda d: d["scores"][0]["items"].append("stirling2"),
            "mine.yaml: scores[0].items[12]: stirling2 is marked scored: false",
        ),
        (
            "stirling",
            lambda d: d["scores"][0].__setitem__("kind", "mean"),
            "mine.yaml: scores[0].kind: must be one of items, sum, lookup, got 'mean'",
        ),
        (
            "stirling",
            lambda d: d["sources"]["scale"].__setitem__("status", "maybe"),
            "mine.yaml: sources.scale.status: must be one of confirmed, UNCONFIRMED, got 'maybe'",
        ),
    ],
)
def test_a_malformed_instrument_names_file_and_field(name, mutate, message):
    with pytest.raises(DataFileError) as err:
        parse(break_(name, mutate))
    assert message in str(err.value)


def test_wqm_validate_checks_an_instrument_file(tmp_path, capsys):
    from wqm_nb.cli import main

    bad = tmp_path / "mine.yaml"
    bad.write_text(yaml.safe_dump(break_("swemwbs", lambda d: d["scores"][1]["table"].pop(7))))
    assert main(["validate", str(bad)]) == 1
    assert "INVALID mine.yaml: scores[1].table: must give every raw score from 7 to 35" in capsys.readouterr().err
    assert main(["validate", str(INSTRUMENT_DIR / "stirling.yaml")]) == 0
    assert (
        "stirling.yaml: instrument Stirling Children's Wellbeing Scale, 15 item columns, 1 scores (no bands)"
        in capsys.readouterr().out
    )
