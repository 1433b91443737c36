"""`wqm report` end to end: executed notebook, HTML without code, A4 PDF."""
import nbformat
import pytest
from pypdf import PdfReader

from wqm_nb.cli import main


@pytest.fixture(scope="module")
def rendered(sample_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "NLT03", "--data", str(sample_db), "--out", str(out)]) == 0
    return out


def test_report_writes_notebook_html_and_pdf(rendered):
    assert sorted(p.name for p in rendered.iterdir()) == [
        "NLT03_2025-26.html", "NLT03_2025-26.ipynb", "NLT03_2025-26.pdf"]
    nb = nbformat.read(rendered / "NLT03_2025-26.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'school_id = "NLT03"' in injected[0].source


def test_html_has_no_code(rendered):
    html = (rendered / "NLT03_2025-26.html").read_text()
    assert "Fellside Primary School" in html and "<svg" in html
    assert "load_school_report" not in html and "import" not in html
    assert "Consultant notebook" not in html  # markdown notes are for consultants only
    assert "require.js" not in html


def test_pdf_is_a4_and_names_the_school(rendered):
    reader = PdfReader(rendered / "NLT03_2025-26.pdf")
    assert len(reader.pages) >= 3
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Fellside Primary School" in text
    assert "suppressed (n=3)" in text
    assert "Readiness against the award levels" in text


def test_unknown_school_is_a_clear_error(sample_db, tmp_path, capsys):
    assert main(["report", "NOPE", "--data", str(sample_db), "--out", str(tmp_path)]) == 2
    assert "unknown school 'NOPE'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_report_applies_rules_from_a_custom_framework_file(sample_db, tmp_path):
    import yaml

    from wqm_nb.frameworks import FRAMEWORK_DIR

    default = (tmp_path / "default")
    assert main(["report", "NLT03", "--data", str(sample_db), "--out", str(default), "--no-pdf"]) == 0
    assert "Does not yet meet the criteria for Approved School" in (default / "NLT03_2025-26.html").read_text()

    doc = yaml.safe_load((FRAMEWORK_DIR / "wqm.yaml").read_text())
    doc["levels"][0]["criteria"].update(min_principle_mean=1.0, min_element_rating=1,
                                        min_stakeholder_agreement=0.0)
    relaxed = tmp_path / "relaxed.yaml"
    relaxed.write_text(yaml.safe_dump(doc))
    out = tmp_path / "relaxed"
    assert main(["report", "NLT03", "--data", str(sample_db), "--out", str(out), "--no-pdf",
                 "--framework", str(relaxed)]) == 0
    assert "Meets the criteria for <strong>Approved School</strong>" in (out / "NLT03_2025-26.html").read_text()
