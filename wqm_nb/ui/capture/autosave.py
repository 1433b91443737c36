"""Autosave for the capture form: a change is written once its field has been idle for
:data:`AUTOSAVE_DELAY` seconds, and the form says when it was saved."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

#: Seconds a field must be idle before its change is saved.
AUTOSAVE_DELAY = 0.8


def clock_time(stamp: str) -> str:
    """``hh:mm:ss`` (local time) of a stored ISO time; ``9 Mar 2026 15:30`` when not today."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp or ""
    moment = moment.astimezone() if moment.tzinfo else moment
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M:%S")
    return f"{moment.day} {moment.strftime('%b %Y %H:%M')}"


class Autosave:
    """Debounced saving: :meth:`touch` (re)starts a key's timer; when it runs out the key's save runs.

    In a kernel the timers live on the kernel's event loop, so a save runs
    between messages, never during one. ``delay`` 0 (or no running loop, as in
    a plain script) saves at once. :meth:`flush` runs every pending save now.
    """

    def __init__(self, delay: float = AUTOSAVE_DELAY):
        self.delay = delay
        self._pending: dict[Any, tuple[Callable[[], None], Any]] = {}

    def touch(self, key: Any, save: Callable[[], None]) -> None:
        """Schedule ``save`` for ``key`` after the delay, replacing a pending one."""
        old = self._pending.pop(key, None)
        if old and old[1] is not None:
            old[1].cancel()
        loop = None
        if self.delay > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        if loop is None:
            save()
            return
        handle = loop.call_later(self.delay, self._fire, key)
        self._pending[key] = (save, handle)

    def _fire(self, key: Any) -> None:
        entry = self._pending.pop(key, None)
        if entry:
            entry[0]()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Run every pending save now (before switching school or year)."""
        for key in list(self._pending):
            save, handle = self._pending.pop(key)
            if handle is not None:
                handle.cancel()
            save()
