"""UI surface: ipywidgets apps for JupyterLab and Voila.

:mod:`.report_app` is the interactive report served by ``wqm serve``. Widgets
are built on the present and model layers, never on the store directly except
to list what can be chosen.
"""
from .report_app import ReportApp, ViewerScope, in_voila, report_app, viewer_scope

__all__ = ["ReportApp", "ViewerScope", "in_voila", "report_app", "viewer_scope"]
