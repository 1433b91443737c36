"""The small pages the server answers with itself, and the script that turns a static report page live.

Every page here keeps the app's accessibility promises: ``lang``, a
``<title>``, exactly one ``<h1>``, no image without a text alternative (there
are none), and it works without script (a page that must try again refreshes
itself with ``<meta http-equiv="refresh">``, and offers a link to do it now).

* :func:`page`: refusals and errors ("Not allowed", "Not found", ...).
* :func:`preparing_page`: the report's static page is being rendered; the page
  refreshes itself.
* :func:`queue_page`: every live place of a capture or import server is
  taken; the viewer's place in line, and the page tries again by itself.
* :func:`live_script`: the only script of a static report page. It asks
  ``/wqm/place`` (with the page's own query string, so the same checks apply)
  whether a live place is free for this viewer, every 3 seconds at first and
  less often later (a quarter longer each time, at most every 8), shows the viewer's place in line, and
  reloads the page when a place is kept for it (the reload opens the live
  view). When the page goes away it says so (``&wqm=leave``), so the line
  moves on. No third-party request.
"""

from __future__ import annotations

import html
import json

#: seconds between two tries of a page that waits (the preparing and queue pages)
RETRY_SECONDS = 5
#: the query parameter the static page's script adds to ``/wqm/place`` (never part of a link)
PLACE_PARAM = "wqm"

_STYLE = (
    "font-family:DejaVu Sans,Arial,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;line-height:1.5;"
    "color:#1d2a33"
)


def page(title: str, message: str, status_hint: str = "", *, refresh: int = 0, extra: str = "") -> str:
    """A small, accessible HTML page for refusals, errors and waits. ``refresh``: seconds until it reloads
    itself (0: never); ``extra``: HTML of the server's own after the message (never text from a request)."""
    meta = f"<meta http-equiv='refresh' content='{int(refresh)}'>" if refresh else ""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>{meta}</head>"
        f"<body style='{_STYLE}'><main>"
        f"<h1>{html.escape(title)}</h1><p role='status'>{html.escape(message)}</p>"
        f"{f'<p>{html.escape(status_hint)}</p>' if status_hint else ''}{extra}</main></body></html>"
    )


def _again(label: str) -> str:
    """A link that loads the same address again (works without script)."""
    return f"<p><a href=''>{html.escape(label)}</a></p>"


def preparing_page() -> str:
    """The static page asked for is being rendered: this page reloads itself in a few seconds."""
    return page(
        "Preparing the report",
        "The report is being prepared. This page will show it by itself in a "
        f"few seconds (it tries again every {RETRY_SECONDS} seconds).",
        refresh=RETRY_SECONDS,
        extra=_again("Try again now"),
    )


def queue_page(what: str, position: int, places: int) -> str:
    """Every live place is taken: the viewer's place in line (``position``, 1 = next; 0 when it cannot be
    said), and the page tries again by itself. ``what``: "the capture form", "the survey import form"."""
    where = f"You are number {position} in line." if position > 0 else "You are waiting for a place."
    return page(
        "Waiting for a place",
        f"All {places} live place{'s' if places != 1 else ''} on this server are in use. {where} This page "
        f"tries again by itself every {RETRY_SECONDS} seconds and opens {what} when a place is free; "
        "keep it open.",
        refresh=RETRY_SECONDS,
        extra=_again("Try again now"),
    )


def error_page(error_id: str) -> str:
    """Something failed on the server: the error id to quote, nothing else."""
    return page(
        "Something went wrong",
        f"Something went wrong on the server (error id {error_id}). The consultant can look it up in the server log.",
        "Please try again later.",
    )


NOSCRIPT_NOTE = "Reload this page later to open the live view."

_SCRIPT = """<noscript><p class='wqm-notice'>%(noscript)s</p></noscript>
<script>
(function () {
  "use strict";
  var place = %(place)s, search = location.search, url = place + search;
  var leaveUrl = url + (search ? "&" : "?") + "%(param)s=leave";
  var delay = 3000, reloading = false;
  var notice = document.querySelector(".wqm-notice");
  var line = document.createElement("span");
  line.id = "wqm-line";
  if (notice) { notice.appendChild(document.createTextNode(" ")); notice.appendChild(line); }
  function again() { setTimeout(ask, delay); delay = Math.min(Math.round(delay * 1.25), 8000); }
  function ask() {
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (answer && answer.free) { reloading = true; location.reload(); return; }
        if (answer && answer.position > 0) {
          line.textContent = "You are number " + answer.position + " in line for a live view.";
        }
        again();
      }, again);
  }
  addEventListener("pagehide", function () {
    if (!reloading) {
      try { fetch(leaveUrl, {credentials: "same-origin", keepalive: true}); } catch (e) { /* the line moves on */ }
    }
  });
  addEventListener("pageshow", function (event) { if (event.persisted) { delay = 3000; ask(); } });
  again();
})();
</script>"""


def live_script(place_url: str) -> str:
    """The static report page's script (see the module notes); ``place_url`` is the server's ``/wqm/place``."""
    return _SCRIPT % {
        "place": json.dumps(place_url).replace("<", "\\u003c"),
        "param": PLACE_PARAM,
        "noscript": html.escape(NOSCRIPT_NOTE),
    }


__all__ = [
    "NOSCRIPT_NOTE",
    "PLACE_PARAM",
    "RETRY_SECONDS",
    "error_page",
    "live_script",
    "page",
    "preparing_page",
    "queue_page",
]
