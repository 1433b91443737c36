"""Model layer: pure analysis results as typed objects.

* :mod:`.sef`: self-evaluation summaries per element and section;
* :mod:`.figures`: the one table of published survey figures;
* :mod:`.awards`: award readiness from the framework's rules;
* :mod:`.judgements`: strengths and areas for development;
* :mod:`.year`, :mod:`.assessment`: one school's years and its assessment;
* :mod:`.group`: the group roll-up, built from per-school summaries.
"""
from .assessment import SchoolAssessment, assess_school, assess_store
from .figures import PublishedFigures, publish_figures
from .group import GroupRollup, SchoolSummary, build_rollup, rollup_group, summarise
from .year import YearResult

__all__ = ["GroupRollup", "PublishedFigures", "SchoolAssessment", "SchoolSummary", "YearResult", "assess_school",
           "assess_store", "build_rollup", "publish_figures", "rollup_group", "summarise"]
