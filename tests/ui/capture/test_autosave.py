"""Autosave: a change is saved once its field is idle, one edit is one entry, nothing acknowledged is lost."""

import asyncio
import os
import re
import signal
import time

import pytest

from wqm_nb.store import Store
from wqm_nb.ui.capture import (
    Autosave,
    clock_time,
)


def test_clock_time_shows_the_date_when_not_today():
    assert clock_time("2024-03-03T15:30:00") == "3 Mar 2024 15:30"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", clock_time(time.strftime("%Y-%m-%dT%H:%M:%S")))


def test_typing_saves_one_entry_once_the_field_is_idle(db, history, app_for):
    """With the real debounce on an event loop: keystrokes within the delay make one history entry."""
    app = app_for(db, autosave_delay=0.2)
    row = app.form.elements["P6.1"]
    before = len(history(db, "P6.1"))

    async def type_then_wait():
        for i in range(1, 12):
            row.evidence.value = "Behaviour policy review"[: i * 2]
            await asyncio.sleep(0.02)
        assert app.autosave.pending == 1 and len(history(db, "P6.1")) == before  # nothing yet: still typing
        await asyncio.sleep(0.5)

    asyncio.run(type_then_wait())
    entries = history(db, "P6.1")
    assert len(entries) == before + 1 and entries[-1]["evidence"] == "Behaviour policy review"[:22]


def test_flush_saves_pending_changes_before_switching_year(db, current, app_for):
    app = app_for(db, autosave_delay=5)
    row = app.form.elements["P6.1"]

    async def edit_and_switch():
        row.rating.value = 1
        assert app.autosave.pending == 1
        app.year.value = "2024-25"  # switching flushes first

    asyncio.run(edit_and_switch())
    assert current(db)["P6.1"]["rating"] == 1 and app.autosave.pending == 0


def test_autosave_without_a_loop_saves_at_once():
    saved = []
    Autosave(0.5).touch("k", lambda: saved.append(1))
    assert saved == [1]


@pytest.mark.slow
def test_nothing_acknowledged_is_lost_when_the_kernel_is_killed(db, history):
    """In a real kernel with the real debounce: once the form shows "saved", kill -9 the kernel;
    the store has every acknowledged change."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:

        def run(code: str) -> str:
            out = []
            reply = kc.execute_interactive(
                code,
                timeout=120,
                output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None,
            )
            assert reply["content"]["status"] == "ok", reply["content"]
            return "".join(out)

        run(
            f"from wqm_nb.ui.capture import CaptureApp\n"
            f"app = CaptureApp('NLT03', '2025-26', data={str(db)!r}, who='Kill Test', autosave_delay=0.3)\n"
            "row = app.form.elements['P7.3']\n"
            "row.rating.value = 1\n"
            "for i in range(1, 30): row.evidence.value = 'Typed just before the kill'[:i]\n"
            "app.form.notes['P7'].text.value = 'Note typed before the kill'"
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            shown = run("print(row.status.value, '|', app.form.notes['P7'].status.value)")
            if "by Kill Test" in shown and len(re.findall(r"saved \d", shown)) == 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the form never acknowledged the change: {shown}")
        os.kill(km.provisioner.process.pid, signal.SIGKILL)
        km.provisioner.process.wait(timeout=10)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    entries = history(db, "P7.3")
    assert (entries[-1]["rating"], entries[-1]["evidence"], entries[-1]["recorded_by"]) == (
        1,
        "Typed just before the kill",
        "Kill Test",
    )
    assert sum(e["recorded_by"] == "Kill Test" for e in entries) == 1  # typing was one edit
    with Store.open(db, read_only=True) as store:
        cycle = store.cycle("NLT03", "2025-26", "wqm")["cycle_id"]
        assert store.current_notes(cycle, "P7")[-1]["note"] == "Note typed before the kill"
