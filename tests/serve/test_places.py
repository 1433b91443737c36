"""Live places: the cap, a report link's share of two, a fair line, and kernels kept ready (no server here:
the served behaviour is in test_app.py and test_load.py)."""

import pytest

from wqm_nb.serve.places import (
    CONSULTANT,
    FIRST_WAIT_SECONDS,
    PER_LINK,
    RESERVE_SECONDS,
    WAIT_SECONDS,
    Places,
    holder_of,
    new_ticket,
    valid_ticket,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def live(places: Places, holder: str, kernel: str, **kwargs):
    admission = places.admit(holder, **kwargs)
    assert admission is not None, (holder, kernel, places.summary())
    places.claimed(admission, kernel)
    return admission


def test_holders_are_links_by_id_older_links_by_what_they_sign_and_the_consultant():
    assert holder_of("4cc4a0a0bd46", "NLT03", "2025-26", 1, "ab") == "link:4cc4a0a0bd46"
    older = holder_of("", "NLT03", "2025-26", 1799213465, "ab" * 32)
    assert older.startswith("link-v1:") and "NLT03" not in older and "ab" * 32 not in older
    assert older != holder_of("", "NLT03", "2025-26", 1799213466, "ab" * 32)  # another expiry: another link
    assert older == holder_of("", "NLT03", "2025-26", "1799213465", "ab" * 32)
    assert holder_of() == CONSULTANT


def test_tickets_are_random_and_checked():
    ticket = new_ticket()
    assert valid_ticket(ticket) == ticket and new_ticket() != ticket
    for bad in (None, "", "short", "x" * 65, "abc;def=ghijklmnopqrstu", "ünïcödé" * 4):
        assert valid_ticket(bad) is None


def test_the_cap_holds_and_a_kernel_that_goes_frees_its_place(clock):
    places = Places(2, clock=clock)
    live(places, CONSULTANT, "k1")
    live(places, "link:a", "k2")
    assert places.admit("link:b") is None and places.free() == 0
    places.ended("k1")
    assert places.admit("link:b") is not None


def test_a_report_link_holds_two_places_at_most_others_only_the_cap(clock):
    places = Places(6, clock=clock)
    for kernel in ("k1", "k2"):
        live(places, "link:a", kernel, limited=True)
    assert PER_LINK == 2 and places.admit("link:a", limited=True) is None  # a third: the static page
    assert places.admit("link:b", limited=True) is not None  # another link: a place
    for kernel in ("c1", "c2", "c3"):  # the consultant: the cap only
        live(places, CONSULTANT, kernel)
    assert places.admit(CONSULTANT) is None and places.taken() == 6
    capture = Places(3, clock=clock)  # a form's link: the cap only
    for kernel in ("f1", "f2", "f3"):
        live(capture, "link:a", kernel, limited=False)
    assert capture.admit("link:a", limited=False) is None


def test_admitted_page_loads_take_places_until_they_have_a_kernel_or_end(clock):
    places = Places(1, clock=clock)
    first = places.admit(CONSULTANT)
    assert places.admit(CONSULTANT) is None  # the first is still starting: its place is taken
    places.released(first)
    second = places.admit(CONSULTANT)
    places.claimed(second, "k1")
    assert places.live == {"k1": CONSULTANT} and not places.admitted
    places.forget_missing({"k9"})  # the kernel is no longer the manager's
    assert places.free() == 1


def test_with_none_ready_one_report_page_at_most_waits_for_a_kernel_to_start(clock):
    places = Places(5, clock=clock)
    first = places.admit(CONSULTANT, ready=1)  # the ready kernel
    second = places.admit("link:a", ready=0)  # none ready: it waits for the one starting
    assert first is not None and second is not None and second.starting and not first.starting
    assert places.admit("link:b", ready=0) is None  # another would wait too: the page at once
    assert places.admit("link:b", ready=1) is not None  # a kernel is ready for it
    assert places.admit("link:c") is not None  # not counted (a form, no kernels kept): waits
    places.claimed(second, "k2")
    assert places.admit("link:b", ready=0) is not None  # nobody waits now
    ticket = new_ticket()
    assert places.poll(ticket, "link:d") == (False, 1)  # full (5 of 5)
    places.ended("k2")
    assert places.poll(ticket, "link:d") == (True, 0)
    assert places.admit("link:d", ticket=ticket, ready=0) is not None  # a kept place is taken whatever


def test_the_line_is_fair_told_in_order_and_a_place_is_kept_for_the_reload(clock):
    places = Places(1, clock=clock)
    live(places, "link:holder", "k1")
    first, second = new_ticket(), new_ticket()
    assert places.wait(first, "link:a") == 1 and places.wait(second, "link:b") == 2
    assert places.poll(second, "link:b") == (False, 2)
    places.ended("k1")
    assert places.admit("link:newcomer") is None  # two are waiting before a newcomer
    assert places.poll(second, "link:b") == (False, 2)  # the first in line is told first
    assert places.poll(first, "link:a") == (True, 0)  # ... and a place is kept for its reload
    assert places.poll(first, "link:a") == (True, 0)  # asked again: still kept
    assert places.poll(second, "link:b") == (False, 1)
    assert places.admit("link:other", ticket=second) is None  # a ticket is its holder's only
    admission = places.admit("link:a", ticket=first)
    assert admission is not None and first not in places.reserved and first not in places.waiting


def test_a_kept_place_is_freed_if_nobody_comes_and_a_silent_ticket_leaves_the_line(clock):
    places = Places(1, clock=clock)
    ticket, other = new_ticket(), new_ticket()
    assert places.poll(ticket, "link:a") == (True, 0)
    assert places.admit("link:b") is None  # kept for the first
    clock.now += RESERVE_SECONDS + 1
    assert places.poll(other, "link:b") == (True, 0)  # nobody came: the place is the next one's
    places.leave(other)
    assert places.free() == 1
    places.wait(ticket, "link:a")
    places.wait(ticket, "link:a")  # it asked again: it is there
    clock.now += FIRST_WAIT_SECONDS + 1
    assert places.admit("link:c") is None
    clock.now += WAIT_SECONDS
    assert places.admit("link:c") is not None and ticket not in places.waiting


def test_a_page_that_never_asks_again_leaves_the_line_soon(clock):
    places = Places(1, clock=clock)
    live(places, CONSULTANT, "k1")
    places.wait(new_ticket(), "link:a")  # sent the static page, closed at once
    places.ended("k1")
    assert places.admit("link:b") is None
    clock.now += FIRST_WAIT_SECONDS + 1
    assert places.admit("link:b") is not None


def test_a_ticket_that_leaves_lets_the_line_move_on(clock):
    places = Places(1, clock=clock)
    live(places, CONSULTANT, "k1")
    first, second = new_ticket(), new_ticket()
    places.wait(first, "link:a")
    places.wait(second, "link:b")
    places.leave(first)
    places.ended("k1")
    assert places.poll(second, "link:b") == (True, 0)


def test_a_waiting_link_at_its_share_holds_nobody_up_and_is_told_no_position(clock):
    places = Places(3, clock=clock)
    for kernel in ("k1", "k2"):
        live(places, "link:a", kernel, limited=True)
    ticket = new_ticket()
    places.wait(ticket, "link:a", limited=True)
    assert places.poll(ticket, "link:a", limited=True) == (False, 0)
    assert places.admit("link:b", limited=True) is not None  # the waiting link is not ahead of anyone
    places.ended("k1")
    assert places.poll(ticket, "link:a", limited=True) == (True, 0)


def test_kernels_kept_ready_follow_the_free_places(clock):
    places = Places(4, clock=clock)
    assert places.ready_target(4) == 4 and places.ready_target(2) == 2 and places.ready_target(0) == 0
    live(places, CONSULTANT, "k1")
    live(places, CONSULTANT, "k2")
    places.admit(CONSULTANT)
    assert places.ready_target(4) == 1
    live(places, CONSULTANT, "k4")
    assert places.ready_target(4) == 1  # full: one kept for the next freed place
    places.ended("k1")
    places.ended("k2")
    assert places.ready_target(4) == 2
    assert places.summary() == {"cap": 4, "live": 1, "admitted": 1, "reserved": 0, "waiting": 0}


def test_a_server_needs_a_place():
    with pytest.raises(ValueError):
        Places(0)


def test_one_links_many_tickets_hold_up_nobody_beyond_the_places_it_may_still_take(clock):
    places = Places(3, clock=clock)
    live(places, "link:a", "k1", limited=True)
    live(places, CONSULTANT, "k2")
    live(places, CONSULTANT, "k3")
    for _ in range(20):  # the same link, many tabs or a script
        places.wait(new_ticket(), "link:a", limited=True)
    honest = new_ticket()
    assert places.wait(honest, "link:b", limited=True) == 2  # counted once: link:a may take one more place
    places.ended("k2")
    places.ended("k3")
    assert places.poll(honest, "link:b", limited=True) == (True, 0)
