"""`wqm serve` over plain HTTP: token, Host check, signed links, clear refusals, no files, the PDF, busy."""
import re
import socket
import time

import pytest

from wqm_nb.serve.app import PdfCache, default_max_kernels, page

pytestmark = pytest.mark.slow


def test_without_the_token_nothing_is_shown(server):
    for path in ("/", "/?school=NLT03", "/login", "/?token=wrong"):
        status, _, body = server.get(path)
        assert status == 403 and b"Fellside" not in body and b"Password" not in body, path


def test_a_foreign_host_is_refused_on_every_route(server):
    for path in (f"/?token={server.token}", "/voila/static/voila.js", "/voila/templates/wqm_app/static/app.css",
                 "/api/kernels/x/channels", "/voila/query/x"):
        for host in ("evil.example", f"evil.example:{server.port}", f"localhost:{server.port + 1}"):
            status, _, body = server.get(path, headers={"Host": host})
            assert status == 403, (path, host)
    assert server.get("/voila/static/voila.js")[0] == 200     # the same route for localhost


def test_a_websocket_upgrade_with_a_foreign_host_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /api/kernels/x/channels HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  b"Sec-WebSocket-Version: 13\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 403")


def test_the_token_opens_any_school_and_year(server):
    status, _, body = server.get(f"/?token={server.token}&school=NLT03&year=2024-25")
    assert status == 200 and b"Fellside Primary School" in body and b"2024-25" in body


def test_a_signed_link_opens_its_school_only(server):
    link = server.links("--schools", "NLT03", "--year", "2025-26")[0]
    query = link.split("?", 1)[1]
    status, _, body = server.get("/?" + query)
    assert status == 200 and b"Fellside Primary School" in body
    for bad in (query.replace("NLT03", "NLT04"), query.replace("2025-26", "2024-25"), query + "&school=NLT04",
                query.replace("sig=", "sig=1")):
        status, _, body = server.get("/?" + bad)
        assert status == 403 and b"Fellside" not in body and b"Beckside" not in body


def test_an_expired_link_is_refused(server):
    link = server.links("--schools", "NLT03", "--expires", "0m")[0]
    time.sleep(1.1)
    assert server.get("/?" + link.split("?", 1)[1])[0] == 403


def test_unknown_school_or_year_is_a_clear_page(server):
    status, _, body = server.get(f"/?token={server.token}&school=NLT99")
    assert status == 404 and b"There is no school NLT99 in this data." in body and b"Traceback" not in body
    status, _, body = server.get(f"/?token={server.token}&school=NLT03&year=2019-20")
    assert status == 404 and b"NLT03 has no data for 2019-20." in body
    assert server.get(f"/?token={server.token}&school=../x")[0] == 400


def test_no_file_is_served(server):
    for path in ("/voila/files/wqm.sqlite", "/files/wqm.sqlite", "/wqm.sqlite", "/serve.log",
                 "/voila/files/school_report.ipynb", "/api/contents", "/tree", "/wqm.sqlite.wqm-secret"):
        status, _, body = server.get(f"{path}?token={server.token}")
        assert status == 404, path
        assert b"SQLite format" not in body


def test_download_pdf_gives_the_report_pdf_for_the_linked_school_only(server):
    query = server.links("--schools", "NLT03", "--year", "2025-26")[0].split("?", 1)[1]
    status, headers, body = server.get("/wqm/pdf?" + query, timeout=300)
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    assert 'filename="NLT03_2025-26.pdf"' in headers["Content-Disposition"]
    assert server.get("/wqm/pdf?" + query.replace("NLT03", "NLT04"))[0] == 403
    assert server.get("/wqm/pdf?school=NLT03")[0] == 403          # no token, no link


def test_refusal_pages_and_helpers():
    assert "<h1>Busy</h1>" in page("Busy", "x") and "&lt;b&gt;" in page("T", "<b>")
    cache = PdfCache(size=2)
    for i in range(3):
        cache.put((i,), bytes([i]))
    assert cache.get((0,)) is None and cache.get((2,)) == b"\x02"
    assert default_max_kernels() >= 2


def test_a_full_server_says_busy_instead_of_starting_more(tmp_path):
    from .conftest import start_server, stop_server

    server = start_server(tmp_path, "--max-kernels", "1", "--no-preheat")
    try:
        first = server.get(f"/?token={server.token}&school=NLT01")
        busy = server.get(f"/?token={server.token}&school=NLT02")
        assert first[0] == 200
        assert busy[0] == 503 and busy[1]["Retry-After"] == "30" and b"try again" in busy[2]
    finally:
        stop_server(server)


def test_public_url_gives_the_origin_to_allow():
    from wqm_nb.errors import SettingsError
    from wqm_nb.serve.app import public_origin

    assert public_origin("https://Wellbeing.Trust.example/reports/") == "https://wellbeing.trust.example"
    assert public_origin("") == ""
    with pytest.raises(SettingsError):
        public_origin("wellbeing.trust.example")


def test_an_abandoned_report_is_culled_and_frees_its_place(tmp_path):
    from .conftest import start_server, stop_server

    server = start_server(tmp_path, "--max-kernels", "1", "--no-preheat", "--cull-idle", "6")
    try:
        assert server.get(f"/?token={server.token}&school=NLT01")[0] == 200   # no websocket: left open
        assert server.get(f"/?token={server.token}&school=NLT02")[0] == 503
        deadline = time.time() + 40
        culled = "seconds of inactivity"          # "Culling 'idle' kernel ... due to N seconds of inactivity"
        while time.time() < deadline and culled not in server.log.read_text():
            time.sleep(0.5)
        assert culled in server.log.read_text()
        status = 503
        while time.time() < deadline + 20 and status == 503:   # the culled kernel finishes shutting down
            status = server.get(f"/?token={server.token}&school=NLT02")[0]
            time.sleep(0.5)
        assert status == 200
    finally:
        stop_server(server)


def test_every_page_has_its_notebook_and_writing_pages_refuse_a_csv_folder(sample_dir, tmp_path):
    from wqm_nb.errors import SettingsError
    from wqm_nb.export.notebooks import notebook_path
    from wqm_nb.serve.app import PAGE_NAMES, PAGE_NOTEBOOKS, prepare_store
    from wqm_nb.serve.links import PAGES

    assert set(PAGE_NOTEBOOKS) == set(PAGES) == set(PAGE_NAMES)
    for name in PAGE_NOTEBOOKS.values():
        assert notebook_path(name).is_file()
    with pytest.raises(SettingsError, match="the capture form writes to a store file.*wqm import"):
        prepare_store(sample_dir, tmp_path, writable=True, what="the capture form")
    assert prepare_store(sample_dir, tmp_path).name == "wqm.sqlite"      # the report reads a copy


def test_wqm_capture_refuses_a_csv_folder_before_serving(sample_dir, capsys):
    from wqm_nb.cli import main

    assert main(["capture", "NLT03", "--data", str(sample_dir)]) == 2
    err = capsys.readouterr().err
    assert "CSV folder" in err and "wqm import" in err and "capture form" in err


def test_wqm_capture_refuses_an_unknown_school_before_serving(sample_db, capsys):
    from wqm_nb.cli import main

    assert main(["capture", "NOPE1", "--data", str(sample_db)]) == 2
    assert "NOPE1" in capsys.readouterr().err


def test_a_revoked_link_is_refused_from_its_next_request(server):
    import subprocess
    import sys

    link = server.links("--schools", "NLT03", "--year", "2025-26")[0]
    query = link.split("?", 1)[1]
    assert server.get("/?" + query)[0] == 200
    link_id = re.search(r"lid=([0-9a-f]{12})", query).group(1)
    subprocess.run([sys.executable, "-m", "wqm_nb.cli", "links", "revoke", link_id, "--data", str(server.data)],
                   check=True, capture_output=True)
    status, _, body = server.get("/?" + query)
    assert status == 403 and b"Fellside" not in body
    assert server.get("/wqm/pdf?" + query)[0] == 403


def test_capture_and_import_links_fetch_no_pdf(capture_server, survey_server):
    for s, page in ((capture_server, "capture"), (survey_server, "survey-import")):
        query = s.links("--schools", "NLT03", "--year", "2025-26")[0].split("?", 1)[1]
        assert s.get("/?" + query)[0] == 200, page                     # the link opens its own page
        status, headers, body = s.get("/wqm/pdf?" + query)
        assert status == 404 and not body.startswith(b"%PDF"), page
        assert s.get(f"/wqm/pdf?token={s.token}&school=NLT03")[0] == 404


def test_download_pdf_serves_a_batch_pdf_only_while_its_key_is_current(tmp_path):
    import shutil
    import subprocess
    import sys

    from .conftest import start_server, stop_server

    out = tmp_path / "pdfs"
    server = start_server(tmp_path, "--max-kernels", "2", "--no-preheat", "--pdf-dir", str(out))
    try:
        subprocess.run([sys.executable, "-m", "wqm_nb.cli", "report", "NLT03", "--data", str(server.data),
                        "--out", str(out)], check=True, capture_output=True)
        made = out / "NLT03_2025-26.pdf"
        marked = made.read_bytes() + b"%% served from the batch folder\n"
        made.write_bytes(marked)                         # a mark, to tell the batch's PDF from a fresh render
        start = time.perf_counter()
        status, _, body = server.get(f"/wqm/pdf?token={server.token}&school=NLT03&year=2025-26")
        assert status == 200 and body == marked and time.perf_counter() - start < 3
        # the data changes: the batch's PDF is no longer current, so the server renders the live one
        from wqm_nb.store import Store

        with Store.open(server.data) as store:
            store.add_note(store.cycle("NLT03", "2025-26", "wqm")["cycle_id"], "a new note", author="t")
        status, _, body = server.get(f"/wqm/pdf?token={server.token}&school=NLT03&year=2025-26", timeout=300)
        assert status == 200 and body.startswith(b"%PDF") and body != marked
        shutil.rmtree(out)
    finally:
        stop_server(server)
