"""HTML building blocks: Fragment, filters, the autoescaped environment and the table macro."""

import math

import pandas as pd

from wqm_nb.present.html import Fragment, Link, Table, cell, environment, is_missing, join, num, pct, render, safe


def table_html(t: Table) -> str:
    return environment().from_string('{% from "_macros.html.j2" import table %}{{ table(t) }}').render(t=t)


def test_fragment_displays_as_html_and_has_a_short_repr():
    f = Fragment("surveys", "<section><p>Hi</p></section>")
    assert f._repr_html_() == "<section><p>Hi</p></section>"
    assert str(f) == f.html
    assert repr(f) == "<wqm surveys>"
    assert bool(f) and not Fragment("empty", "  \n ")


def test_join():
    joined = join([Fragment("a", "<p>1</p>"), Fragment("b", "<p>2</p>")], "both")
    assert joined.name == "both" and joined.html == "<p>1</p><p>2</p>"


def test_pct_num_and_missing_values():
    assert pct(0.5) == "50%" and pct(1) == "100%"
    assert num(3.14159) == "3.1" and num(2, 2) == "2.00"
    for missing in (None, float("nan"), pd.NA, math.nan):
        assert is_missing(missing) and pct(missing) == "" and num(missing) == ""
    assert not is_missing(0) and not is_missing("text")


def test_environment_escapes_text_but_not_safe_html():
    template = environment().from_string("{{ x }}|{{ y }}|{{ v | pct }}|{{ w | num }}")
    out = template.render(x="<script>alert('x')</script>", y=safe("<svg></svg>"), v=0.25, w=float("nan"))
    assert out == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;|<svg></svg>|25%|"


def test_render_names_the_fragment_after_its_template():
    f = render("notes.html.j2", notes=None, year="2025-26")
    assert f.name == "notes" and "No adviser notes for 2025-26." in f.html
    assert render("notes.html.j2", "adviser notes", notes=None, year="x").name == "adviser notes"


def test_table_macro_cells_links_and_escaping():
    t = Table(
        ["Name", "<Status>", "Report"],
        [["<b>A & B</b>", cell("Met", "met"), Link("My <report>.html", "My%20report.html")], ["Plain", "x", 4]],
        css="wqm-table extra",
        caption="Schools",
    )
    html = table_html(t)
    assert '<table class="wqm-table extra">' in html and "<caption>Schools</caption>" in html
    assert '<th scope="col">&lt;Status&gt;</th>' in html
    assert "<td>&lt;b&gt;A &amp; B&lt;/b&gt;</td>" in html and "<b>" not in html
    assert '<td class="met">Met</td>' in html
    assert '<td><a href="My%20report.html">My &lt;report&gt;.html</a></td>' in html
    assert "<td>4</td>" in html
    assert html.count("<tr>") == 3


def test_sections_have_their_id():
    f = render("notes.html.j2", notes=Table(["Date"], [["2025-01-01"]]), year="2025-26")
    assert '<section class="wqm-section" id="notes">' in f.html
    assert "<h2>Adviser notes</h2>" in f.html and "<td>2025-01-01</td>" in f.html


def test_a_header_passes_the_document_title_as_data_not_as_html_to_parse():
    import nbformat
    from IPython.core.formatters import DisplayFormatter

    from wqm_nb.export.render import document_title

    header = Fragment("header", "<header><h1>Not the title</h1></header>", "Fellside: report, 2025-26 (WQM)")
    data, metadata = DisplayFormatter().format(header)
    out = nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=1)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("report.header()", outputs=[out])])
    assert data["text/html"] == header.html
    assert document_title(nb) == "Fellside: report, 2025-26 (WQM)"
    plain = nbformat.v4.new_output(
        "execute_result", data=DisplayFormatter().format(Fragment("x", "<h1>a</h1>"))[0], execution_count=1
    )
    assert document_title(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[plain])])) == ""
