"""The evidence crosswalk: the bundled file validates, links are symmetric, errors name file and field."""

import pytest
import yaml

from wqm_nb.data import CROSSWALK_FILE, bundled_files, load_crosswalk, load_framework, validate_file
from wqm_nb.data.crosswalk import DEFAULT_THIN_EVIDENCE_WORDS, ElementRef, parse_crosswalk
from wqm_nb.data.yaml_reader import read_yaml
from wqm_nb.errors import DataFileError

FRAMEWORKS = {fid: load_framework(fid) for fid in ("wqm", "vbe", "leadership_management")}


def parse(doc):
    return parse_crosswalk(doc, "my_crosswalk.yaml", FRAMEWORKS)


def test_bundled_crosswalk_links_every_bundled_framework_and_says_why():
    cw = load_crosswalk()
    assert cw.frameworks() == ("leadership_management", "vbe", "wqm")
    assert cw.thin_evidence_words >= 1
    assert all(link.why and len(link.elements) >= 2 for link in cw.links)
    # every VbE aspect and every checklist item has at least one counterpart
    for fid in ("vbe", "leadership_management"):
        for element_id in FRAMEWORKS[fid].element_ids:
            assert cw.linked(fid, element_id), f"{fid} {element_id} has no link"


def test_bundled_crosswalk_is_validated_by_wqm_validate():
    assert CROSSWALK_FILE in bundled_files()
    assert validate_file(CROSSWALK_FILE).startswith("crosswalk.yaml: evidence crosswalk, ")


def test_a_link_is_symmetric_and_a_three_way_link_joins_every_pair():
    cw = parse(
        {
            "links": [
                {"wqm": "P1.6", "vbe": "A1.1", "leadership_management": "LM.1", "why": "staff"},
                {"wqm": "P7.3", "leadership_management": "LM.7", "why": "CAMHS"},
            ]
        }
    )
    p16, a11, lm1 = ElementRef("wqm", "P1.6"), ElementRef("vbe", "A1.1"), ElementRef("leadership_management", "LM.1")
    for a, b in ((p16, a11), (p16, lm1), (a11, lm1)):
        assert cw.are_linked(a, b) and cw.are_linked(b, a)
    assert [x.element for x in cw.linked("vbe", "A1.1")] == [p16, lm1]
    assert [x.element for x in cw.linked("leadership_management", "LM.7")] == [ElementRef("wqm", "P7.3")]
    assert cw.linked("leadership_management", "LM.7")[0].why == "CAMHS"
    assert cw.linked("wqm", "P1.5") == ()
    assert not cw.are_linked(ElementRef("wqm", "P7.3"), a11)
    assert cw.thin_evidence_words == DEFAULT_THIN_EVIDENCE_WORDS


def test_thin_threshold_is_read_from_the_file():
    assert parse({"coverage": {"thin_evidence_words": 5}, "links": []}).thin_evidence_words == 5


@pytest.mark.parametrize(
    "doc, message",
    [
        (
            {"links": [{"wqm": "P1.6", "vbe": "A9.1", "why": "x"}]},
            "my_crosswalk.yaml: links[0].vbe: unknown element 'A9.1' in vbe (elements: A1.1, A2.1",
        ),
        (
            {"links": [{"wqm": "P1.6", "vbe": "A1.1", "why": "x"}, {"wqm": "P99", "vbe": "A1.1", "why": "y"}]},
            "my_crosswalk.yaml: links[1].wqm: unknown element 'P99' in wqm",
        ),
        (
            {"links": [{"wqm": "P1.6", "ofsted": "Q1", "why": "x"}]},
            "my_crosswalk.yaml: links[0].ofsted: unknown framework 'ofsted'",
        ),
        (
            {"links": [{"wqm": "P1.6", "why": "x"}]},
            "my_crosswalk.yaml: links[0]: a link names elements of at least two frameworks",
        ),
        ({"links": [{"wqm": "P1.6", "vbe": "A1.1"}]}, "my_crosswalk.yaml: links[0].why: required field is missing"),
        (
            {"links": [{"wqm": "P1.6", "vbe": "A1.1", "why": "x"}, {"vbe": "A1.1", "wqm": "P1.6", "why": "again"}]},
            "my_crosswalk.yaml: links[1]: links vbe A1.1 and wqm P1.6 again (already linked in links[0])",
        ),
        (
            {"links": [{"wqm": 1.6, "vbe": "A1.1", "why": "x"}]},
            "my_crosswalk.yaml: links[0].wqm: unknown element '1.6'",
        ),
        (
            {"coverage": {"thin_evidence_words": 0}},
            "my_crosswalk.yaml: coverage.thin_evidence_words: must be at least 1",
        ),
        ({"coverage": {"thin_words": 5}}, "my_crosswalk.yaml: coverage.thin_words: unknown field"),
        ({"link": []}, "my_crosswalk.yaml: link: unknown field"),
        (["wqm"], "my_crosswalk.yaml: expected a mapping"),
    ],
)
def test_errors_name_file_and_field(doc, message):
    with pytest.raises(DataFileError) as err:
        parse(doc)
    assert message in str(err.value)


def test_validate_file_reports_an_unknown_id_in_a_copy_of_the_bundled_file(tmp_path):
    doc = read_yaml(CROSSWALK_FILE)
    doc["links"][2]["leadership_management"] = "LM.99"
    path = tmp_path / "crosswalk.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        validate_file(path)
    assert "crosswalk.yaml: links[2].leadership_management: unknown element 'LM.99'" in str(err.value)
