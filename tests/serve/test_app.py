"""`wqm serve` over plain HTTP: token, Host check, signed links, clear refusals, no files, the PDF; past the
cap a static page (its own school only) that turns live when a place frees, a report link's two places, the
forms' line, and an open tab left unused culled."""

import asyncio
import http.client
import json
import re
import socket
import time
import uuid
from html.parser import HTMLParser

import pytest

from wqm_nb.serve.app import PdfCache, default_max_kernels, page

pytestmark = pytest.mark.slow

#: every school of the sample data, by id
SCHOOLS = {
    "NLT01": "Ashgrove Primary School",
    "NLT02": "Beckside Primary School",
    "NLT03": "Fellside Primary School",
    "NLT04": "Kingsmead Primary Academy",
    "NLT05": "Larkspur Primary School",
    "NLT06": "Northbrook Academy",
    "NLT07": "St Aidan's High School",
    "NLT08": "Oakfield Primary School",
}


def test_without_the_token_nothing_is_shown(server):
    for path in ("/", "/?school=NLT03", "/login", "/?token=wrong"):
        status, _, body = server.get(path)
        assert status == 403 and b"Fellside" not in body and b"Password" not in body, path


def test_a_foreign_host_is_refused_on_every_route(server):
    for path in (
        f"/?token={server.token}",
        "/voila/static/voila.js",
        "/voila/templates/wqm_app/static/app.css",
        "/api/kernels/x/channels",
        "/voila/query/x",
    ):
        for host in ("evil.example", f"evil.example:{server.port}", f"localhost:{server.port + 1}"):
            status, _, body = server.get(path, headers={"Host": host})
            assert status == 403, (path, host)
    assert server.get("/voila/static/voila.js")[0] == 200  # the same route for localhost


def test_a_websocket_upgrade_with_a_foreign_host_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"GET /api/kernels/x/channels HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        assert s.recv(100).startswith(b"HTTP/1.1 403")


def test_the_token_opens_any_school_and_year(server):
    status, _, body = server.get(f"/?token={server.token}&school=NLT03&year=2024-25")
    assert status == 200 and b"Fellside Primary School" in body and b"2024-25" in body


def test_a_signed_link_opens_its_school_only(server):
    link = server.links("--schools", "NLT03", "--year", "2025-26")[0]
    query = link.split("?", 1)[1]
    status, _, body = server.get("/?" + query)
    assert status == 200 and b"Fellside Primary School" in body
    for bad in (
        query.replace("NLT03", "NLT04"),
        query.replace("2025-26", "2024-25"),
        query + "&school=NLT04",
        query.replace("sig=", "sig=1"),
    ):
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
    for path in (
        "/voila/files/wqm.sqlite",
        "/files/wqm.sqlite",
        "/wqm.sqlite",
        "/serve.log",
        "/voila/files/school_report.ipynb",
        "/api/contents",
        "/tree",
        "/wqm.sqlite.wqm-secret",
    ):
        status, _, body = server.get(f"{path}?token={server.token}")
        assert status == 404, path
        assert b"SQLite format" not in body


def test_download_pdf_gives_the_report_pdf_for_the_linked_school_only(server):
    query = server.links("--schools", "NLT03", "--year", "2025-26")[0].split("?", 1)[1]
    status, headers, body = server.get("/wqm/pdf?" + query, timeout=300)
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    assert 'filename="NLT03_2025-26.pdf"' in headers["Content-Disposition"]
    assert server.get("/wqm/pdf?" + query.replace("NLT03", "NLT04"))[0] == 403
    assert server.get("/wqm/pdf?school=NLT03")[0] == 403  # no token, no link
    # the appendix of what the link shows, by its own name; another part is refused
    status, headers, appendix = server.get("/wqm/pdf?" + query + "&part=appendix", timeout=300)
    assert status == 200 and appendix.startswith(b"%PDF") and appendix != body
    assert 'filename="NLT03_2025-26_appendix.pdf"' in headers["Content-Disposition"]
    assert server.get("/wqm/pdf?" + query + "&part=everything")[0] == 400
    assert server.get("/wqm/pdf?" + query.replace("NLT03", "NLT04") + "&part=appendix")[0] == 403


def test_refusal_pages_and_helpers():
    assert "<h1>Busy</h1>" in page("Busy", "x") and "&lt;b&gt;" in page("T", "<b>")
    cache = PdfCache(size=2)
    for i in range(3):
        cache.put((i,), bytes([i]))
    assert cache.get((0,)) is None and cache.get((2,)) == b"\x02"
    assert default_max_kernels() >= 2


def test_by_default_a_report_server_keeps_one_kernel_ready_per_place_up_to_four_and_a_form_one():
    from wqm_nb.serve.app import default_ready, voila_config

    assert [default_ready(cap) for cap in (2, 4, 8)] == [2, 4, 4]
    assert default_ready(8, "capture") == default_ready(8, "survey-import") == 1
    config = voila_config(8866, "t", preheat=True, ready=default_ready(4))
    assert config.VoilaConfiguration.default_pool_size == 4 and config.VoilaConfiguration.preheat_kernel


def test_public_url_gives_the_origin_to_allow():
    from wqm_nb.errors import SettingsError
    from wqm_nb.serve.app import public_origin

    assert public_origin("https://Wellbeing.Trust.example/reports/") == "https://wellbeing.trust.example"
    assert public_origin("") == ""
    with pytest.raises(SettingsError):
        public_origin("wellbeing.trust.example")


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
    assert prepare_store(sample_dir, tmp_path).name == "wqm.sqlite"  # the report reads a copy


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
    subprocess.run(
        [sys.executable, "-m", "wqm_nb.cli", "links", "revoke", link_id, "--data", str(server.data)],
        check=True,
        capture_output=True,
    )
    status, _, body = server.get("/?" + query)
    assert status == 403 and b"Fellside" not in body
    assert server.get("/wqm/pdf?" + query)[0] == 403


def test_capture_and_import_links_fetch_no_pdf(capture_server, survey_server):
    for s, page_name in ((capture_server, "capture"), (survey_server, "survey-import")):
        query = s.links("--schools", "NLT03", "--year", "2025-26")[0].split("?", 1)[1]
        assert s.get("/?" + query)[0] == 200, page_name  # the link opens its own page
        status, headers, body = s.get("/wqm/pdf?" + query)
        assert status == 404 and not body.startswith(b"%PDF"), page_name
        assert s.get(f"/wqm/pdf?token={s.token}&school=NLT03")[0] == 404


def test_download_pdf_serves_a_batch_pdf_only_while_its_key_is_current(tmp_path):
    import shutil
    import subprocess
    import sys

    from .conftest import start_server, stop_server

    out = tmp_path / "pdfs"
    server = start_server(tmp_path, "--max-kernels", "2", "--no-preheat", "--pdf-dir", str(out))
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "wqm_nb.cli",
                "report",
                "NLT03",
                "--data",
                str(server.data),
                "--out",
                str(out),
                "--full",
            ],
            check=True,
            capture_output=True,
        )
        made, appendix = out / "NLT03_2025-26.pdf", out / "NLT03_2025-26_appendix.pdf"
        marked = made.read_bytes() + b"%% served from the batch folder\n"
        made.write_bytes(marked)  # a mark, to tell the batch's PDF from a fresh render
        appendix_marked = appendix.read_bytes() + b"%% the appendix from the batch folder\n"
        appendix.write_bytes(appendix_marked)
        start = time.perf_counter()
        status, _, body = server.get(f"/wqm/pdf?token={server.token}&school=NLT03&year=2025-26")
        assert status == 200 and body == marked and time.perf_counter() - start < 3
        status, _, body = server.get(f"/wqm/pdf?token={server.token}&school=NLT03&year=2025-26&part=appendix")
        assert status == 200 and body == appendix_marked  # the same run's appendix, while the debrief's key holds
        # the data changes: the batch's PDF is no longer current, so the server renders the live one
        from wqm_nb.store import Store

        with Store.open(server.data) as store:
            store.add_note(store.cycle("NLT03", "2025-26", "wqm")["cycle_id"], "a new note", author="t")
        status, _, body = server.get(f"/wqm/pdf?token={server.token}&school=NLT03&year=2025-26", timeout=300)
        assert status == 200 and body.startswith(b"%PDF") and body != marked
        shutil.rmtree(out)
    finally:
        stop_server(server)


# --------------------------------------------------------------------------
# past the cap: the static page, a report link's two places, the forms' line, culling


class Viewer:
    """One browser over plain HTTP: it keeps the cookies it is given and sends each only to its path."""

    def __init__(self, server) -> None:
        self.server = server
        self.jar: dict[tuple[str, str], str] = {}  # (name, path) -> value

    def cookies_for(self, path: str) -> dict[str, str]:
        sent: dict[str, str] = {}
        for (name, cookie_path), value in sorted(self.jar.items(), key=lambda item: len(item[0][1])):
            if path == cookie_path or path.startswith(cookie_path.rstrip("/") + "/") or cookie_path == "/":
                sent[name] = value  # the most specific path last, as a browser sends
        return sent

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 120
    ) -> tuple[int, dict, str]:
        cookies = self.cookies_for(path.split("?", 1)[0])
        all_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        all_headers.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            for set_cookie in response.headers.get_all("Set-Cookie") or []:
                name, value = set_cookie.split(";", 1)[0].split("=", 1)
                found = re.search(r";\s*Path=([^;]+)", set_cookie, re.I)
                self.jar[(name, found.group(1) if found else "/")] = value
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def get(self, path: str, timeout: float = 120) -> tuple[int, dict, str]:
        return self.request("GET", path, timeout=timeout)

    def settled(self, path: str, seconds: float = 120) -> tuple[int, dict, str]:
        """The page as a browser ends up showing it: "preparing the report" is followed, as its refresh would."""
        deadline = time.monotonic() + seconds
        while True:
            status, headers, html = self.get(path)
            if "<title>Preparing the report</title>" not in html or time.monotonic() > deadline:
                return status, headers, html
            time.sleep(1)

    def place(self, query: str) -> dict:
        status, _, body = self.get("/wqm/place?" + query)
        assert status == 200, (status, body)
        return json.loads(body)

    def close(self, kernel_id: str) -> None:
        """What the page does when its tab closes: post to /voila/api/shutdown/<id> with its _xsrf."""
        xsrf = self.cookies_for("/").get("_xsrf", "")
        status, _, _ = self.request(
            "POST",
            f"/voila/api/shutdown/{kernel_id}",
            body=f"_xsrf={xsrf}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        assert status == 204, status


def kernel_of(html: str) -> str | None:
    """The kernel id of a live page ('' for the static page)."""
    found = re.search(r'"kernelId": "([0-9a-f-]{36})"', html)
    return found.group(1) if found else None


def query_of(link: str) -> str:
    return link.split("?", 1)[1]


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lang, self.titles, self.h1, self.images_without_alt, self.scripts, self.refresh = None, 0, 0, 0, 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.lang = attrs.get("lang") if tag == "html" else self.lang
        self.titles += tag == "title"
        self.h1 += tag == "h1"
        self.images_without_alt += tag == "img" and not attrs.get("alt")
        self.scripts += tag == "script"
        if tag == "meta" and attrs.get("http-equiv") == "refresh":
            self.refresh = int(attrs["content"])


def accessible(html: str) -> Outline:
    """lang, a title, exactly one h1, alt text on every image."""
    found = Outline()
    found.feed(html)
    assert found.lang == "en" and found.titles >= 1 and found.h1 == 1 and found.images_without_alt == 0
    return found


def only_school(html: str, school: str) -> None:
    """The page shows ``school`` and no other school of the data."""
    import html as html_module

    assert (
        f"<h1>{html_module.escape(SCHOOLS[school])}</h1>" in html.replace("&#x27;", "'").replace("&#39;", "'")
        or f"<h1>{SCHOOLS[school]}</h1>" in html
    )
    for other, name in SCHOOLS.items():
        if other != school:
            assert name not in html and html_module.escape(name) not in html, name


def wait_for(condition, seconds: float, message: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(message)


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory):
    """Three live places, kernels started per page (so what holds a place is exactly what the test opened)."""
    from .conftest import start_server, stop_server

    server = start_server(tmp_path_factory.mktemp("capped"), "--max-kernels", "3", "--no-preheat")
    yield server
    stop_server(server)


def test_past_the_cap_a_report_link_gets_its_own_school_as_a_static_page_that_turns_live(capped_server):
    s = capped_server
    consultant = Viewer(s)
    kernels = []
    for school in ("NLT01", "NLT02", "NLT04"):  # every place taken
        status, _, html = consultant.get(f"/?token={s.token}&school={school}")
        assert status == 200 and kernel_of(html), school
        kernels.append(kernel_of(html))
    assert "/voila/templates/wqm_app/static/reopen.js" in html  # a live page offers to reopen when culled

    query = query_of(s.links("--schools", "NLT03", "--year", "2025-26")[0])
    leader = Viewer(s)
    status, headers, html = leader.settled("/?" + query)
    assert status == 200 and "Retry-After" not in headers and kernel_of(html) is None
    only_school(html, "NLT03")
    assert "Wellbeing Quality Mark report, 2025-26" in html and "live view" in html
    assert accessible(html).scripts == 1 and "<noscript>" in html  # its one script, and without it
    assert "wqm-wait" in {name for name, _ in leader.jar}

    assert leader.place(query) == {"free": False, "position": 1}
    assert Viewer(s).get("/wqm/place?" + query.replace("NLT03", "NLT04"))[0] == 403  # the same checks as the page
    assert Viewer(s).get("/wqm/place?school=NLT03")[0] == 403

    consultant.close(kernels.pop(0))  # a tab closes: its place frees at once
    assert leader.place(query) == {"free": True, "position": 0}
    newcomer = Viewer(s)
    assert kernel_of(newcomer.settled(f"/?token={s.token}&school=NLT06")[2]) is None  # kept for the leader
    assert newcomer.get(f"/wqm/place?token={s.token}&school=NLT06&wqm=leave")[0] == 204  # its tab closes
    status, _, html = leader.get("/?" + query)  # the static page's reload
    assert status == 200 and kernel_of(html)
    leader.close(kernel_of(html))
    for kernel in kernels:
        consultant.close(kernel)


def test_a_report_link_holds_two_live_places_and_a_third_tab_gets_the_static_page(capped_server):
    s = capped_server
    query = query_of(s.links("--schools", "NLT05", "--year", "2025-26")[0])
    tabs = [Viewer(s) for _ in range(3)]
    kernels = []
    for tab in tabs[:2]:
        status, _, html = tab.get("/?" + query)
        assert status == 200 and kernel_of(html)
        kernels.append(kernel_of(html))
    status, _, html = tabs[2].settled("/?" + query)
    assert status == 200 and kernel_of(html) is None
    only_school(html, "NLT05")
    assert tabs[2].place(query) == {"free": False, "position": 0}  # its own two first: no place in line
    consultant = Viewer(s)  # the cap had room: only the link was refused
    status, _, html = consultant.get(f"/?token={s.token}&school=NLT01")
    consultant_kernel = kernel_of(html)
    assert consultant_kernel
    tabs[0].close(kernels[0])
    assert tabs[2].place(query)["free"]  # one of its own closed: its turn
    status, _, html = tabs[2].get("/?" + query)
    assert kernel_of(html)
    for tab, kernel in ((tabs[2], kernel_of(html)), (tabs[1], kernels[1]), (consultant, consultant_kernel)):
        tab.close(kernel)


def test_capture_past_the_cap_gets_a_queue_page_that_tries_again_by_itself(tmp_path):
    from .conftest import start_server, stop_server

    s = start_server(
        tmp_path,
        "--year",
        "2025-26",
        "--max-kernels",
        "1",
        "--no-preheat",
        command=("capture", "NLT03"),
        notebook="sef_capture.ipynb",
        link_args=("--page", "capture"),
    )
    try:
        query = query_of(s.links("--schools", "NLT03", "--year", "2025-26")[0])
        first, second, third = Viewer(s), Viewer(s), Viewer(s)
        status, _, html = first.get("/?" + query)
        kernel = kernel_of(html)
        assert status == 200 and kernel
        consultant_page = f"/?token={s.token}&school=NLT03"
        for viewer, position in ((second, 1), (third, 2)):
            status, headers, html = viewer.get(consultant_page)
            assert status == 200 and "Retry-After" not in headers and kernel_of(html) is None
            found = accessible(html)
            assert found.refresh == 5 and found.scripts == 0  # it tries again without script
            assert "<title>Waiting for a place</title>" in html and f"You are number {position} in line." in html
            assert "opens the capture form" in html
        assert "You are number 1 in line." in second.get(consultant_page)[2]  # its refresh keeps its place
        first.close(kernel)
        assert "You are number 2 in line." in third.get(consultant_page)[2]  # the first in line goes first
        status, _, html = second.get(consultant_page)
        assert status == 200 and kernel_of(html)  # the form, live
        second.close(kernel_of(html))
        status, _, html = third.get(consultant_page)
        assert kernel_of(html)
        third.close(kernel_of(html))
    finally:
        stop_server(s)


def test_an_open_tab_left_unused_is_culled_and_its_place_goes_to_the_one_waiting(tmp_path):
    """cull_connected: the kernel of an open, connected tab is culled after --cull-idle seconds; its websocket is
    closed with 4001 (the page then offers to reopen), and the viewer waiting on the static page gets the place."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    from wqm_nb.serve.kernels import KERNEL_ENDED

    from .conftest import start_server, stop_server

    s = start_server(tmp_path, "--max-kernels", "1", "--no-preheat", "--cull-idle", "8", "--cull-interval", "1")
    try:
        reader, waiting = Viewer(s), Viewer(s)
        status, _, html = reader.get(f"/?token={s.token}&school=NLT01")
        kernel = kernel_of(html)
        assert status == 200 and kernel

        async def connected_until_closed() -> int | None:
            url = f"ws://127.0.0.1:{s.port}/api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}"
            cookies = reader.cookies_for(f"/api/kernels/{kernel}/channels")
            ws = await websocket_connect(
                HTTPRequest(url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}),
                subprotocols=["v1.kernel.websocket.jupyter.org"],
            )
            # past the cap: the report as a page (or "preparing the report" while it renders), a place in line
            status, _, html = await asyncio.to_thread(waiting.get, f"/?token={s.token}&school=NLT02")
            assert status == 200 and kernel_of(html) is None and "wqm-wait" in {n for n, _ in waiting.jar}
            assert "<h1>Beckside Primary School</h1>" in html or "<title>Preparing the report</title>" in html
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                if await asyncio.wait_for(ws.read_message(), deadline - time.monotonic()) is None:
                    return ws.close_code
            return None

        assert asyncio.run(asyncio.wait_for(connected_until_closed(), 120)) == KERNEL_ENDED
        assert re.search(
            r"Culling 'idle' kernel .* with 1 connections due to \d+ seconds of inactivity", s.log.read_text()
        )
        assert waiting.place(f"token={s.token}&school=NLT02") == {"free": True, "position": 0}
        status, _, html = waiting.get(f"/?token={s.token}&school=NLT02")
        assert status == 200 and kernel_of(html)
    finally:
        stop_server(s)


def test_kernels_kept_ready_are_given_first_and_the_pool_follows_the_free_places():
    """WqmKernelManager's view of Voila's pool (no server: a pool of finished and running tasks)."""
    from functools import partial
    from types import SimpleNamespace

    from wqm_nb.serve.kernels import WqmKernelManager

    async def scenario():
        loop = asyncio.get_running_loop()
        done, running = loop.create_future(), loop.create_future()
        done.set_result({"kernel_id": "ready"})
        filled = []
        manager = SimpleNamespace(
            _pools={"nb.ipynb": [running, done]},
            notebook_path="nb.ipynb",
            kernel_pools_config={"default": {"pool_size": 1}},
            fill_if_needed=lambda **kwargs: filled.append(kwargs),
        )
        manager._pool = partial(WqmKernelManager._pool, manager)
        assert WqmKernelManager.ready_count(manager) == 1
        WqmKernelManager.ready_first(manager)
        assert manager._pools["nb.ipynb"] == [done, running]  # the next page takes the ready one
        WqmKernelManager.keep_ready(manager, 2)
        assert filled == [] and manager.kernel_pools_config["default"]["pool_size"] == 2  # two there already
        WqmKernelManager.keep_ready(manager, 4)
        assert filled == [{"notebook_name": "nb.ipynb"}] and manager.kernel_pools_config["default"]["pool_size"] == 4
        running.cancel()
        assert WqmKernelManager.ready_count(manager) == 1
        none = SimpleNamespace(notebook_path=None)  # no preheating: nothing kept ready
        none._pool = partial(WqmKernelManager._pool, none)
        assert WqmKernelManager.ready_count(none) is None
        WqmKernelManager.keep_ready(none, 3)

    asyncio.run(scenario())
