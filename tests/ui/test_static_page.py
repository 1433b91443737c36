"""The report app as a static page: every tab's sections, CSS tabs, accessible, nothing hidden shown."""

import re
from html.parser import HTMLParser

import pytest

from wqm_nb.present import load_school_report
from wqm_nb.present.layout import TABS
from wqm_nb.ui.report_app import breakdowns, tab_fragments
from wqm_nb.ui.static_page import LIVE_NOTICE, static_report_page


@pytest.fixture(scope="module")
def report(sample_db):
    return load_school_report(school_id="NLT03", data=str(sample_db), as_of="2026-11-30")


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.scripts, self.svgs, self.titles_in_svg = [], [], 0, 0, 0
        self._svg = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "script":
            self.scripts += 1
        if tag == "svg":
            self.svgs += 1
            self._svg += 1
        if tag == "title" and self._svg:
            self.titles_in_svg += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg -= 1


def test_the_static_page_has_every_tab_and_section_of_the_app(report):
    page = static_report_page(report)
    for i, name in enumerate(TABS):
        assert f"<label for='wqm-tab-{i}'>{name}</label>" in page
        for fragment in tab_fragments(report, i):
            assert fragment.html in page, (name, fragment.name)
    for label, _choice in breakdowns(report)[1:]:  # every breakdown, each to open
        assert f"<summary>{label}</summary>" in page
    assert '<details class="wqm-principle">' in page  # the elements of each section, to open
    assert LIVE_NOTICE in page


def test_the_static_page_keeps_the_accessibility_promises(report):
    page = static_report_page(report)
    outline = Outline()
    outline.feed(page)
    assert page.startswith("<!doctype html>") and "<html lang='en'>" in page
    assert re.search(r"<title>Fellside Primary School: Wellbeing Quality Mark report, 2025-26</title>", page)
    assert sum(1 for tag, _ in outline.tags if tag == "h1") == 1
    assert len(outline.ids) == len(set(outline.ids)), "duplicate ids"
    assert outline.svgs and outline.titles_in_svg >= outline.svgs  # every chart has its alt text
    radios = [a for t, a in outline.tags if t == "input"]
    labels = {a.get("for") for t, a in outline.tags if t == "label"}
    assert len(radios) == len(TABS) and all(r["id"] in labels for r in radios)
    assert outline.scripts == 0  # works without script; the server may add its own
    assert static_report_page(report, script="<script>1</script>").count("<script>") == 1


def test_the_school_name_is_escaped(report, monkeypatch):
    monkeypatch.setitem(report.assessment.school, "name", "<script>x</script> Academy")
    report._cache.clear()
    page = static_report_page(report)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt; Academy" in page
