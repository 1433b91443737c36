"""Reports as files: executed notebook, HTML without code, A4 PDF.

:func:`render_school` and :func:`render_group` run the packaged notebooks
with papermill, convert the result to HTML with the ``wqm_report`` nbconvert
template and print it to PDF with WeasyPrint. Everything is written under a
temporary name inside the output folder and renamed into place only when the
whole report succeeded, so a failed run never leaves a half-written file next
to an older good report.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import RenderError
from ..settings import DEFAULT_FRAMEWORK, GroupSettings, ReportSettings
from .notebooks import (
    GROUP_NOTEBOOK,
    INTERACTIVE_TAG,
    SCHOOL_NOTEBOOK,
    TEMPLATE_NAME,
    execute,
    nbconvert_template_dir,
    notebook_path,
)
from .report_key import key_of, write_key


@dataclass
class ReportFiles:
    notebook: Path
    html: Path | None = None
    pdf: Path | None = None
    #: the appendix (``--full``): the same run's appendix sections, printed a second time
    appendix_html: Path | None = None
    appendix_pdf: Path | None = None


def slug(text: str) -> str:
    """A file-name-safe slug: letters, digits and '-' only, never empty."""
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "report"


def school_stem(school_id: str, year: str, framework: str = DEFAULT_FRAMEWORK) -> str:
    """``NLT03_2025-26`` (``NLT03_2025-26_vbe`` for another framework): a slug that cannot leave the output folder."""
    suffix = "" if framework == DEFAULT_FRAMEWORK else f"_{_safe_name(Path(framework).stem)}"
    return f"{_safe_name(school_id)}_{slug(year)}{suffix}"


def group_stem(trust: str = "") -> str:
    """``group_overview`` (``group_overview_<trust slug>`` for one trust)."""
    return f"group_overview_{slug(trust)}" if trust else "group_overview"


def remove_partial_files(out_dir: Path, stems: Iterable[str]) -> None:
    """Remove what an interrupted run left half-made in ``out_dir`` for ``stems``: the hidden ``.<stem>.*``
    work folders and temporary files, which a finished run renames into place or removes itself.

    Call it only once no process is still writing those reports (a batch, after its pool is closed).
    """
    out_dir = Path(out_dir)
    for stem in stems:
        for left in out_dir.glob(f".{glob.escape(stem)}.*"):
            if left.is_dir() and not left.is_symlink():
                shutil.rmtree(left, ignore_errors=True)
            else:
                left.unlink(missing_ok=True)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "report"


def document_title(nb) -> str:
    """The report's title, as its header displayed it (``wqm.document_title`` in the output's metadata,
    see :class:`~wqm_nb.present.html.Fragment`); '' if no output carries one."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            metadata = out.get("metadata", {})
            for entry in (metadata, metadata.get("text/html", {})):
                title = entry.get("wqm", {}).get("document_title") if isinstance(entry, dict) else None
                if title:
                    return str(title)
    return ""


#: What each printed part leaves out: the cells of the other part (``present.layout``'s parts, as cell tags).
PART_REMOVES = {"debrief": {"appendix"}, "appendix": {"debrief"}, None: set()}


def _empty(output) -> bool:
    """A display whose HTML is blank (an empty report fragment)."""
    data = output.get("data", {})
    return (
        output.get("output_type") in ("display_data", "execute_result")
        and "text/html" in data
        and not str(data["text/html"]).strip()
    )


def to_html(ipynb: Path, html: Path, part: str | None = None) -> Path:
    """HTML without code, markdown notes or prompts, with the report template; ``part``: only the cells of
    the debrief or the appendix (and those of both), else every cell."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(ipynb), as_version=4)
    for cell in nb.cells:  # warnings on stderr are for the analyst, not the reader
        if cell.get("outputs"):
            cell.outputs = [
                o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    nb.metadata["title"] = (document_title(nb) or ipynb.stem) + (" (appendix)" if part == "appendix" else "")
    # a section with nothing to say this year (an empty fragment) prints nothing, not an empty block
    nb.cells = [c for c in nb.cells if not (c.get("outputs") and all(_empty(o) for o in c.outputs))]
    nb.metadata.pop("widgets", None)  # the interactive app's state: no use, and a hidden copy, in a printout
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(nbconvert_template_dir())],
        exclude_input=True,
        exclude_markdown=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    # the interactive app is for Voila and JupyterLab; the printed report is the static cells
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={INTERACTIVE_TAG, *PART_REMOVES[part]}), enabled=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": ipynb.stem}})
    html.write_text(body, encoding="utf-8")
    return html


def to_pdf(html: Path, pdf: Path) -> Path:
    """Render the report HTML to a tagged (PDF/UA-1) A4 PDF (page size comes from the CSS)."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        # PDF/UA: a tagged PDF with a structure tree, the document language and title,
        # and each chart's <title> as its alternative text
        HTML(filename=str(html), base_url=str(html.parent)).write_pdf(str(pdf), pdf_variant="pdf/ua-1")
    except Exception as exc:  # noqa: BLE001 - WeasyPrint raises many kinds; report them as one
        raise RenderError(f"{html.name}: PDF rendering failed: {type(exc).__name__}: {exc}") from exc
    return pdf


#: Runs a notebook with parameters into an output file: :func:`execute` (a fresh kernel) or a warm kernel's.
NotebookRunner = Callable[[Path, Path, dict], Path]


def render(
    notebook: Path,
    out_dir: Path,
    stem: str,
    parameters: dict,
    html: bool = True,
    pdf: bool = True,
    run_notebook: NotebookRunner = execute,
    parts: bool = False,
    full: bool = False,
) -> ReportFiles:
    """Execute, convert and print one report into ``out_dir`` as ``stem.*``, all or nothing.

    ``run_notebook`` executes the notebook: papermill with a fresh kernel unless
    a batch worker passes its warm kernel's (:class:`wqm_nb.export.kernels.WarmKernel`). With ``parts``
    (a school report) the HTML and PDF hold the debrief, and with ``full`` the same run's appendix is
    printed too, as ``stem_appendix.*``.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{stem}.", dir=out_dir))
    try:
        files = ReportFiles(notebook=run_notebook(notebook, work / f"{stem}.ipynb", parameters))
        if html or pdf:
            files.html = to_html(files.notebook, work / f"{stem}.html", "debrief" if parts else None)
            if pdf:
                files.pdf = to_pdf(files.html, work / f"{stem}.pdf")
            if parts and full:
                files.appendix_html = to_html(files.notebook, work / f"{stem}_appendix.html", "appendix")
                if pdf:
                    files.appendix_pdf = to_pdf(files.appendix_html, work / f"{stem}_appendix.pdf")
        final = ReportFiles(notebook=out_dir / files.notebook.name)
        for attr in ("notebook", "html", "pdf", "appendix_html", "appendix_pdf"):
            made = getattr(files, attr)
            if made is not None:
                target = out_dir / made.name
                os.replace(made, target)
                setattr(final, attr, target)
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render_school(
    settings: ReportSettings, pdf: bool = True, run_notebook: NotebookRunner = execute, full: bool = False
) -> ReportFiles:
    """One school's report: ``{school}_{year}.ipynb/.html/.pdf`` (the debrief) in ``settings.output``, and with
    ``full`` the appendix ``{school}_{year}_appendix.html/.pdf`` from the same run.

    ``settings.year`` must be set (the CLI and batch resolve "latest" first).
    """
    if not settings.year:
        raise RenderError("render_school needs the academic year; resolve the latest year first")
    stem = school_stem(settings.school_id, settings.year, settings.framework)
    return render(
        notebook_path(SCHOOL_NOTEBOOK),
        Path(settings.output),
        stem,
        settings.to_parameters(),
        pdf=pdf,
        run_notebook=run_notebook,
        parts=True,
        full=full,
    )


def render_report(settings: ReportSettings, pdf: bool = True, full: bool = False) -> tuple[dict, str, ReportFiles]:
    """What ``wqm report`` does: the school (its store row), the year (the latest when ``settings.year`` is
    empty) and its report files.

    A CSV folder is read once: imported into a scratch store in a temporary
    folder (:func:`~wqm_nb.store.build_database` with ``scratch``), which the
    notebook reads as its ``data_cache``; its ``data`` parameter names the
    folder, so the kept notebook re-runs from it. A store file is only read.
    """
    from ..store import Store, build_database

    data = settings.data_path
    with tempfile.TemporaryDirectory(prefix="wqm-report-") as scratch_dir:
        store_path = build_database(data, Path(scratch_dir) / "scratch.sqlite", scratch=True) if data.is_dir() else data
        with Store.open(store_path, read_only=True) as store:
            school = store.school(settings.school_id)
            year = store.school_year(settings.school_id, settings.year or None)["academic_year"]
        ran = settings.replace(
            data=str(data), year=year, data_cache={"data": str(store_path)} if store_path != data else {}
        )
        files = render_school(ran, pdf=pdf, full=full)
        if files.pdf is not None:
            write_key(files.pdf, key_of(ran.reading()))
    return school, year, files


def render_group(settings: GroupSettings, pdf: bool = True, run_notebook: NotebookRunner = execute) -> ReportFiles:
    """The group overview: ``group_overview[_{trust}].*`` in ``settings.output``."""
    stem = group_stem(settings.trust)
    return render(
        notebook_path(GROUP_NOTEBOOK),
        Path(settings.output),
        stem,
        settings.to_parameters(),
        pdf=pdf,
        run_notebook=run_notebook,
    )
