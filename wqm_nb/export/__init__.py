"""Export surface: reports as files (executed notebook, HTML, A4 PDF).

Runs the packaged notebooks (:mod:`.notebooks`; in a kept-alive kernel with
:mod:`.kernels`) and converts their output (:mod:`.render`). Imports the
layers below lazily where they are heavy (papermill, nbconvert, WeasyPrint
are imported inside the functions).
"""

from .notebooks import GROUP_NOTEBOOK, SCHOOL_NOTEBOOK, execute, notebook_path, resource_dir
from .render import ReportFiles, render_group, render_school, school_stem, slug

__all__ = [
    "GROUP_NOTEBOOK",
    "SCHOOL_NOTEBOOK",
    "ReportFiles",
    "execute",
    "notebook_path",
    "render_group",
    "render_school",
    "resource_dir",
    "school_stem",
    "slug",
]
