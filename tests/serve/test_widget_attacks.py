"""Issue 21, as code: a signed link's page driven over its kernel websocket, every widget, every value.

For each served page (the report, ``wqm serve``; the self-evaluation form,
``wqm capture``; the survey import form, ``wqm survey serve``) a link for
:data:`SCHOOL`, :data:`YEAR` and :data:`FRAMEWORK` is loaded as a browser
loads it, and its kernel is driven the way the page's widget manager talks
to it (:class:`Driver`):

* every ``jupyter.widget`` model the page created is enumerated
  (``comm_info_request``, then ``request_state`` to each comm): no list of
  widgets is kept here, so a widget added to a page later is driven too;
* each model is sent what its kind takes (:func:`steps_for`): every option
  it lists (``index``, ``selected_index``: shared out among models listing
  the same options, each changed at least once), a null index, other
  schools', years' and frameworks' ids as ``value``, hostile texts, numbers,
  dates, ``disabled: false``; out-of-range indexes, a spoofed
  ``_options_labels`` and wrong types once per kind of model; every Button
  is clicked, after each text typed into the box beside it and once more
  after everything else; the FileUpload gets a real staff survey export;
* a change that makes the page create widgets (a year switched, a file
  uploaded, a form opened, a target added) is followed at once by driving
  the new widgets, once per change and shape of widgets (a mapping redrawn
  after each correction is driven once), one level down (:data:`MAX_DEPTH`);
* the capture form is first given a name (its "Your name" field and Start);
  the import form first tries to move its School and Year to another school
  and year, uploads the export, chooses "Replace", clicks Import with no
  school and with no year, then with both.

The store is compared before and after, row by row with each row's school,
year and framework (``PLACED`` and ``dump`` of ``tests/store/test_scope.py``):
a report link changes nothing; a capture or import link changes rows of its
own school, year and framework (or its school year's surveys) only. That the
harness reaches the store is asserted too: the capture form saved rows of
its own year and showed the store's refusal for each other year, the import
form imported; and no page ever shows another school's name.

Then the kernel is attacked around its page: another page load's cookies,
the link's cookie alone, the consultant's token, another viewer's kernel id,
no v1 subprotocol, malformed and oversized frames, code-running messages
(the details are ``test_attacks.py``'s). The connection is refused or closed,
the owner's kernel keeps every widget, and the store stays as the link may
leave it.

Servers are this module's own (``--no-preheat``, ``--max-kernels 3``, one per
page kind), started together, driven together and killed in teardown. Every
wait is bounded; everything targets 127.0.0.1.
"""

from __future__ import annotations

import ast
import asyncio
import html
import importlib.util
import json
import re
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tornado.websocket import WebSocketClientConnection

from .conftest import Server, start_server
from .kernel_ws import (
    YEAR,
    Page,
    alive,
    close_page,
    closed_with,
    collect,
    comm_ids,
    connect,
    kill,
    link_page,
    message,
    oversized_message_close_code,
    refused,
    run,
    unpack,
)

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent.parent
SCHOOL = "NLT01"
FRAMEWORK = "wqm"
#: what the links' pages are given to type and choose, besides each widget's own options
OTHER_SCHOOLS = ("NLT02", "NLT03", "NLT08", "NLT99")
OTHER_YEARS = ("2023-24", "2024-25", "2031-32")
OTHER_FRAMEWORKS = ("vbe", "leadership_management")
TEXTS = (
    "NLT02",
    "2023-24",
    "2031-32",
    "vbe",
    "NLT02 2031-32 vbe",
    "<img src=x onerror=alert(1)><script>x()</script>",
    "x'); DELETE FROM sef_history; --",
    "Sam Patel (link 000000000000)",
    "Typed through the kernel websocket",
)
HTML = TEXTS[5]
NUMBERS = (0, 1, 3, -1, 2**63)
DATES = ({"year": 2023, "month": 0, "date": 31}, None, "2031-09-01", {"year": 2031, "month": 8, "date": 1})
#: a change that creates widgets has them driven in turn, down to this many levels
MAX_DEPTH = 1
#: the widgets a person types into
TEXT_MODELS = ("TextModel", "TextareaModel", "ComboboxModel", "PasswordModel")
#: what a page says when the scoped store refuses (wqm_nb.store.scope.ScopedStore._check)
REFUSED = re.compile(r"this page (may not|does not show)")
#: messages sent before waiting for the kernel to handle them
WINDOW = 64
#: how long one page may be driven (seconds): past it the test fails as incomplete, it never passes quietly
DRIVE_SECONDS = 150
#: the pages: wqm command, notebook, the `wqm links` options of its links
PAGES = {
    "report": (("serve",), "school_report.ipynb", ("--page", "report")),
    "capture": (("capture", "NLT03", "--year", YEAR), "sef_capture.ipynb", ("--page", "capture")),
    "survey-import": (("survey", "serve"), "survey_import.ipynb", ("--page", "survey-import")),
}


# --------------------------------------------------------------------------
# the store, row by row


def load_module(path: Path):
    """A module of the tests by its path (the tests are not a package; they run with --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location(f"wqm_tests_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_STORE_SCOPE = load_module(TESTS / "store" / "test_scope.py")
#: each table's rows with the (school, year, framework) they belong to; ``dump(path)``: every row of every table
#: placed so (it fails when a table has no place yet)
PLACED, dump = _STORE_SCOPE.PLACED, _STORE_SCOPE.dump


def changed_rows(before: dict[str, set], after: dict[str, set]) -> list[tuple[str, str, str, str, str]]:
    """(table, school, year, framework, row) of every row added, changed or removed."""
    out = []
    for table in PLACED:
        for row in sorted(before[table] ^ after[table]):
            school, year, framework = ast.literal_eval(row)[:3]
            out.append((table, school, year, framework, row[:200]))
    return out


def outside_scope(changes: list[tuple], framework: str = FRAMEWORK) -> list[tuple]:
    """The changes a link for SCHOOL, YEAR and ``framework`` may not make: anything but its own school year's
    rows ('' framework: the school year itself and its surveys), its own framework's cycle and records, and a
    mapping saved for its own school's form (a school's, not a year's: the import form's "Save mapping")."""
    return [
        c
        for c in changes
        if not (c[1] == SCHOOL and c[2] == YEAR and c[3] in (framework, ""))
        and not (c[0] == "import_mappings" and c[1] == SCHOOL)
    ]


# --------------------------------------------------------------------------
# the page's widget manager, as an attacker plays it


@dataclass
class Step:
    """One message to a model: an ``update`` of ``state`` (with ``buffers``) or a click."""

    state: dict | None = None
    click: bool = False
    buffers: tuple[bytes, ...] = ()
    buffer_paths: list = field(default_factory=list)
    #: a change the page acts on (an option chosen, a click, a file): the widgets it opens are driven next
    follow: bool = False

    @property
    def key(self) -> str:
        return "click" if self.click else json.dumps(self.state, sort_keys=True, default=str)


def upload_value(name: str, content: bytes) -> Step:
    """A FileUpload's value as the browser sends it: the file's bytes as a binary buffer."""
    return Step(
        {
            "value": [
                {
                    "name": name,
                    "type": "text/csv",
                    "size": len(content),
                    "last_modified": 1767225600000,
                    "content": None,
                }
            ]
        },
        buffers=(content,),
        buffer_paths=[["value", 0, "content"]],
        follow=True,
    )


def group_of(state: dict) -> tuple:
    """Models that are alike: the same kind, listing the same options (the rating of every element)."""
    return (
        state.get("_model_name", ""),
        str(state.get("description", "")),
        str(state.get("_options_labels", "")),
        len(state.get("children", ())) if "selected_index" in state else 0,
    )


def steps_for(
    state: dict, upload: tuple[str, bytes] | None, member: int = 0, alike: int = 1, refuse: bool = True
) -> list[Step]:
    """What is sent to a model with ``state``, the ``member``-th of ``alike`` models alike (:func:`group_of`).

    A disabled model is enabled first. A Button is clicked; a FileUpload gets an empty value, then ``upload``.
    A selection gets other schools', years' and frameworks' ids as ``value`` (not synced by ipywidgets 8:
    the kernel must ignore them), then options by ``index``: the options of alike models are shared out
    among them, every option to one of them and a change to each, the first also getting a null. A Tab
    shows every page and a null. Texts get :data:`TEXTS` (the first of alike texts every one, the others
    two), numbers :data:`NUMBERS`, dates :data:`DATES`, a checkbox its other value; a widget that only
    shows text (HTML, Label) gets :data:`HTML`. A form's field is left changed (the last text, the last
    option another than its own), so the form saves it.

    Values the widget class itself refuses (out-of-range indexes, a spoofed ``_options_labels`` and an index
    into it, a text for a number, a string for a date) are sent when ``refuse``: to one model of each kind
    on a page, as each refusal is a traceback the kernel formats (~0.1 s)."""
    name = state.get("_model_name", "")
    first = member == 0
    steps = [Step({"disabled": False})] if state.get("disabled") is True else []
    if name == "ButtonModel":
        return steps + [Step(click=True, follow=True)]
    if name == "FileUploadModel":
        return steps + [Step({"value": []})] + ([upload_value(*upload)] if upload else [])
    if "index" in state and "_options_labels" in state:  # Dropdown, ToggleButtons, Select...
        labels = list(state["_options_labels"])
        count, own = len(labels), state["index"]
        steps += [Step({"value": v}) for v in (OTHER_SCHOOLS[0], OTHER_YEARS[-1], OTHER_FRAMEWORKS[0])]
        if isinstance(own, list):  # SelectMultiple
            if refuse:
                steps += [Step({"index": i}) for i in ([-1], [count], [0, count])]
            return steps + [Step({"index": c}, follow=True) for c in ([], *([i] for i in range(count)))]
        if refuse:
            steps += [Step({"index": i}) for i in (-1, count)]
            steps += [
                Step({"_options_labels": [*OTHER_SCHOOLS, *OTHER_YEARS][: count + 3]}),
                Step({"index": count + 1}),
                Step({"_options_labels": labels}),
            ]
        mine = [i for i in range(count) if i % alike == member % alike and i != own]
        if not mine and count > 1:  # more alike models than options
            start = (own or 0) + 1 + member
            mine = [next(i for i in ((start + k) % count for k in range(count)) if i != own)]
        chosen = ([None] if first else []) + ([own] if first and not mine and own is not None else []) + mine
        return steps + [Step({"index": i}, follow=True) for i in chosen]
    if "selected_index" in state:  # Tab, Accordion, Stack
        own = state["selected_index"]
        count = len(state.get("children", []))
        if refuse:
            steps += [Step({"selected_index": i}) for i in (-1, count)]
        chosen = ([None] if first else []) + [i for i in range(count) if i != own] + [own]
        return steps + [Step({"selected_index": i}, follow=True) for i in chosen]
    if "value" not in state:
        return steps  # layouts, styles, boxes
    value = state["value"]
    if name in ("HTMLModel", "HTMLMathModel", "LabelModel"):  # shown, never read back
        return steps + [Step({"value": HTML})]
    if isinstance(value, bool):
        return steps + [Step({"value": not value}, follow=True)]
    if isinstance(value, (int, float)):
        return steps + [Step({"value": v}) for v in (*NUMBERS, *((TEXTS[0], None) if refuse else ()), 3)]
    if isinstance(value, str):
        texts = TEXTS if first else (TEXTS[member % (len(TEXTS) - 1)], TEXTS[-1])
        return steps + [Step({"value": v}) for v in texts]
    if name == "DatePickerModel":
        return steps + [Step({"value": v}) for v in DATES if refuse or not isinstance(v, str)]
    return steps + [Step({"value": None}), Step({"value": value})]


def shape(states: list[dict]) -> tuple:
    """What a set of new widgets looks like: their kinds and descriptions, and the texts they show. The same
    form drawn again (the import form's mapping, redrawn after each correction, whichever columns then list
    which options) has the same shape; another year's form, which says which year it shows, has not."""
    return tuple(
        sorted(
            (
                s.get("_model_name", ""),
                str(s.get("description", "")),
                s.get("value", "") if s.get("_model_name") == "HTMLModel" else "",
            )
            for s in states
        )
    )


class Driver:
    """A page's kernel over its websocket, as the page's widget manager talks to it (see the module notes).

    Messages are sent without waiting for each to be handled (the kernel handles a connection's messages in
    order); every :data:`WINDOW` messages, and wherever the page's reaction matters, :meth:`sync` waits until
    the kernel has handled everything sent. A widget the kernel opens names, as its parent, the message that
    made the page create it: that is how new widgets are traced to the change that made them."""

    def __init__(
        self,
        ws: WebSocketClientConnection,
        upload: tuple[str, bytes] | None = None,
        seconds: float = DRIVE_SECONDS,
        unseen: re.Pattern | None = None,
    ):
        self.ws = ws
        self.upload = upload
        self.unseen = unseen  # what the page must never show (other schools' names)
        self.leaks: set[str] = set()
        self.deadline = time.monotonic() + seconds
        self.models: dict[str, dict] = {}  # comm id -> the model's state as the kernel last sent it
        self.order: dict[str, int] = {}  # comm id -> when it was created (or first seen)
        self.opened_by: dict[str, str] = {}  # comm id -> the id of the message that made the page open it
        self.closed: set[str] = set()
        self.driven: set[str] = set()
        self.spawned: set[tuple[str, str]] = set()  # (comm, step) whose new widgets were driven (or need not be)
        self.sources: dict[str, tuple[str, str]] = {}  # message id -> (comm, step) it sent
        self.shapes: set[tuple] = set()  # the shapes of the sets of new widgets driven
        self.drives: list[tuple[int, str, int]] = []  # (depth, the change, how many new models) driven
        self.refused: set[tuple] = set()  # the kinds of model (group_of) given refused values
        self.scripted: set[tuple[str, str]] = set()  # (comm, step) sent by the page's script, not sent again
        self.opener: set[str] = set()  # models a change of which opened widgets
        self.refusals: set[str] = set()  # what the page said when the store refused a write
        self.sent = 0
        self.received = 0
        self.errors: list[tuple[tuple[str, str] | None, dict]] = []  # (model, step) that raised, and the error
        self.truncated = False
        self._unsynced = 0
        self._idle: dict[str, asyncio.Future] = {}
        self._replies: dict[str, dict] = {}
        self._reader = asyncio.ensure_future(self._read())

    # -- the websocket ---------------------------------------------------------

    async def _read(self) -> None:
        while True:
            frame = await self.ws.read_message()
            if frame is None:  # closed: nothing waited for will come
                for waiter in self._idle.values():
                    if not waiter.done():
                        waiter.set_exception(ConnectionError(f"the kernel websocket closed ({self.ws.close_code})"))
                break
            if isinstance(frame, str):
                continue
            msg = unpack(frame)
            self.received += 1
            kind, content = msg.msg_type, msg.content
            if (
                self.unseen
                and kind in ("comm_open", "comm_msg")
                and (found := self.unseen.search(json.dumps(content.get("data", {}).get("state", {}))))
            ):
                self.leaks.add(found.group(0))
            if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
                comm = content["comm_id"]
                self.models[comm] = dict(content.get("data", {}).get("state", {}))
                self.order.setdefault(comm, len(self.order))
                self.opened_by[comm] = msg.parent.get("msg_id", "")
            elif kind == "comm_msg":
                data = content.get("data", {})
                if data.get("method") in ("update", "echo_update") and content.get("comm_id") in self.order:
                    state = data.get("state", {})
                    self.models.setdefault(content["comm_id"], {}).update(state)
                    shown = state.get("value")
                    if data["method"] == "update" and isinstance(shown, str) and REFUSED.search(shown):
                        self.refusals.add(html.unescape(re.sub(r"<[^>]+>", "", shown)))
            elif kind == "comm_close":
                self.closed.add(content.get("comm_id"))
            elif kind == "error":
                self.errors.append((self.sources.get(msg.parent.get("msg_id", "")), content))
            elif kind == "status" and content.get("execution_state") == "idle":
                waiter = self._idle.pop(msg.parent.get("msg_id", ""), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
            if kind.endswith("_reply"):
                self._replies[msg.parent.get("msg_id", "")] = content

    async def send(self, msg_type: str, content: dict, buffers: tuple[bytes, ...] = (), msg_id: str = "") -> str:
        msg_id = msg_id or uuid.uuid4().hex
        await self.ws.write_message(message(msg_type, content, buffers=buffers, msg_id=msg_id), binary=True)
        self.sent += 1
        self._unsynced += 1
        if self._unsynced >= WINDOW:
            await self.sync()
        return msg_id

    async def request(self, msg_type: str, content: dict, seconds: float = 90) -> dict:
        """Send a shell request and wait until the kernel is idle after it: every message sent before it has
        been handled, and what the kernel sent meanwhile has arrived (iopub keeps its order)."""
        msg_id = uuid.uuid4().hex
        self._idle[msg_id] = asyncio.get_running_loop().create_future()
        self._unsynced = -1
        await self.send(msg_type, content, msg_id=msg_id)
        await asyncio.wait_for(self._idle[msg_id], seconds)
        self._unsynced = 0
        for _ in range(100):  # the reply comes on the shell channel, just before or after
            if msg_id in self._replies:
                return self._replies.pop(msg_id)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no reply to {msg_type}")

    async def sync(self) -> None:
        await self.request("kernel_info_request", {})

    async def settle(self, seconds: float = 1.5) -> None:
        """Let the page's timers run (the capture form saves a field once it has been idle 0.8 s)."""
        await self.sync()
        await asyncio.sleep(seconds)
        await self.sync()

    async def enumerate(self) -> list[str]:
        """Every widget model in the kernel, with its state (what the widget manager asks for when it starts)."""
        reply = await self.request("comm_info_request", {"target_name": "jupyter.widget"})
        comms = list(reply["comms"])
        for comm in comms:
            self.order.setdefault(comm, len(self.order))
        for comm in comms:
            if comm not in self.models:
                await self.send("comm_msg", {"comm_id": comm, "data": {"method": "request_state"}})
        await self.sync()
        missing = [c for c in comms if c not in self.models and c not in self.closed]
        assert not missing, f"no state for {len(missing)} models"
        return comms

    async def step(self, comm: str, step: Step) -> str:
        data = (
            {"method": "custom", "content": {"event": "click"}}
            if step.click
            else {"method": "update", "state": step.state, "buffer_paths": step.buffer_paths}
        )
        msg_id = await self.send("comm_msg", {"comm_id": comm, "data": data}, buffers=step.buffers)
        self.sources[msg_id] = (comm, step.key)
        return msg_id

    async def close(self) -> None:
        self.ws.close()
        try:
            await asyncio.wait_for(self._reader, 5)
        except Exception:  # closed, or timed out: the reader goes either way
            self._reader.cancel()

    # -- finding and driving widgets -------------------------------------------

    def find(self, model: str, **state) -> str:
        """The newest live model of ``model`` whose state has ``state`` (for the few scripted steps)."""
        found = [
            c
            for c, s in self.models.items()
            if s.get("_model_name") == model and c not in self.closed and all(s.get(k) == v for k, v in state.items())
        ]
        assert found, f"no {model} with {state}"
        return max(found, key=self.order.__getitem__)

    def texts(self) -> list[str]:
        """Every text value the live models show."""
        return [s["value"] for c, s in self.models.items() if c not in self.closed and isinstance(s.get("value"), str)]

    def buttons_beside(self, comm: str) -> list[str]:
        """The buttons in the box that holds ``comm``, or in the boxes beside it (a field's Start, Import,
        History), but those whose click opened widgets (the page they open is driven once)."""
        ref = f"IPY_MODEL_{comm}"
        near = []
        for state in self.models.values():
            if ref in state.get("children", ()):
                for child in (c.removeprefix("IPY_MODEL_") for c in state["children"]):
                    grand = self.models.get(child, {}).get("children", ())
                    near += [child, *(g.removeprefix("IPY_MODEL_") for g in grand)]
        return [
            c
            for c in dict.fromkeys(near)
            if self.models.get(c, {}).get("_model_name") == "ButtonModel"
            and c not in self.opener
            and c not in self.closed
        ]

    def own_values(self) -> None:
        """Mark each model's present value as a change whose new widgets need not be driven (a page put back
        as it was: it was driven as it was)."""
        for comm, state in self.models.items():
            for key in ("index", "selected_index", "value"):
                if key in state:
                    self.spawned.add((comm, json.dumps({key: state[key]}, sort_keys=True, default=str)))

    async def do(self, comm: str, *steps: Step) -> None:
        """Scripted steps to one model; what they open is not driven."""
        for step in steps:
            mark = len(self.order)
            await self.step(comm, step)
            await self.sync()
            self.spawned.add((comm, step.key))
            self.scripted.add((comm, step.key))
            if len(self.order) > mark:
                self.opener.add(comm)

    async def drive(self, comms: list[str], depth: int = 0) -> None:
        """Every step of :func:`steps_for` to each model, newest first, then every button clicked again (but
        those that opened widgets: that page was driven). The widgets a change opens are driven right after
        it, while the page shows them; widgets opened otherwise (a text typed, a timer) once the models are
        done. Each change's new widgets are driven once, and only if widgets of their shape were not (a
        mapping redrawn after each correction), down to :data:`MAX_DEPTH`."""
        comms = sorted(set(comms), key=self.order.__getitem__, reverse=True)
        first = len(self.order)
        groups: dict[tuple, list[str]] = {}
        for comm in comms:
            groups.setdefault(group_of(self.models[comm]), []).append(comm)
        plan = []
        for comm in comms:
            group = group_of(self.models[comm])
            member = groups[group].index(comm)
            refuse = member == 0 and group not in self.refused
            self.refused.add(group)
            steps = [
                step
                for step in steps_for(self.models[comm], self.upload, member, len(groups[group]), refuse)
                if (comm, step.key) not in self.scripted
            ]
            typed = member == 0 and group[0] in TEXT_MODELS
            for step in steps:
                plan.append((comm, step, group))
                if typed and step.state and isinstance(step.state.get("value"), str):  # typed, then a button
                    plan += [
                        (button, Step(click=True, follow=True), group_of(self.models[button]))
                        for button in self.buttons_beside(comm)
                    ]
        last = {comm: i for i, (comm, step, _) in enumerate(plan) if step.follow}
        # alike models whose first one's changes opened nothing are changed without waiting for each change
        noisy: set[tuple] = set()
        quiet: set[tuple] = set()

        async def send(i: int, comm: str, step: Step, group: tuple) -> None:
            self.driven.add(comm)
            mark = len(self.order)
            await self.step(comm, step)
            if step.follow and group not in quiet:
                await self.sync()
                if len(self.order) > mark:
                    noisy.add(group)
                    self.opener.add(comm)
                    await self.follow((comm, step.key), [c for c, n in self.order.items() if n >= mark], depth)
                if comm == groups.get(group, [None])[0] and i == last.get(comm) and group not in noisy:
                    quiet.add(group)

        for i, (comm, step, group) in enumerate(plan):
            if time.monotonic() > self.deadline:
                self.truncated = True
                return
            if comm not in self.closed:
                await send(i, comm, step, group)
        for comm in comms:
            if self.models[comm].get("_model_name") == "ButtonModel" and comm not in self.opener | self.closed:
                await send(-1, comm, Step(click=True, follow=True), group_of(self.models[comm]))
        await self.sync()
        made: dict[tuple[str, str], list[str]] = {}
        for comm, n in self.order.items():
            source = self.sources.get(self.opened_by.get(comm, ""))
            if n >= first and source and comm not in self.driven:
                made.setdefault(source, []).append(comm)
        for source, new in made.items():
            await self.follow(source, new, depth)

    async def follow(self, source: tuple[str, str], new: list[str], depth: int) -> None:
        """Drive the widgets ``source`` (a model and a step) opened, unless that is done or not worth doing."""
        new = [c for c in new if c not in self.driven and c not in self.closed]
        if not new or depth >= MAX_DEPTH or source in self.spawned:
            return
        self.spawned.add(source)
        seen = shape([self.models[c] for c in new])
        if seen not in self.shapes:
            self.shapes.add(seen)
            self.drives.append((depth + 1, self.describe(source), len(new)))
            await self.drive(new, depth + 1)

    def describe(self, source: tuple[str, str]) -> str:
        """A model and a step, for a person: 'Dropdown School: {"index": 1}'."""
        state = self.models.get(source[0], {})
        return (
            f"{state.get('_model_name', '?').removesuffix('Model')} {state.get('description', '')!s:.30}: "
            f"{source[1]:.60}"
        )


# --------------------------------------------------------------------------
# servers and pages


@dataclass
class Site:
    """One page kind's server, its link's page, the store before anything was sent, and what was done."""

    kind: str
    server: Server
    page: Page
    before: dict[str, set]
    models: int = 0  # widget models the kernel held (the most at any enumeration)
    driven: int = 0  # models sent at least one message
    sent: int = 0
    errors: int = 0  # error messages back (each an error id: a refused value, a bad option)
    drives: list[tuple[int, str, int]] = field(default_factory=list)
    seconds: float = 0.0
    truncated: bool = False
    status: list[str] = field(default_factory=list)  # what the page said after the scripted steps
    refusals: list[str] = field(default_factory=list)  # what it said when the store refused a write
    leaks: list[str] = field(default_factory=list)  # other schools' names the page showed

    def changes(self) -> list[tuple]:
        """Every row changed since the page was loaded (:func:`changed_rows`)."""
        return changed_rows(self.before, dump(self.server.data))

    def summary(self) -> str:
        return (
            f"{self.kind}: {self.models} widget models, {self.driven} driven, {self.sent} messages, "
            f"{self.errors} errors back, {len(self.drives)} sets of new widgets driven, "
            f"{len(self.refusals)} refusals shown, {self.seconds:.0f} s"
        )


def staff_export(tmp: Path) -> tuple[str, bytes]:
    """A small real staff survey export (tests/intake/make_exports.py), as a browser would upload it."""
    load_module(TESTS / "intake" / "make_exports.py").write_exports(tmp)
    name = "generic_staff.csv"
    return name, (tmp / name).read_bytes()


def other_schools(server: Server) -> re.Pattern:
    """Other schools' names: what a link's page never shows (their ids are among what is typed into it)."""
    with closing(sqlite3.connect(f"file:{server.data}?mode=ro", uri=True)) as conn:
        names = [name for school, name in conn.execute("SELECT school_id, name FROM schools") if school != SCHOOL]
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def link_for(server: Server, school: str = SCHOOL) -> Page:
    return link_page(server, school, YEAR, "--framework", FRAMEWORK)


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The three servers, started together, each with its link's page for SCHOOL, YEAR and FRAMEWORK loaded."""

    def start(kind: str) -> Site:
        command, notebook, link_args = PAGES[kind]
        tmp = tmp_path_factory.mktemp(kind)
        server = start_server(
            tmp, "--no-preheat", "--max-kernels", "3", command=command, notebook=notebook, link_args=link_args
        )
        try:
            before = dump(server.data)
            return Site(kind, server, link_for(server), before)
        except BaseException:
            kill(server)
            raise

    started, failure = {}, None
    with ThreadPoolExecutor(len(PAGES)) as pool:
        futures = {kind: pool.submit(start, kind) for kind in PAGES}
        for kind, future in futures.items():
            try:
                started[kind] = future.result(timeout=240)
            except BaseException as exc:  # the others are stopped below
                failure = failure or exc
    try:
        if failure:
            raise failure
        yield started
    finally:
        with ThreadPoolExecutor(len(PAGES)) as pool:
            list(pool.map(kill, [site.server for site in started.values()]))


async def drive_page(site: Site, upload: tuple[str, bytes]) -> None:
    """Drive one page's every widget (see the module notes), recording what was done in ``site``."""
    ws = await connect(site.server, site.page.kernel_id, site.page.cookies, max_message_size=256 * 2**20)
    driver = Driver(ws, upload, unseen=other_schools(site.server))
    start = time.monotonic()
    try:
        comms = await driver.enumerate()
        site.models = len(comms)
        driver.own_values()
        if site.kind == "capture":  # the form opens once a name is given
            await driver.do(driver.find("TextModel", description="Your name"), Step({"value": "Sam Patel"}))
            await driver.do(driver.find("ButtonModel", description="Start"), Step(click=True))
        if site.kind == "survey-import":  # another school and year first, then the export, replaced
            school, year = (driver.find("DropdownModel", description=d) for d in ("School", "Year"))
            for control in (school, year):
                await driver.do(
                    control,
                    Step({"disabled": False}),
                    *(Step({"value": v}) for v in (OTHER_SCHOOLS[0], OTHER_YEARS[-1])),
                    *(Step({"index": i}) for i in (1, -1)),
                    Step({"_options_labels": [*OTHER_SCHOOLS, *OTHER_YEARS]}),
                    *(Step({"index": i}) for i in (2, None, 0)),
                )
            upload_control, import_button = (
                driver.find("FileUploadModel"),
                driver.find("ButtonModel", description="Import"),
            )
            await driver.do(upload_control, upload_value(*upload))
            await driver.do(
                driver.find("ToggleButtonsModel", description="If data exists"), Step({"index": 1})
            )  # Replace earlier import
            for control in (school, year):  # no school, no year: refused
                await driver.do(control, Step({"index": None}))
                await driver.do(import_button, Step({"disabled": False}), Step(click=True))
                await driver.do(control, Step({"index": 0}))
            await driver.do(import_button, Step({"disabled": False}), Step(click=True))
            site.status = [t for t in driver.texts() if "Imported as import" in t]
        if site.kind != "report":
            comms = await driver.enumerate()
            site.models = max(site.models, len(comms))
            driver.own_values()
        await driver.drive(comms)
        await driver.settle()
        site.models = max(site.models, len(await driver.enumerate()))
    finally:
        await driver.close()
        site.seconds = time.monotonic() - start
        site.driven, site.sent, site.errors = len(driver.driven), driver.sent, len(driver.errors)
        site.drives, site.truncated, site.refusals = driver.drives, driver.truncated, sorted(driver.refusals)
        site.leaks = sorted(driver.leaks)


@pytest.fixture(scope="module")
def driven(sites, tmp_path_factory):
    """Every page driven, the three at once (their kernels are separate processes)."""
    upload = staff_export(tmp_path_factory.mktemp("exports"))

    async def all_pages():
        await asyncio.gather(*(drive_page(site, upload) for site in sites.values()))

    run(all_pages(), timeout=DRIVE_SECONDS + 60)
    for site in sites.values():
        print(site.summary())
    return sites


def assert_in_scope(site: Site) -> list[tuple]:
    """The store as the link may leave it: a report link's unchanged, a form link's changed only in its school,
    year and framework (and its school year's surveys). The changes are returned."""
    changes = site.changes()
    if site.kind == "report":
        assert changes == [], f"a report link changed the store: {changes[:5]}"
    outside = outside_scope(changes)
    assert not outside, f"{site.kind} link for {SCHOOL} {YEAR} {FRAMEWORK} changed: {outside[:5]}"
    return changes


def owner_still_has(site: Site, page: Page) -> int:
    """The widget models of ``page``'s kernel, asked for with its own cookies (the kernel answers its owner)."""

    async def ask():
        ws = await connect(site.server, page.kernel_id, page.cookies)
        try:
            return len(await comm_ids(ws))
        finally:
            ws.close()

    return run(ask(), timeout=40)


# --------------------------------------------------------------------------
# the widgets


#: the least a page's drive must amount to: widget models the kernel held, models sent a message, messages
LEAST = {"report": (20, 10, 100), "capture": (500, 300, 1000), "survey-import": (100, 50, 300)}


@pytest.mark.parametrize("kind", PAGES)
def test_every_widget_of_a_links_page_writes_only_inside_the_link(driven, kind, record_property):
    site = driven[kind]
    for name in ("models", "driven", "sent", "errors", "seconds"):
        record_property(name, getattr(site, name))
    assert not site.truncated, f"{site.summary()}: not every widget was driven in {DRIVE_SECONDS} s"
    done = (site.models, site.driven, site.sent)
    assert all(n >= least for n, least in zip(done, LEAST[kind], strict=False)), (
        f"{site.summary()}: fewer than {LEAST[kind]}"
    )
    changes = assert_in_scope(site)
    assert not site.leaks and not other_schools(site.server).search(site.page.html), site.leaks
    if kind == "capture":
        # the form really wrote (its own year); other years' forms were opened, driven, and refused
        assert {c[0] for c in changes} >= {"sef_history"}, changes[:5]
        assert any(n >= 100 for _, _, n in site.drives), site.drives
        assert {y for y in OTHER_YEARS if any(f"{SCHOOL} {y}" in r for r in site.refusals)} == set(OTHER_YEARS), (
            site.refusals
        )
    if kind == "survey-import":
        assert site.status, "the scripted import did not say it imported"
        assert {c[0] for c in changes} >= {"survey_imports", "survey_answers"}, changes[:5]
        assert site.drives, "no widget the form added later was driven"


# --------------------------------------------------------------------------
# around the page: cookies, kernel ids, subprotocol, frames


@pytest.fixture(scope="module")
def others(driven):
    """Another viewer of each page (the same page, a link for another school), loaded together; closed after."""
    with ThreadPoolExecutor(len(PAGES)) as pool:
        pages = dict(
            zip(driven, pool.map(lambda site: link_for(site.server, OTHER_SCHOOLS[0]), driven.values()), strict=False)
        )
    yield pages
    for kind, page in pages.items():
        close_page(driven[kind].server, page)


@pytest.mark.parametrize("kind", PAGES)
def test_another_viewers_cookies_or_kernel_are_refused_and_the_kernel_stays_its_owners(driven, others, kind):
    site, other = driven[kind], others[kind]
    server, mine = site.server, site.page
    link_only = {k: v for k, v in mine.cookies.items() if k != "wqm-kernel"}
    token = {"Authorization": f"token {server.token}"}
    attempts = {  # (kernel id, cookies, how else the connection differs from the page's)
        "another page load's cookies": (mine.kernel_id, other.cookies, {}),
        "the link's cookie alone": (mine.kernel_id, link_only, {}),
        "the consultant's token": (mine.kernel_id, {}, {"headers": token}),
        "the consultant's token in the query": (mine.kernel_id, {}, {"query": f"&token={server.token}"}),
        "the link's cookie and the token": (mine.kernel_id, link_only, {"headers": token}),
        "another viewer's kernel id": (other.kernel_id, mine.cookies, {}),
        "another viewer's kernel id, its link's cookie": (
            other.kernel_id,
            {k: v for k, v in other.cookies.items() if k != "wqm-kernel"},
            {},
        ),
        "a made-up kernel id": (str(uuid.uuid4()), mine.cookies, {}),
        "no v1 subprotocol": (mine.kernel_id, mine.cookies, {"v1": False}),
    }
    codes = {what: run(refused(server, kernel, cookies, **how)) for what, (kernel, cookies, how) in attempts.items()}
    assert codes.pop("no v1 subprotocol") == 400, codes
    assert codes.pop("a made-up kernel id") in (403, 404), codes
    assert set(codes.values()) == {403}, codes
    assert owner_still_has(site, mine) >= 10 and owner_still_has(site, other) >= 10
    assert_in_scope(site)


def _bad_frames() -> dict[str, bytes | str]:
    good = message("kernel_info_request", {})
    return {
        "eight bytes of 0xff": b"\xff" * 8,
        "a text frame": "a text frame",
        "a huge offset count": (2**40).to_bytes(8, "little") + good[8:],
        "an offset past the end": good[:8] + (10**9).to_bytes(8, "little") + good[16:],
        "decreasing offsets": good[:16] + good[24:32] + good[16:24] + good[32:],
        "the iopub channel from the page": message("comm_msg", {}, channel="iopub"),
    }


@pytest.mark.parametrize("kind", PAGES)
def test_malformed_oversized_and_code_running_frames_leave_the_kernel_to_its_owner(driven, kind):
    site = driven[kind]
    server, page = site.server, site.page
    before = owner_still_has(site, page)
    # code that would empty the store, sent as the page would send a cell: dropped by the server
    code = (
        f"import sqlite3; c = sqlite3.connect({str(server.data)!r}); "
        "[c.execute(f'DELETE FROM {t}') for t in ('sef_history', 'survey_imports', 'schools')]; c.commit()"
    )

    async def attack():
        codes = {}
        for what, frame in _bad_frames().items():
            ws = await connect(server, page.kernel_id, page.cookies)
            await ws.write_message(frame, binary=isinstance(frame, bytes))
            codes[what] = await closed_with(ws)
        ws = await connect(server, page.kernel_id, page.cookies)
        for msg_type in ("execute_request", "inspect_request", "complete_request", "history_request"):
            await ws.write_message(
                message(
                    msg_type,
                    {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "cursor_pos": 0,
                        "hist_access_type": "tail",
                        "n": 10,
                    },
                ),
                binary=True,
            )
        await ws.write_message(message("kernel_info_request", {}), binary=True)
        got = [m[0] for m in await collect(ws, 20, until="kernel_info_reply")]
        ws.close()
        return codes, got

    codes, got = run(attack(), timeout=90)
    assert set(codes.values()) == {1008}, codes
    assert "kernel_info_reply" in got and not {
        "execute_reply",
        "execute_input",
        "inspect_reply",
        "complete_reply",
        "history_reply",
    } & set(got), got
    assert oversized_message_close_code(server, page, 2**40) == 1009  # over the size limit
    assert alive(server)
    assert owner_still_has(site, page) == before  # the same kernel, every widget still there
    assert_in_scope(site)
