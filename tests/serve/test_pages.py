"""The server's own small pages keep the accessibility promises and work without script; the static page's
script asks /wqm/place with back-off, leaves the line when the page goes, and asks nobody else."""

import re
from html.parser import HTMLParser

import pytest

from wqm_nb.serve.pages import (
    NOSCRIPT_NOTE,
    PLACE_PARAM,
    RETRY_SECONDS,
    error_page,
    live_script,
    page,
    preparing_page,
    queue_page,
)


class Outline(HTMLParser):
    """What an accessibility check looks at: the language, the title, headings, images, scripts, refresh."""

    def __init__(self):
        super().__init__()
        self.lang, self.title, self.h1, self.images_without_alt, self.scripts = None, "", 0, 0, 0
        self.refresh, self.links = None, []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "title":
            self._in_title = True
        if tag == "h1":
            self.h1 += 1
        if tag == "img" and not attrs.get("alt"):
            self.images_without_alt += 1
        if tag == "script":
            self.scripts += 1
        if tag == "meta" and attrs.get("http-equiv") == "refresh":
            self.refresh = int(attrs["content"])
        if tag == "a":
            self.links.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def outline(html: str) -> Outline:
    found = Outline()
    found.feed(html)
    return found


def accessible(html: str) -> Outline:
    """Assert the page's promises: lang, a title, exactly one h1, every image with alt text, no script."""
    found = outline(html)
    assert html.startswith("<!doctype html>") and found.lang == "en"
    assert found.title.strip() and found.h1 == 1 and found.images_without_alt == 0
    assert found.scripts == 0
    return found


@pytest.mark.parametrize(
    "made",
    [
        lambda: page("Not allowed", "This link is not valid."),
        lambda: preparing_page(),
        lambda: queue_page("the capture form", 3, 2),
        lambda: queue_page("the survey import form", 0, 1),
        lambda: error_page("1a2b3c4d"),
    ],
    ids=["refusal", "preparing", "queue", "queue-no-position", "error"],
)
def test_every_page_keeps_the_accessibility_promises_without_script(made):
    accessible(made())


def test_pages_that_wait_refresh_themselves_and_offer_to_try_now():
    for html in (preparing_page(), queue_page("the capture form", 2, 3)):
        found = accessible(html)
        assert found.refresh == RETRY_SECONDS and "" in found.links  # a link to the same address
        assert "by itself" in html


def test_the_queue_page_says_the_place_in_line_or_honestly_that_it_waits():
    assert "You are number 2 in line." in queue_page("the capture form", 2, 3)
    assert "All 3 live places on this server are in use" in queue_page("the capture form", 2, 3)
    waiting = queue_page("the capture form", 0, 1)
    assert "waiting for a place" in waiting and "number" not in waiting and "All 1 live place on" in waiting
    assert "opens the capture form" in waiting


def test_text_is_escaped():
    html = page("<b>", "<script>x</script>", "<i>")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


def test_the_error_page_gives_the_error_id_only():
    html = error_page("1a2b3c4d")
    assert "error id 1a2b3c4d" in html and "Traceback" not in html


def test_the_live_script_asks_the_server_only_with_back_off_and_leaves_the_line():
    script = live_script("/prefix/wqm/place")
    code = re.search(r"<script>(.*)</script>", script, re.S).group(1)
    assert 'var place = "/prefix/wqm/place"' in code
    assert "location.search" in code  # the page's own query: the same identity checks
    assert f'"{PLACE_PARAM}=leave"' in code and "pagehide" in code and "keepalive: true" in code
    assert "location.reload()" in code and "answer.free" in code
    assert "delay * 1.25" in code and "8000" in code and "3000" in code  # every 3 s, then less often
    assert not re.search(r"https?:|//", code)  # no other address: nobody else is asked
    assert f"<noscript><p class='wqm-notice'>{NOSCRIPT_NOTE}</p></noscript>" in script
    assert script.count("<script>") == 1


def test_the_place_address_cannot_break_out_of_the_script():
    script = live_script("/</script><script>alert(1)//wqm/place")
    assert script.count("</script>") == 1
