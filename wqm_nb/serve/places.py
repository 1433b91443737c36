"""Live places of a served page: the kernel cap, a report link's share, and the line of those waiting.

A server runs at most ``cap`` live kernels (``--max-kernels``); a kernel is a
*place*. :class:`Places` keeps the count, by **holder** (:func:`holder_of`):
the consultant (the server token), or a signed link, identified by its id
(``lid``), or for a link signed before links carried an id by its school,
year, expiry and signature.

* **Taken places** are the live kernels (claimed by the page load that got
  them), the page loads admitted but not yet given their kernel, and
  reservations (below). ``cap`` of them at most.
* **A report link's share.** A report link holds at most :data:`PER_LINK` places
  (``limited``); past that, its holder gets the static report page, not a
  kernel. Capture and import links and the consultant are limited by the cap
  only.
* **One viewer at most waits for a kernel to start.** On a server that keeps
  kernels ready (``ready`` counted), a report page load that finds none
  ready waits for one that is starting only if no other page load is already
  waiting so; else it gets the static page at once, and its script takes the
  next free place. (A form's page always waits for its kernel.)
* **The line.** A viewer sent the static page (or, for capture and import, the
  queue page) gets a ticket (a random cookie) and a place in line. Their page
  asks again every few seconds (:meth:`Places.poll`, or the queue page's own
  refresh, :meth:`Places.admit` with the ticket); when places are free, the
  first ones in line are told, and a place (and a ready kernel) is
  **reserved** for each for :data:`RESERVE_SECONDS`, for the reload that
  takes it (a page given a place waits for a kernel to start if none is
  ready). A newcomer gets a place only when more places are free than
  there are viewers waiting (who could take one) before them. A ticket that
  has not asked for :data:`WAIT_SECONDS` leaves the line (a new one that has
  never asked again: :data:`FIRST_WAIT_SECONDS`), as does one whose page says
  it is leaving (:meth:`Places.leave`).

Nothing here reads the clock of the day: times are ``time.monotonic`` (or the
clock given, for tests). All methods run on the server's event loop thread.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass

#: live kernels one report link may hold at once
PER_LINK = 2
#: how long a place told free is kept for the reload that takes it
RESERVE_SECONDS = 20.0
#: a ticket that has not asked again for this long has left the line (the page asks every 3 to 8 s)
WAIT_SECONDS = 45.0
#: ... and a new one that has not asked at all (its page never ran its script, or was closed at once)
FIRST_WAIT_SECONDS = 12.0
#: tickets in line at most (beyond that the oldest leave it)
MAX_WAITING = 10_000
#: the holder of the server token
CONSULTANT = "consultant"
#: what a ticket looks like (the ``wqm-wait`` cookie)
TICKET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def holder_of(link_id: str = "", school: str = "", year: str = "", expires: int | str = "", sig: str = "") -> str:
    """Who holds a place: a link by its id, an older link (no id) by what it signs, else the consultant."""
    if link_id:
        return f"link:{link_id}"
    if sig:
        digest = hashlib.sha256(f"{school}\n{year}\n{expires}\n{sig}".encode()).hexdigest()[:16]
        return f"link-v1:{digest}"
    return CONSULTANT


def new_ticket() -> str:
    """A random ticket for a place in line."""
    return secrets.token_urlsafe(18)


def valid_ticket(text: str | None) -> str | None:
    """``text`` if it looks like a ticket (from a cookie), else None."""
    if text and 16 <= len(text) <= 64 and set(text) <= TICKET_CHARS:
        return text
    return None


@dataclass
class Admission:
    """A page load given a place; ``kernel_id`` once its kernel is known; ``starting``: it was given the place
    with no kernel ready, and waits for one to start."""

    number: int
    holder: str
    kernel_id: str = ""
    starting: bool = False


@dataclass
class _Waiter:
    holder: str
    limited: bool
    seen: float
    asked_again: bool = False  # its page has asked since it was put in line: it is still there


@dataclass
class _Reservation:
    holder: str
    until: float


class Places:
    """The live places of one server (see the module notes)."""

    def __init__(self, cap: int, per_link: int = PER_LINK, clock: Callable[[], float] = time.monotonic) -> None:
        if cap < 1:
            raise ValueError("a server needs at least one live place")
        self.cap = cap
        self.per_link = per_link
        self.clock = clock
        self.live: dict[str, str] = {}  # kernel id -> holder
        self.admitted: dict[int, Admission] = {}  # page loads not yet given their kernel
        self.reserved: dict[str, _Reservation] = {}  # ticket -> a place kept for its reload
        self.waiting: dict[str, _Waiter] = {}  # ticket -> waiter, in the order of the line
        self._numbers = 0

    # -- counts ------------------------------------------------------------

    def _prune(self) -> None:
        now = self.clock()
        for ticket in [t for t, r in self.reserved.items() if r.until <= now]:
            del self.reserved[ticket]
        for ticket in [
            t for t, w in self.waiting.items() if now - w.seen > (WAIT_SECONDS if w.asked_again else FIRST_WAIT_SECONDS)
        ]:
            del self.waiting[ticket]

    def taken(self) -> int:
        """Places taken: live kernels, admitted page loads and reservations."""
        self._prune()
        return len(self.live) + len(self.admitted) + len(self.reserved)

    def free(self) -> int:
        return max(0, self.cap - self.taken())

    def _holdings(self) -> Counter:
        """Places taken now, by holder."""
        return Counter(
            [
                *self.live.values(),
                *(a.holder for a in self.admitted.values()),
                *(r.holder for r in self.reserved.values()),
            ]
        )

    def holding(self, holder: str) -> int:
        """Places ``holder`` takes now."""
        self._prune()
        return self._holdings()[holder]

    def may_hold_more(self, holder: str, limited: bool) -> bool:
        """Whether ``holder`` may take one more place (a limited holder: fewer than :attr:`per_link` now)."""
        return not limited or self.holding(holder) < self.per_link

    def _eligible(self, waiter: _Waiter) -> bool:
        return self.may_hold_more(waiter.holder, waiter.limited)

    def _ahead(self, ticket: str | None) -> int:
        """Waiters before ``ticket`` in line who could take a place (every one, for a ticket not in line). A
        limited holder counts at most as often as it may still take places, however many tickets it has."""
        holdings, counted = self._holdings(), Counter[str]()
        count = 0
        for t, w in self.waiting.items():
            if t == ticket:
                break
            if not w.limited:
                count += 1
            elif holdings[w.holder] + counted[w.holder] < self.per_link:
                counted[w.holder] += 1
                count += 1
        return count

    def _room(self, ahead: int) -> bool:
        """Whether a place is left after ``ahead`` waiters."""
        return self.cap - self.taken() - ahead > 0

    # -- page loads ----------------------------------------------------------

    def admit(
        self, holder: str, *, limited: bool = False, ticket: str | None = None, ready: int | None = None
    ) -> Admission | None:
        """A place for a page load of ``holder``, or None (the static or queue page instead). ``ticket``: the
        viewer's place in line (a place kept for it is taken); ``ready``: kernels ready now, on a server that
        keeps them (None: not counted, a page waits for its kernel to start)."""
        self._prune()
        reservation = self.reserved.get(ticket) if ticket else None
        if ticket and reservation is not None and reservation.holder == holder:
            del self.reserved[ticket]
        else:
            if not self.may_hold_more(holder, limited):
                return None
            in_line = ticket is not None and ticket in self.waiting and self.waiting[ticket].holder == holder
            if not self._room(self._ahead(ticket if in_line else None)):
                return None
            if ready is not None and ready <= 0 and any(a.starting for a in self.admitted.values()):
                return None  # another viewer waits for a kernel to start: the page at once
        if ticket:
            self.waiting.pop(ticket, None)
        self._numbers += 1
        admission = Admission(self._numbers, holder, starting=ready is not None and ready <= 0)
        self.admitted[admission.number] = admission
        return admission

    def claimed(self, admission: Admission, kernel_id: str) -> None:
        """The page load of ``admission`` was given ``kernel_id``: the place is that kernel's now."""
        self.admitted.pop(admission.number, None)
        admission.kernel_id = kernel_id
        self.live[kernel_id] = admission.holder

    def released(self, admission: Admission) -> None:
        """The page load of ``admission`` ended without a kernel: its place is free."""
        self.admitted.pop(admission.number, None)

    def ended(self, kernel_id: str) -> None:
        """A kernel went (closed, culled, died): its place is free."""
        self.live.pop(kernel_id, None)

    def forget_missing(self, kernel_ids: Container[str]) -> None:
        """Free the places of live kernels that are no longer among ``kernel_ids``."""
        for kernel_id in [k for k in self.live if k not in kernel_ids]:
            del self.live[kernel_id]

    # -- the line -----------------------------------------------------------

    def wait(self, ticket: str, holder: str, limited: bool = False) -> int:
        """Put ``ticket`` in line (at the end; where it was if it is in line already); its position (1 = next)."""
        self._prune()
        waiter = self.waiting.get(ticket)
        if waiter is None or waiter.holder != holder:
            self.waiting.pop(ticket, None)
            self.reserved.pop(ticket, None)
            while len(self.waiting) >= MAX_WAITING:  # a flood of tickets: the oldest go first
                del self.waiting[next(iter(self.waiting))]
            waiter = self.waiting[ticket] = _Waiter(holder, limited, self.clock())
        else:
            waiter.asked_again = True
        waiter.seen = self.clock()
        return self._ahead(ticket) + 1

    def poll(self, ticket: str, holder: str, limited: bool = False) -> tuple[bool, int]:
        """A waiting page asks whether it may go live: ``(True, 0)`` with a place reserved for its reload,
        else ``(False, position)`` (0 for a holder who has all the places a link may hold: no place in line
        to tell). A ticket not in line joins it at the end."""
        self._prune()
        reservation = self.reserved.get(ticket)
        if reservation is not None and reservation.holder == holder:
            return True, 0
        position = self.wait(ticket, holder, limited)
        if not self._eligible(self.waiting[ticket]):
            return False, 0  # their own places first: no place in line to tell
        if self._room(position - 1):
            del self.waiting[ticket]
            self.reserved[ticket] = _Reservation(holder, self.clock() + RESERVE_SECONDS)
            return True, 0
        return False, position

    def leave(self, ticket: str) -> None:
        """The page of ``ticket`` has gone: out of the line, and any place kept for it freed."""
        self.waiting.pop(ticket, None)
        self.reserved.pop(ticket, None)

    # -- kernels kept ready ----------------------------------------------------

    def ready_target(self, ready_max: int) -> int:
        """Kernels to keep ready: one per free place, at most ``ready_max``, and at least one (the next freed
        place is handed over at once) when any are kept."""
        if ready_max <= 0:
            return 0
        return max(1, min(ready_max, self.cap - len(self.live) - len(self.admitted)))

    def summary(self) -> dict[str, int]:
        """Counts for the log and the tests."""
        self._prune()
        return {
            "cap": self.cap,
            "live": len(self.live),
            "admitted": len(self.admitted),
            "reserved": len(self.reserved),
            "waiting": len(self.waiting),
        }


__all__ = [
    "CONSULTANT",
    "FIRST_WAIT_SECONDS",
    "MAX_WAITING",
    "PER_LINK",
    "RESERVE_SECONDS",
    "WAIT_SECONDS",
    "Admission",
    "Places",
    "holder_of",
    "new_ticket",
    "valid_ticket",
]
