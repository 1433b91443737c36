"""Presentation layer: report sections as Jinja fragments, and charts.

Reads only model objects (never the store): :mod:`.school_report` and
:mod:`.group_overview` turn a :class:`~wqm_nb.model.SchoolAssessment` and a
:class:`~wqm_nb.model.GroupRollup` into :class:`~wqm_nb.present.html.Fragment`
sections; :mod:`.charts` draws SVG charts with alt text.
"""

from .group_overview import GroupOverview, load_group_overview
from .html import Fragment
from .school_report import SchoolReport, load_school_report

__all__ = ["Fragment", "GroupOverview", "SchoolReport", "load_group_overview", "load_school_report"]
