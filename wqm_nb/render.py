"""Run a parameterised notebook with papermill and turn it into a report:
executed ``.ipynb``, HTML without code, and an A4 PDF (WeasyPrint).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .report import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
TEMPLATE_DIR = REPO_ROOT / "templates"
SCHOOL_NOTEBOOK = NOTEBOOK_DIR / "school_report.ipynb"
GROUP_NOTEBOOK = NOTEBOOK_DIR / "group_overview.ipynb"
TEMPLATE_NAME = "wqm_report"


@dataclass
class ReportFiles:
    notebook: Path
    html: Path | None = None
    pdf: Path | None = None


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def execute(notebook: Path, output: Path, parameters: dict, kernel_name: str | None = None) -> Path:
    """Execute ``notebook`` with ``parameters`` injected; raise on a cell error."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    # No `cwd=`: papermill implements it with a process-wide chdir, which races
    # between batch threads. The notebooks use no relative paths.
    papermill.execute_notebook(str(notebook), str(output), parameters=parameters,
                               kernel_name=kernel_name, progress_bar=False, log_output=False,
                               # the kernel is local and short-lived; its TCP warning is noise
                               extra_arguments=["--IPKernelApp.log_level=ERROR"])
    return output


def to_html(ipynb: Path, html: Path) -> Path:
    """HTML without code, markdown notes or prompts, with the report template."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(ipynb), as_version=4)
    for cell in nb.cells:  # warnings on stderr are for the analyst, not the reader
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream"
                                                            and o.get("name") == "stderr")]
    exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATE_DIR)],
                            exclude_input=True, exclude_markdown=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": ipynb.stem}})
    html.write_text(body, encoding="utf-8")
    return html


def to_pdf(html: Path, pdf: Path) -> Path:
    """Render the report HTML to an A4 PDF (page size comes from the CSS)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(filename=str(html), base_url=str(html.parent)).write_pdf(str(pdf))
    return pdf


def render(notebook: Path, out_dir: Path, stem: str, parameters: dict, html: bool = True,
           pdf: bool = True) -> ReportFiles:
    out_dir = Path(out_dir).resolve()
    files = ReportFiles(notebook=execute(notebook, out_dir / f"{stem}.ipynb", parameters))
    if html or pdf:
        files.html = to_html(files.notebook, out_dir / f"{stem}.html")
    if pdf:
        files.pdf = to_pdf(files.html, out_dir / f"{stem}.pdf")
    return files


def school_stem(school_id: str, academic_year: str) -> str:
    return f"{school_id}_{academic_year}"


def render_school(school_id: str, academic_year: str, data: str | Path, out_dir: str | Path,
                  min_group_size: int = 5, pdf: bool = True, framework: str = "wqm") -> ReportFiles:
    """The school report for one cycle: ``{school}_{year}.ipynb/.html/.pdf`` in ``out_dir``."""
    framework = str(Path(framework).resolve()) if Path(framework).suffix in (".yaml", ".yml") else framework
    params = dict(school_id=school_id, cycle=academic_year, data=str(Path(data).resolve()),
                  min_group_size=int(min_group_size), framework=framework)
    return render(SCHOOL_NOTEBOOK, Path(out_dir), school_stem(school_id, academic_year), params, pdf=pdf)


def render_group(data: str | Path, out_dir: str | Path, academic_year: str = "", trust: str = "",
                 min_group_size: int = 5, pdf: bool = True, report_links: dict[str, str] | None = None,
                 framework: str = "wqm") -> ReportFiles:
    params = dict(data=str(Path(data).resolve()), cycle=academic_year, trust=trust,
                  min_group_size=int(min_group_size), report_links=report_links or {}, framework=framework)
    stem = f"group_overview_{slug(trust)}" if trust else "group_overview"
    return render(GROUP_NOTEBOOK, Path(out_dir), stem, params, pdf=pdf)
