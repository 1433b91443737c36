"""No tracebacks to viewers: errors and stderr become an error id; the details are logged with it."""

import json
import logging
import re

import nbformat
import pytest

from wqm_nb.serve.frames import CONTENT, HEADER, build_frame, parse_frame
from wqm_nb.serve.tracebacks import (
    SCRUBBED_ENAME,
    WqmExecutor,
    install,
    logging_report,
    new_error_id,
    scrub_content,
    scrub_frame,
    scrub_json_message,
    withheld,
)

TRACEBACK = [
    "\x1b[31mTraceback (most recent call last)\x1b[39m",
    'File "/work/main/.venv/lib/python3.11/site-packages/ipywidgets/widgets/widget_selection.py", line 9',
    "TraitError: Invalid selection: index out of bounds",
]
ERROR = {"ename": "TraitError", "evalue": "Invalid selection: index out of bounds", "traceback": TRACEBACK}
PATHS = re.compile(r"/work/|site-packages|Traceback")


class Recorder:
    """A ``report`` that remembers what it was given."""

    def __init__(self):
        self.reports: list[tuple[str, str, str]] = []

    def __call__(self, kind: str, details: str) -> str:
        error_id = new_error_id()
        self.reports.append((kind, details, error_id))
        return error_id


def test_an_error_message_becomes_an_error_id():
    report = Recorder()
    scrubbed = scrub_content("error", dict(ERROR), report)
    [(kind, details, error_id)] = report.reports
    assert kind == "error" and "TraitError" in details and "widget_selection.py" in details
    assert scrubbed["ename"] == SCRUBBED_ENAME and scrubbed["traceback"] == [withheld("error", error_id)]
    assert f"error id {error_id}" in scrubbed["evalue"] and not PATHS.search(json.dumps(scrubbed))


def test_an_error_reply_and_a_captured_error_become_error_ids():
    report = Recorder()
    reply = scrub_content("execute_reply", {"status": "error", "execution_count": 3, **ERROR}, report)
    assert reply["status"] == "error" and reply["execution_count"] == 3 and not PATHS.search(json.dumps(reply))
    state = {
        "comm_id": "c",
        "data": {
            "method": "update",
            "state": {
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": "kept\n"},
                    {"output_type": "error", **ERROR},
                ]
            },
            "buffer_paths": [],
        },
    }
    scrubbed = scrub_content("comm_msg", state, report)
    outputs = scrubbed["data"]["state"]["outputs"]
    assert outputs[0] == {"output_type": "stream", "name": "stdout", "text": "kept\n"}
    assert outputs[1]["output_type"] == "error" and not PATHS.search(json.dumps(scrubbed))
    assert len(report.reports) == 2


def test_stderr_is_withheld_and_stdout_kept():
    report = Recorder()
    assert scrub_content("stream", {"name": "stdout", "text": "hello"}, report) is None
    scrubbed = scrub_content("stream", {"name": "stderr", "text": 'File "/work/main/x.py", line 1\n'}, report)
    [(kind, details, error_id)] = report.reports
    assert kind == "stderr" and "/work/main/x.py" in details
    assert scrubbed == {"name": "stderr", "text": withheld("stderr", error_id) + "\n"}


def test_content_without_errors_is_left_alone_and_scrubbing_twice_changes_nothing():
    report = Recorder()
    assert scrub_content("comm_msg", {"data": {"state": {"value": "error"}}}, report) is None
    once = scrub_content("error", dict(ERROR), report)
    assert scrub_content("error", once, report) is None
    stderr = scrub_content("stream", {"name": "stderr", "text": "x"}, report)
    assert scrub_content("stream", stderr, report) is None
    assert len(report.reports) == 2


def _frame(msg_type: str, content: dict, buffers=()) -> bytes:
    header = json.dumps({"msg_id": "1", "msg_type": msg_type}).encode()
    return build_frame("iopub", [header, b"{}", b"{}", json.dumps(content).encode(), *buffers])


def test_a_frame_is_scrubbed_only_when_it_can_hold_an_error():
    report = Recorder()
    quiet = parse_frame(_frame("comm_msg", {"data": {"state": {"value": 1}}}, (b"buf",)))
    assert scrub_frame(quiet, "comm_msg", report) is None
    loud = parse_frame(_frame("error", ERROR))
    scrubbed = parse_frame(scrub_frame(loud, "error", report))
    assert scrubbed.part(HEADER) == loud.part(HEADER) and not PATHS.search(scrubbed.part(CONTENT).decode())
    captured = parse_frame(
        _frame("comm_msg", {"data": {"state": {"outputs": [{"output_type": "error", **ERROR}]}}}, (b"buf",))
    )
    again = parse_frame(scrub_frame(captured, "comm_msg", report))
    assert again.part(5) == b"buf" and not PATHS.search(again.part(CONTENT).decode())


def test_a_json_message_is_scrubbed():
    report = Recorder()
    message = {"header": {"msg_type": "error"}, "parent_header": {}, "content": dict(ERROR), "channel": "iopub"}
    scrubbed = scrub_json_message(message, report)
    assert scrubbed["channel"] == "iopub" and not PATHS.search(json.dumps(scrubbed))


def test_the_log_has_the_id_and_the_details_without_colours(caplog):
    report = logging_report(logging.getLogger("wqm-test"), "kernel k1")
    with caplog.at_level(logging.WARNING, logger="wqm-test"):
        error_id = report("error", "\x1b[31mTraitError\x1b[39m: bad")
    assert re.fullmatch(r"[0-9a-f]{8}", error_id)
    assert f"error id {error_id} (kernel k1)" in caplog.text and "TraitError: bad" in caplog.text
    assert "\x1b[" not in caplog.text


def test_a_failed_cell_shows_an_error_id_and_logs_its_traceback_once(caplog):
    cell = nbformat.v4.new_code_cell("1/0")
    cell.execution_count = 4
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="before\n"),
        nbformat.v4.new_output("error", **ERROR),
    ]
    executor = WqmExecutor(nbformat.v4.new_notebook())
    with caplog.at_level(logging.ERROR, logger="wqm_nb.serve"):
        executor.strip_code_cell_errors(cell)
        executor.strip_code_cell_errors(cell)  # Voila strips a failed cell twice
    assert cell.outputs[0].text == "before\n"
    error = cell.outputs[1]
    assert error.output_type == "error" and not PATHS.search(json.dumps(error))
    error_id = re.search(r"error id ([0-9a-f]{8})", error.evalue).group(1)
    assert caplog.text.count("error id") == 1 and f"error id {error_id}" in caplog.text
    assert "widget_selection.py" in caplog.text


@pytest.fixture
def restore_voila_executor():
    import voila.notebook_renderer

    original, log = voila.notebook_renderer.VoilaExecutor, WqmExecutor.server_log
    yield
    voila.notebook_renderer.VoilaExecutor, WqmExecutor.server_log = original, log


def test_install_makes_voila_render_with_the_wqm_executor(restore_voila_executor):
    import voila.notebook_renderer

    log = logging.getLogger("wqm-test-server")
    install(log)
    assert voila.notebook_renderer.VoilaExecutor is WqmExecutor and WqmExecutor.server_log is log
