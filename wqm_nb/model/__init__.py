"""Model layer: analysis results as typed objects, read from the store.

* :mod:`.sef`: self-evaluation summaries per element and section;
* :mod:`.figures`: the one table of published survey figures (a view of the school year's release,
  :mod:`wqm_nb.disclosure`);
* :mod:`.awards`: award readiness from the framework's rules;
* :mod:`.judgements`: strengths and areas for development;
* :mod:`.year`, :mod:`.assessment`: one school's years and its assessment;
* :mod:`.group`: the group roll-up, built from per-school summaries.

Most of it is pure analysis of what it is given. Three parts write, each through the store's own methods:
:func:`.benchmarks.refresh_benchmarks` caches benchmarks, :mod:`.action_plan` records the targets a plan
carries into a year, and reading a school year's figures records its release in the publication ledger
(:mod:`wqm_nb.disclosure.ledger`), beside the store, not in it.
"""

from .assessment import SchoolAssessment, assess_school, assess_store
from .figures import PublishedFigures, publish_figures
from .group import GroupRollup, SchoolSummary, build_rollup, rollup_group, summarise
from .year import YearResult

__all__ = [
    "GroupRollup",
    "PublishedFigures",
    "SchoolAssessment",
    "SchoolSummary",
    "YearResult",
    "assess_school",
    "assess_store",
    "build_rollup",
    "publish_figures",
    "rollup_group",
    "summarise",
]
