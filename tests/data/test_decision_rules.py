"""The decisions: block of a framework file: defaults, overrides and errors naming file and field."""

from pathlib import Path

import pytest

from wqm_nb.data import load_framework
from wqm_nb.data.decision_rules import DecisionRules, TriangulationRules, parse_decision_rules
from wqm_nb.data.frameworks import parse_framework
from wqm_nb.data.yaml_reader import Reader, read_yaml
from wqm_nb.errors import DataFileError

WQM_FILE = Path(load_framework("wqm").path)


def with_decisions(block) -> dict:
    doc = read_yaml(WQM_FILE)
    doc["decisions"] = block
    return doc


def test_absent_block_gives_every_default():
    assert parse_decision_rules(Reader("x.yaml"), None) == DecisionRules()


def test_bundled_frameworks_parse_their_blocks():
    for name in ("wqm", "vbe", "leadership_management"):
        rules = load_framework(name).decisions
        assert isinstance(rules.triangulation, TriangulationRules)
        assert 0 < rules.triangulation.blind_spot_gap <= 1 and rules.trends.min_respondents >= 1


def test_a_value_overrides_only_its_field():
    fw = parse_framework(
        with_decisions({"triangulation": {"blind_spot_gap": 0.4}, "trends": {"min_respondents": 50}}), "custom.yaml"
    )
    assert fw.decisions.triangulation.blind_spot_gap == 0.4
    assert fw.decisions.triangulation.hidden_strength_gap == TriangulationRules().hidden_strength_gap
    assert fw.decisions.trends.min_respondents == 50


@pytest.mark.parametrize(
    "block, message",
    [
        (
            {"triangulation": {"blind_spot_gap": 1.5}},
            "custom.yaml: decisions.triangulation.blind_spot_gap: must be between 0 and 1",
        ),
        (
            {"trends": {"min_respondents": "many"}},
            "custom.yaml: decisions.trends.min_respondents: expected a whole number",
        ),
        ({"trends": {"min_respondents": 0}}, "custom.yaml: decisions.trends.min_respondents: must be at least 1"),
        ({"trend": {}}, "custom.yaml: decisions.trend: unknown field"),
        ({"priorities": {"risk_below": 0.5}}, "custom.yaml: decisions.priorities.risk_below: unknown field"),
        ({"priorities": {"blind_spot_is_risk": "yes"}}, "decisions.priorities.blind_spot_is_risk: expected"),
        (
            {"benchmarks": {"similar_size_share": 1.3}},
            "custom.yaml: decisions.benchmarks.similar_size_share: must be between 0 and 1",
        ),
        (
            {"peer_support": {"stakeholder_share": -0.1}},
            "decisions.peer_support.stakeholder_share: must be between 0 and 1",
        ),
        (
            {"governance": {"min_respondents": 0}},
            "custom.yaml: decisions.governance.min_respondents: must be at least 1",
        ),
        ({"benchmarks": {"min_schools_median": 0}}, "decisions.benchmarks.min_schools_median: must be at least 1"),
        (
            {"priorities": {"low_element_position_at_most": 1.2}},
            "custom.yaml: decisions.priorities.low_element_position_at_most: must be between 0 and 1",
        ),
        ({"triangulation": {"staff_audit_counts": 1}}, "decisions.triangulation.staff_audit_counts: expected"),
    ],
)
def test_errors_name_file_and_field(block, message):
    with pytest.raises(DataFileError) as err:
        parse_framework(with_decisions(block), "custom.yaml")
    assert message in str(err.value)


def test_action_plan_term_ends_are_month_days():
    fw = parse_framework(
        with_decisions({"action_plan": {"term_ends": "10-24, 02-13, 07-17", "suggestions": 2}}), "custom.yaml"
    )
    assert fw.decisions.action_plan.term_end_days == ((2, 13), (7, 17), (10, 24))
    assert load_framework("wqm").decisions.action_plan.term_end_days == ((3, 31), (7, 22), (12, 19))
    for bad in ("31-12", "12/19", "12-19, 02-30", "", "soon"):
        with pytest.raises(DataFileError) as err:
            parse_framework(with_decisions({"action_plan": {"term_ends": bad}}), "custom.yaml")
        assert "custom.yaml: decisions.action_plan.term_ends" in str(err.value)
