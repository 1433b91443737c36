"""`wqm report` end to end: executed notebook, HTML without code, A4 PDF, all or nothing."""

import re

import nbformat
import pytest
import yaml
from pypdf import PdfReader

from wqm_nb.cli import main
from wqm_nb.data import FRAMEWORK_DIR
from wqm_nb.errors import NotebookExecutionError, NotebookParameterError
from wqm_nb.export import render_school, school_stem, slug
from wqm_nb.export.notebooks import execute, notebook_path
from wqm_nb.settings import ReportSettings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered(sample_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert (
        main(["report", "NLT03", "--data", str(sample_db), "--out", str(out), "--as-of", "2026-01-05", "--full"]) == 0
    )
    return out


def test_report_writes_notebook_html_and_pdf(rendered):
    assert sorted(p.name for p in rendered.iterdir()) == [
        "NLT03_2025-26.html",
        "NLT03_2025-26.ipynb",
        "NLT03_2025-26.key.json",
        "NLT03_2025-26.pdf",
        "NLT03_2025-26_appendix.html",
        "NLT03_2025-26_appendix.pdf",
    ]
    nb = nbformat.read(rendered / "NLT03_2025-26.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'school_id = "NLT03"' in injected[0].source and 'year = "2025-26"' in injected[0].source
    assert 'as_of = "2026-01-05"' in injected[0].source
    html = (rendered / "NLT03_2025-26.html").read_text()
    assert "Report date</th><td>2026-01-05</td>" in html and "review date before 2026-01-05" in html


def test_html_has_no_code_and_unique_ids(rendered):
    html = (rendered / "NLT03_2025-26.html").read_text()
    assert "Fellside Primary School" in html and "<svg" in html
    assert "load_school_report" not in html and "from wqm_nb" not in html  # no code cell, no import line
    assert "Consultant notebook" not in html  # markdown notes are for consultants only
    assert "require.js" not in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1}))


def test_pdf_is_a4_and_names_the_school(rendered):
    reader = PdfReader(rendered / "NLT03_2025-26.pdf")
    assert len(reader.pages) >= 3
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Fellside Primary School" in text
    assert "fewer than 5 responses" in text and "At a glance" in text
    appendix = "\n".join(page.extract_text() for page in PdfReader(rendered / "NLT03_2025-26_appendix.pdf").pages)
    assert "Readiness against the award levels" in appendix and "Readiness against the award levels" not in text


@pytest.mark.parametrize(
    "framework, present, absent",
    [
        (
            "vbe",
            [
                "Assessment conclusion",
                "Adviser's suggestions for next steps",
                "Not written yet",
                "No self-evaluation recorded yet",
            ],
            [],
        ),
        (
            "leadership_management",
            ["Key question", "Ofsted expectations", "pupil survey is not mapped"],
            ["Readiness against the award levels"],
        ),
    ],
)
def test_every_framework_renders_html_and_pdf(sample_db, tmp_path, framework, present, absent):
    assert (
        main(["report", "NLT03", "--data", str(sample_db), "--out", str(tmp_path), "--framework", framework, "--full"])
        == 0
    )
    stem = f"NLT03_2025-26_{framework}"
    assert (tmp_path / f"{stem}.pdf").stat().st_size > 10_000
    pdfs = (tmp_path / f"{stem}.pdf", tmp_path / f"{stem}_appendix.pdf")  # the debrief and the appendix together
    text = "\n".join(p.extract_text() for pdf in pdfs for p in PdfReader(pdf).pages)
    html = (tmp_path / f"{stem}.html").read_text() + (tmp_path / f"{stem}_appendix.html").read_text()
    for words in present:
        assert words in html and words.split()[0] in text
    for words in absent:
        assert words not in html


def test_unknown_school_is_a_one_line_error(sample_db, tmp_path, capsys):
    assert main(["report", "NOPE", "--data", str(sample_db), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wqm: error: unknown school 'NOPE' (known: NLT01,") and err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_a_failed_report_leaves_the_older_good_one_alone(sample_db, tmp_path):
    good = ReportSettings(school_id="NLT03", year="2025-26", data=str(sample_db), output=str(tmp_path))
    render_school(good, pdf=False)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(NotebookExecutionError, match="UnknownSchoolError: unknown school 'NLT99'"):
        # the notebook fails inside, after the run has started writing its output
        render_school(good.replace(school_id="NLT99"), pdf=False)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_misspelt_parameter_is_refused(tmp_path):
    with pytest.raises(NotebookParameterError, match="no parameter\\(s\\) school .*its parameters: school_id"):
        execute(notebook_path("school_report.ipynb"), tmp_path / "x.ipynb", {"school": "NLT03"})
    assert not (tmp_path / "x.ipynb").exists()


def test_report_applies_rules_from_a_custom_framework_file(sample_db, tmp_path):
    default = tmp_path / "default"
    assert main(["report", "NLT03", "--data", str(sample_db), "--out", str(default), "--no-pdf"]) == 0
    assert "Does not yet meet the criteria for Approved School" in (default / "NLT03_2025-26.html").read_text()

    doc = yaml.safe_load((FRAMEWORK_DIR / "wqm.yaml").read_text())
    doc["levels"][0]["criteria"].update(min_principle_mean=1.0, min_element_rating=1, min_stakeholder_agreement=0.0)
    relaxed = tmp_path / "relaxed.yaml"
    relaxed.write_text(yaml.safe_dump(doc))
    out = tmp_path / "relaxed"
    assert (
        main(["report", "NLT03", "--data", str(sample_db), "--out", str(out), "--no-pdf", "--framework", str(relaxed)])
        == 0
    )
    html = (out / "NLT03_2025-26_relaxed.html").read_text()
    assert "Meets the criteria for Approved School" in html and "Rules from relaxed.yaml" in html


def test_output_names_cannot_leave_the_output_folder():
    assert school_stem("NLT03", "2025-26") == "NLT03_2025-26"
    assert school_stem("NLT03", "2025-26", "vbe") == "NLT03_2025-26_vbe"
    assert "/" not in school_stem("../../x", "2025-26") and not school_stem("../../x", "..").startswith(".")
    assert slug("../..") == "report" and slug("Northbrook Learning Trust") == "northbrook-learning-trust"


def test_weasyprint_finds_no_duplicate_anchors(rendered, tmp_path, caplog):
    import logging

    from weasyprint import HTML

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        HTML(filename=str(rendered / "NLT03_2025-26.html")).write_pdf(str(tmp_path / "check.pdf"))
    assert "Anchor defined twice" not in caplog.text


def _structure_figures(node, found):
    node = node.get_object()
    if hasattr(node, "get"):
        if node.get("/S") == "/Figure":
            found.append(node.get("/Alt"))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            try:
                _structure_figures(kid, found)
            except AttributeError:
                pass  # marked-content ids
    return found


def test_pdf_is_tagged_with_language_title_and_chart_alt_text(rendered):
    reader = PdfReader(rendered / "NLT03_2025-26.pdf")
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and root["/Lang"] == "en"
    assert reader.metadata.title == (
        "Fellside Primary School: Self-evaluation and stakeholder report, 2025-26 (Wellbeing Quality Mark)"
    )
    alts = _structure_figures(root["/StructTreeRoot"], [])
    assert len(alts) >= 3 and all(alts)
    assert any(a.startswith("Self-evaluation by framing principle: bar chart") and "P7 2.0" in a for a in alts)


def test_html_has_one_h1_and_headings_in_order(rendered):
    html = (rendered / "NLT03_2025-26.html").read_text()
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", html)]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # never skips a level
    assert '<html lang="en">' in html and "<title>Fellside Primary School:" in html


def test_pdfinfo_reports_the_pdf_tagged(rendered):
    import shutil
    import subprocess

    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed; .ci/run installs it")
    info = subprocess.run(
        [pdfinfo, str(rendered / "NLT03_2025-26.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Fellside Primary School", info, re.M)


def test_the_printout_carries_no_widget_state(rendered):
    html = (rendered / "NLT03_2025-26.html").read_text()
    assert "widget-state" not in html and "ToggleButtonsModel" not in html


def test_a_csv_folder_is_read_once_and_the_kept_notebook_names_it(sample_dir, tmp_path, monkeypatch):
    from wqm_nb.export import render as render_module
    from wqm_nb.store import csv_exchange

    reads, ran = [], []
    real_import, real_render = csv_exchange.import_csv_dir, render_module.render_school
    monkeypatch.setattr(csv_exchange, "import_csv_dir", lambda *a, **k: reads.append(a[1]) or real_import(*a, **k))
    monkeypatch.setattr(
        render_module, "render_school", lambda s, **k: ran.append(s.data_cache["data"]) or real_render(s, **k)
    )
    school, year, files = render_module.render_report(
        ReportSettings(school_id="NLT03", data=str(sample_dir), output=str(tmp_path)), pdf=False, full=True
    )
    assert (school["name"], year) == ("Fellside Primary School", "2025-26")
    assert reads == [sample_dir] and ran[0].endswith("scratch.sqlite")  # the notebook read the scratch store
    assert not __import__("pathlib").Path(ran[0]).exists()  # and it is gone
    kept = nbformat.read(str(files.notebook), as_version=4)
    injected = next(c for c in kept.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'data = "{sample_dir}"' in injected.source and f'"data": "{ran[0]}"' in injected.source
    assert kept.metadata.papermill.parameters["data"] == str(sample_dir)  # papermill's record, as it wrote it
    rerun = execute(files.notebook, tmp_path / "rerun.ipynb", {})  # the scratch store is gone: the folder
    assert "Fellside Primary School" in rerun.read_text()
    assert "Computed for this report from the data folder." in files.appendix_html.read_text()


def test_the_debrief_and_the_appendix_come_from_one_run_each_holding_its_part(rendered):
    import subprocess

    from wqm_nb.present.layout import SECTIONS

    debrief = (rendered / "NLT03_2025-26.html").read_text()
    appendix = (rendered / "NLT03_2025-26_appendix.html").read_text()
    assert 'id="at-a-glance"' in debrief and 'id="at-a-glance"' not in appendix
    assert "Ratings and evidence by element" in appendix and "Ratings and evidence by element" not in debrief
    assert "Fellside Primary School</h1>" in debrief and "Fellside Primary School</h1>" in appendix  # both headed
    parts = {s.part for s in SECTIONS}
    assert parts == {"debrief", "appendix", "both"}
    for pdf, most in (("NLT03_2025-26.pdf", 12), ("NLT03_2025-26_appendix.pdf", 30)):
        info = subprocess.run(["pdfinfo", str(rendered / pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
        assert pages <= most and re.search(r"^Tagged:\s+yes$", info, re.M), (pdf, pages)
        assert (rendered / pdf).stat().st_size < 1_000_000
    assert (
        "(appendix)"
        in subprocess.run(
            ["pdfinfo", str(rendered / "NLT03_2025-26_appendix.pdf")], capture_output=True, text=True, check=True
        ).stdout
    )
