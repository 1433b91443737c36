"""No tracebacks to viewers: an error id for them, the details in the server log.

A kernel's tracebacks name the server's folders, its Python and its code, and
reach the browser two ways: in the page Voila renders (a cell that failed)
and over the kernel websocket afterwards (a widget callback that raised:
``error`` messages, ``execute_reply`` with ``status: error``, an Output
widget's captured error, stderr). Both go through here:

* :func:`scrub_content` replaces, anywhere in a message's content, every
  error's ``ename``/``evalue``/``traceback`` and every stderr text by a short
  sentence with a new error id (:func:`withheld`), and hands the originals to
  a ``report`` callback, which logs them with the same id. The websocket
  handler (:class:`wqm_nb.serve.kernels.GuardedKernelWebsocketHandler`) calls
  it on every frame to the browser (:func:`scrub_frame`).
* :class:`WqmExecutor` does the same for the cells Voila runs to render the
  page: Voila's own ``show_tracebacks=False`` hides the traceback but tells
  the viewer to restart Voila with ``--show_tracebacks=True``, and logs no id.
  :func:`install` makes Voila's renderer use it (Voila builds its executor
  from a module-level name, with no setting to change the class).

Error ids are 8 hex digits, random (so nothing can be learnt from them);
search the server log for ``error id <id>``.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from jupyter_client.jsonutil import json_default
from voila.execute import VoilaExecutor

from .frames import CONTENT, Frame

#: what a viewer sees instead of an error
ERROR_TEXT = "Something went wrong on the server (error id {id}). The consultant can look it up in the server log."
#: what a viewer sees instead of a message the kernel wrote to stderr
STDERR_TEXT = "A message from the server was withheld (error id {id})."
_STDERR_START = STDERR_TEXT.split(" (", 1)[0]
SCRUBBED_ENAME = "ServerError"
ERROR_ID = re.compile(r"error id ([0-9a-f]{8})")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: the longest detail logged for one error (a runaway stderr stays bounded in the log)
LOG_LIMIT = 20_000

#: ``report(kind, details) -> error id``: kind is "error" or "stderr", details the original text
Report = Callable[[str, str], str]


def new_error_id() -> str:
    """A fresh error id: 8 random hex digits."""
    return secrets.token_hex(4)


def withheld(kind: str, error_id: str) -> str:
    """The sentence a viewer sees for an error (``kind`` "error") or stderr text (``kind`` "stderr")."""
    return (STDERR_TEXT if kind == "stderr" else ERROR_TEXT).format(id=error_id)


def details_of(error: dict[str, Any]) -> str:
    """An error's ``ename: evalue`` and traceback as plain text (no terminal colours)."""
    traceback = error.get("traceback") or []
    lines = traceback if isinstance(traceback, list) else [str(traceback)]
    text = f"{error.get('ename', '')}: {error.get('evalue', '')}\n" + "\n".join(str(line) for line in lines)
    return _ANSI.sub("", text)[:LOG_LIMIT]


def logging_report(log: logging.Logger | logging.LoggerAdapter, where: str) -> Report:
    """A ``report`` that logs each withheld error with a new id (``where`` says which kernel)."""

    def report(kind: str, details: str) -> str:
        error_id = new_error_id()
        level = logging.ERROR if kind == "error" else logging.WARNING
        log.log(
            level,
            "wqm: %s withheld from the browser, error id %s (%s):\n%s",
            "error" if kind == "error" else "stderr",
            error_id,
            where,
            _ANSI.sub("", details)[:LOG_LIMIT],
        )
        return error_id

    return report


def _is_error(node: dict[str, Any]) -> bool:
    return (
        "traceback" in node
        or node.get("output_type") == "error"
        or (node.get("status") == "error" and ("ename" in node or "evalue" in node))
    )


def _is_stderr(node: dict[str, Any]) -> bool:
    return node.get("name") == "stderr" and isinstance(node.get("text"), (str, list))


def _scrub(node: Any, report: Report) -> tuple[Any, bool]:
    if isinstance(node, list):
        changed = False
        out = []
        for item in node:
            item, c = _scrub(item, report)
            out.append(item)
            changed |= c
        return out, changed
    if not isinstance(node, dict):
        return node, False
    if node.get("ename") == SCRUBBED_ENAME and ERROR_ID.search(str(node.get("evalue", ""))):
        return node, False  # already withheld
    if _is_error(node):
        message = withheld("error", report("error", details_of(node)))
        return {**node, "ename": SCRUBBED_ENAME, "evalue": message, "traceback": [message]}, True
    if _is_stderr(node):
        text = node["text"] if isinstance(node["text"], str) else "".join(node["text"])
        if text.startswith(_STDERR_START) and ERROR_ID.search(text):
            return node, False  # already withheld
        return {**node, "text": withheld("stderr", report("stderr", text)) + "\n"}, True
    changed = False
    scrubbed: dict[Any, Any] = {}
    for key, value in node.items():
        value, c = _scrub(value, report)
        scrubbed[key] = value
        changed |= c
    return scrubbed, changed


def scrub_content(msg_type: str, content: Any, report: Report) -> Any | None:
    """``content`` of a ``msg_type`` message with every error and stderr text withheld, or None if it
    has none. An ``error`` message, a reply with ``status: error``, any object with a ``traceback``
    (an Output widget's captured error, at any depth) and any stderr ``stream`` count."""
    if msg_type == "error" and isinstance(content, dict) and not _is_error(content):
        content = {**content, "traceback": []}  # an error message is an error, whatever it holds
    if msg_type == "stream" and isinstance(content, dict) and content.get("name") != "stderr":
        return None
    scrubbed, changed = _scrub(content, report)
    return scrubbed if changed else None


_SUSPECT = (b"traceback", b'"error"', b"stderr")


def scrub_frame(frame: Frame, msg_type: str, report: Report) -> bytes | None:
    """The frame with its content scrubbed (:func:`scrub_content`), or None if nothing needed it.
    Content that cannot hold an error (no ``traceback``, ``"error"`` or ``stderr`` in it) is not parsed."""
    raw = frame.part(CONTENT)
    if msg_type != "error" and not any(s in raw for s in _SUSPECT):
        return None
    try:
        content = json.loads(raw)
    except ValueError:
        return None
    scrubbed = scrub_content(msg_type, content, report)
    if scrubbed is None:
        return None
    return frame.with_part(CONTENT, json.dumps(scrubbed, default=json_default, ensure_ascii=False).encode())


def scrub_json_message(message: dict[str, Any], report: Report) -> dict[str, Any]:
    """A whole message as a dict (the older JSON protocol), its content scrubbed."""
    header = message.get("header") or {}
    scrubbed = scrub_content(str(header.get("msg_type", "")), message.get("content"), report)
    return message if scrubbed is None else {**message, "content": scrubbed}


# --------------------------------------------------------------------------
# the page Voila renders


class WqmExecutor(VoilaExecutor):
    """Voila's executor, whose failed cells show an error id and log the traceback with it."""

    #: where the details go: the server's log (:func:`install`); Voila's executor logs nowhere visible
    server_log: logging.Logger | logging.LoggerAdapter = logging.getLogger("wqm_nb.serve")

    def strip_code_cell_errors(self, cell):
        """Withhold each error output of ``cell`` (Voila calls this for every cell it runs)."""
        if cell.get("cell_type") != "code":
            return cell
        report = logging_report(self.server_log, f"cell [{cell.get('execution_count')}] of the page's notebook")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                scrubbed = scrub_content("error", dict(output), report)
                if scrubbed is not None:
                    output.update(scrubbed)
        return cell


def install(log: logging.Logger | logging.LoggerAdapter | None = None) -> None:
    """Make Voila render pages with :class:`WqmExecutor`, logging to ``log`` (the server's). Voila's
    renderer builds its executor from the module-level name ``voila.notebook_renderer.VoilaExecutor``;
    there is no setting for it."""
    import voila.notebook_renderer

    if log is not None:
        WqmExecutor.server_log = log
    voila.notebook_renderer.VoilaExecutor = WqmExecutor


__all__ = [
    "ERROR_TEXT",
    "STDERR_TEXT",
    "WqmExecutor",
    "install",
    "logging_report",
    "new_error_id",
    "scrub_content",
    "scrub_frame",
    "scrub_json_message",
    "withheld",
]
