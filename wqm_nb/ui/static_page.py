"""The report app as one static page, for viewers past the live-kernel cap.

When every live place of ``wqm serve`` is taken, a school leader still gets
the report at once: :func:`static_report_page` writes the app's tabs
(:data:`~wqm_nb.present.layout.TABS`, from the same section fragments,
:func:`~wqm_nb.ui.report_app.tab_fragments`) as a page of its own, with CSS
tabs (radio buttons and labels, no script needed), every section, each
survey breakdown and each section's elements in ``<details>`` to open, and a
notice that the live view opens when a place is free. The server adds the
small script that turns the page live when a place frees (it is the only
script on the page, and the page works without it).

The page keeps the app's accessibility promises: ``lang``, a ``<title>``, one
``<h1>`` (the school's name), alt text on every chart (the fragments'), and
tabs that are labelled form controls, reachable with the keyboard.
"""

from __future__ import annotations

import html
from functools import lru_cache

from ..present import SchoolReport
from ..present.html import Fragment
from ..present.layout import TABS
from .report_app import breakdowns, subgroup_fragment, tab_fragments

#: what the page says above the tabs while the live view is full
LIVE_NOTICE = (
    "This is the report as a page. The live view, with its choices, opens when a place is free: "
    "this page will switch to it by itself."
)


@lru_cache(maxsize=1)
def _styles() -> str:
    """The printed report's styles and the app's (the same files Voila's page uses)."""
    from ..export.notebooks import resource_dir

    root = resource_dir("templates")
    return "\n".join(
        (root / rel).read_text(encoding="utf-8")
        for rel in ("nbconvert/templates/wqm_report/report.css", "voila/templates/wqm_app/static/app.css")
    )


TAB_CSS = """
.wqm-tabs > input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.wqm-tabs > label { display: inline-block; padding: 6px 12px; margin: 0 2px 0 0; border: 1px solid #b8c7cf;
                    border-bottom: none; background: #eef3f6; cursor: pointer; font-size: 14px; }
.wqm-tabs > input:checked + label { background: #fff; font-weight: bold; border-color: #12465e; }
.wqm-tabs > input:focus-visible + label { outline: 3px solid #e0892b; }
.wqm-tabs > .wqm-panel { display: none; border-top: 2px solid #12465e; padding-top: 8px; }
.wqm-notice { font-size: 15px; background: #eef6fb; border-left: 4px solid #12465e; padding: 8px 10px; }
details.wqm-breakdown { border-bottom: 1px solid #d5dee3; padding: 4px 0; }
details.wqm-breakdown > summary { cursor: pointer; font-weight: bold; }
"""


def _tab_css(count: int) -> str:
    return "\n".join(f"#wqm-tab-{i}:checked ~ #wqm-panel-{i} {{ display: block; }}" for i in range(count))


def _panel(report: SchoolReport, index: int) -> str:
    """One tab's sections; the Surveys tab with every breakdown in a ``<details>`` of its own."""
    parts = [f.html for f in tab_fragments(report, index)]
    if index == 1:
        for label, choice in breakdowns(report)[1:]:
            parts.append(
                f"<details class='wqm-breakdown'><summary>{html.escape(label)}</summary>"
                f"{subgroup_fragment(report, choice).html}</details>"
            )
    return "\n".join(parts)


def static_report_page(report: SchoolReport, *, notice: str = LIVE_NOTICE, script: str = "") -> str:
    """The whole report app as one HTML page (see the module notes). ``script`` is the server's (it is put
    in the page as it is: never text from the data)."""
    header: Fragment = report.header()
    a = report.assessment
    title = f"{a.name}: {report.framework.name} report, {a.year}"
    tabs, panels = [], []
    for i, name in enumerate(TABS):
        checked = " checked" if i == 0 else ""
        tabs.append(
            f"<input type='radio' name='wqm-tab' id='wqm-tab-{i}'{checked}>"
            f"<label for='wqm-tab-{i}'>{html.escape(name)}</label>"
        )
        panels.append(
            f"<div class='wqm-panel' id='wqm-panel-{i}' role='region' "
            f"aria-label='{html.escape(name, quote=True)}'>{_panel(report, i)}</div>"
        )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{_styles()}\n{TAB_CSS}\n{_tab_css(len(TABS))}</style></head>"
        "<body class='wqm-report'><main class='wqm-app'>"
        f"{header.html}"
        f"<p class='wqm-notice' role='status'>{html.escape(notice)}</p>"
        f"<div class='wqm-tabs'>{''.join(tabs)}{''.join(panels)}</div>"
        f"</main>{script}</body></html>"
    )


__all__ = ["LIVE_NOTICE", "static_report_page"]
