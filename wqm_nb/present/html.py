"""HTML building blocks: the Jinja environment of the report fragments and
the :class:`Fragment` every section returns.

Sections are Jinja templates under ``present/fragments/`` (one file per
section, autoescaped). A :class:`Fragment` displays as HTML in JupyterLab and
Voila through ``_repr_html_`` and is plain text to everything else, so the
presentation layer needs no IPython import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..model.stats import is_missing  # one meaning of a missing figure, re-exported for the fragments


@dataclass(frozen=True)
class Fragment:
    """A piece of report HTML with a name (shown as its plain-text repr).

    ``document_title`` is set on a report's header: the title of the document it heads, displayed
    as the output's metadata (``{"wqm": {"document_title": ...}}``) for the PDF to take as data.
    """

    name: str
    html: str
    document_title: str = ""

    def _repr_html_(self) -> str | tuple[str, dict[str, Any]]:
        if self.document_title:
            return self.html, {"wqm": {"document_title": self.document_title}}
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<wqm {self.name}>"

    def __bool__(self) -> bool:
        return bool(self.html.strip())


def pct(value: Any) -> str:
    """A share (0..1) as a whole percentage; '' when missing."""
    return "" if is_missing(value) else f"{value:.0%}"


def num(value: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals; '' when missing."""
    return "" if is_missing(value) else f"{value:.{digits}f}"


@cache
def environment() -> Environment:
    """The fragments' Jinja environment (autoescaped, filters ``pct`` and ``num``)."""
    env = Environment(
        loader=PackageLoader("wqm_nb.present", "fragments"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["pct"] = pct
    env.filters["num"] = num
    return env


def render(template: str, name: str | None = None, *, document_title: str = "", **context: Any) -> Fragment:
    """Render a fragment template with ``context`` (``document_title``: see :class:`Fragment`)."""
    html = environment().get_template(template).render(**context)
    return Fragment(name or template.removesuffix(".html.j2"), html, document_title)


@dataclass(frozen=True)
class Table:
    """A table for the ``table`` macro: header cells and rows of cells.

    A cell is text or a ``(text, css class)`` pair.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    css: str = "wqm-table"
    caption: str = ""


@dataclass(frozen=True)
class Link:
    """A table cell that links to ``href`` (quote the href before you make one)."""

    text: str
    href: str


def cell(value: Any, css: str = "") -> tuple[str, str]:
    """A table cell with a CSS class."""
    return (value, css)


def safe(html: str) -> Markup:
    """Mark HTML made by trusted code (charts) as safe for the templates."""
    return Markup(html)


def join(fragments: Iterable[Fragment], name: str) -> Fragment:
    """Several fragments as one."""
    return Fragment(name, "".join(f.html for f in fragments))
