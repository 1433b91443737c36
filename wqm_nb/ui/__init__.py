"""UI surface: ipywidgets apps for JupyterLab and Voila.

:mod:`.report_app` is the interactive report served by ``wqm serve``;
:mod:`.capture` the self-evaluation capture form (``wqm capture``);
:mod:`.survey_import_app` the survey import form (``wqm survey serve``);
:mod:`.static_page` the report as one page. The report is built on the
present and model layers; the forms read and write the store through its
methods, seen through the page's scope (:mod:`wqm_nb.store.scope`).
"""

from .report_app import ReportApp, ViewerScope, in_voila, report_app, viewer_scope

__all__ = ["ReportApp", "ViewerScope", "in_voila", "report_app", "viewer_scope"]
