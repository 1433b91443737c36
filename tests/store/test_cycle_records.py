"""What a store holds per cycle (wqm_nb/store/cycle_records.py): element entries, reflections, adviser notes
(superseding), targets and starting a year, on real SQLite stores."""

import re
import sqlite3
from datetime import date
from itertools import count

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_framework
from wqm_nb.errors import StoreError, UnknownSchoolError
from wqm_nb.store import Store, erasure_log, remove_school
from wqm_nb.store.cycle_records import SOURCES, check_review_date, new_target_id, whole_number
from wqm_nb.store.schema import SORTINGS, TARGET_STATUSES

from .test_migrations import make_v1_store, make_v2_store

TARGET_ID = re.compile(r"T-[0-9a-f]{8}")


def ticking(start: int = 0):
    """A store clock that moves one second per call, from 2025-01-01T09:00:00 (plus ``start`` seconds)."""
    seconds = count(start)

    def clock() -> str:
        n = next(seconds)
        return f"2025-01-01T{9 + n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}"

    return clock


@pytest.fixture
def cycle(store):
    store.add_school("S1", "Test Primary", "primary")
    store.clock = ticking()
    return store.ensure_cycle("S1", "2024-25")


def history_rows(store: Store, table: str) -> int:
    return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- element entries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan")])
def test_a_blank_rating_is_stored_as_null(store, cycle, blank):
    store.record_rating(cycle, "P1.1", blank, "Evidence first, rating later")
    (entry,) = store.element_history(cycle, "P1.1")
    assert entry["rating"] is None and entry["evidence"] == "Evidence first, rating later"
    assert store.conn.execute("SELECT typeof(rating) FROM sef_history").fetchone()[0] == "null"
    assert store.current_elements(cycle)["P1.1"]["rating"] is None


def test_an_entry_may_hold_evidence_or_sorting_only(store, cycle):
    ids = store.record_ratings(
        cycle, [dict(element_id="P1.1", evidence="  Wellbeing policy  "), dict(element_id="P1.2", sorting="want_to_do")]
    )
    assert len(ids) == 2 and ids[0] < ids[1]
    current = store.current_elements(cycle)
    assert {k: (v["rating"], v["evidence"], v["sorting"]) for k, v in current.items()} == {
        "P1.1": (None, "Wellbeing policy", ""),  # evidence is stripped
        "P1.2": (None, "", "want_to_do"),
    }


@pytest.mark.parametrize("value, stored", [(3, 3), ("3", 3), (" 4 ", 4), (2.0, 2), ("1.0", 1)])
def test_a_rating_is_a_whole_number_on_the_scale(store, cycle, value, stored):
    store.record_rating(cycle, "P1.1", value)
    assert store.current_elements(cycle)["P1.1"]["rating"] == stored


@pytest.mark.parametrize(
    "value, message",
    [
        (5, "element P1.1: rating 5 is not on the maturity scale [1, 2, 3, 4]"),
        (0, "element P1.1: rating 0 is not on the maturity scale"),
        ("3.5", "element P1.1: rating must be a whole number, got '3.5'"),
        ("three", "element P1.1: rating must be a whole number, got 'three'"),
    ],
)
def test_a_rating_off_the_scale_is_refused(store, cycle, value, message):
    with pytest.raises(StoreError, match=re.escape(message)):
        store.record_rating(cycle, "P1.1", value)
    assert history_rows(store, "sef_history") == 0


def test_the_rating_scale_is_the_cycles_frameworks(store):
    store.add_school("S1", "Test Primary", "primary")
    lm = store.ensure_cycle("S1", "2025-26", "leadership_management")
    store.record_rating(lm, "LM.1", 3)
    with pytest.raises(StoreError, match=re.escape("rating 4 is not on the checklist scale [1, 2, 3]")):
        store.record_rating(lm, "LM.2", 4)


@pytest.mark.parametrize("sorting", SORTINGS)
def test_a_sorting_is_stored_as_its_code(store, cycle, sorting):
    store.record_rating(cycle, "P2.1", 2, sorting=sorting)
    assert store.current_elements(cycle)["P2.1"]["sorting"] == sorting


@pytest.mark.parametrize("sorting", ["maybe", "We do this now", "DOING_NOW"])
def test_a_sorting_not_stored_as_a_code_is_refused_naming_the_choices(store, cycle, sorting):
    with pytest.raises(StoreError) as err:
        store.record_rating(cycle, "P2.1", 2, sorting=sorting)
    assert str(err.value) == (
        f"element P2.1: sorting must be one of doing_now, want_to_do, not_for_us, got {sorting!r}"
    )
    assert history_rows(store, "sef_history") == 0


@pytest.mark.parametrize("element", ["P9.9", "A1.1", "", "p1.1"])
def test_an_element_not_in_the_cycles_framework_is_refused(store, cycle, element):
    with pytest.raises(StoreError, match=re.escape(f"element {element!r} is not in framework 'wqm'")):
        store.record_rating(cycle, element, 3)


def test_the_source_is_checked_and_an_entrys_own_source_wins(store, cycle):
    assert SOURCES == ("", "form", "xlsx", "csv", "cli")
    store.record_ratings(
        cycle, [dict(element_id="P1.1", rating=1), dict(element_id="P1.2", rating=2, source="xlsx")], source="form"
    )
    store.record_rating(cycle, "P1.3", 3, source="cli")
    store.record_rating(cycle, "P1.4", 4)
    assert [(e["element_id"], e["source"]) for e in store.current_elements(cycle).values()] == [
        ("P1.1", "form"),
        ("P1.2", "xlsx"),
        ("P1.3", "cli"),
        ("P1.4", ""),
    ]
    for bad in ("email", "CSV", "Form "):
        with pytest.raises(StoreError, match=re.escape(f"source must be one of form, xlsx, csv, cli, got {bad!r}")):
            store.record_rating(cycle, "P1.1", 2, source=bad)
    assert len(store.rating_history(cycle)) == 4


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(element_id="P1.3", rating=9), "rating 9 is not on the maturity scale"),
        (dict(element_id="P1.3", rating=2, sorting="later"), "sorting must be one of"),
        (dict(element_id="X1", rating=2), "not in framework"),
        (dict(element_id="P1.3", rating=2, source="fax"), "source must be one of"),
    ],
)
def test_a_batch_with_one_bad_entry_writes_nothing(store, cycle, bad, message):
    batch = [
        dict(element_id="P1.1", rating=3, evidence="ok"),
        dict(element_id="P1.2", rating=None, evidence="ok"),
        bad,
        dict(element_id="P1.4", rating=1),
    ]
    with pytest.raises(StoreError, match=message):
        store.record_ratings(cycle, batch)
    assert history_rows(store, "sef_history") == 0
    assert store.record_ratings(cycle, batch[:2]) and len(store.rating_history(cycle)) == 2


def test_who_and_when_default_to_the_call_and_the_clock(store, cycle):
    store.record_ratings(
        cycle,
        [
            dict(element_id="P1.1", rating=2),
            dict(element_id="P1.2", rating=2, recorded_by="Deputy", recorded_at="2024-10-01T12:00:00"),
        ],
        recorded_by="Head",
    )
    rows = store.element_history(cycle, "P1.1") + store.element_history(cycle, "P1.2")
    assert [(r["recorded_by"], r["recorded_at"]) for r in rows] == [
        ("Head", "2025-01-01T09:00:00"),
        ("Deputy", "2024-10-01T12:00:00"),
    ]


def test_an_unknown_cycle_or_another_frameworks_file_is_refused(store, cycle):
    with pytest.raises(StoreError, match="no cycle 999"):
        store.record_rating(999, "P1.1", 3)
    with pytest.raises(StoreError, match=f"cycle {cycle} is a wqm cycle, not vbe"):
        store.record_rating(cycle, "A1.1", 3, framework=load_framework("vbe"))
    store.record_rating(cycle, "P1.1", 3, framework=load_framework("wqm"))
    assert len(store.rating_history(cycle)) == 1


# -- current and history -----------------------------------------------------------------------------------------


def test_the_latest_recorded_entry_is_current_not_the_last_entered(store, cycle):
    store.record_rating(cycle, "P1.1", 3, "March", sorting="doing_now", recorded_at="2025-03-01T10:00:00")
    store.record_rating(cycle, "P1.1", 2, "November draft", recorded_at="2024-11-01T10:00:00")
    current = store.current_elements(cycle)["P1.1"]
    assert (current["rating"], current["evidence"], current["sorting"]) == (3, "March", "doing_now")
    frame = store.current_ratings(cycle)
    assert list(frame.columns) == [
        "element_id",
        "rating",
        "evidence",
        "sorting",
        "recorded_by",
        "recorded_at",
        "source",
        "entry_id",
    ]
    assert frame.set_index("element_id").loc["P1.1", "evidence"] == "March"
    assert [r["evidence"] for r in store.element_history(cycle, "P1.1")] == ["March", "November draft"]


def test_entries_recorded_at_the_same_time_count_in_entry_order(store, cycle):
    store.clock = lambda: "2025-01-01T09:00:00"
    store.record_rating(cycle, "P1.1", 1, "first")
    store.record_rating(cycle, "P1.1", 4, "second")
    store.record_ratings(cycle, [dict(element_id="P1.2", rating=2), dict(element_id="P1.2", rating=3)])
    current = store.current_elements(cycle)
    assert (current["P1.1"]["rating"], current["P1.1"]["evidence"]) == (4, "second")
    assert current["P1.2"]["rating"] == 3


def test_an_entry_is_the_whole_state_so_a_blank_rating_clears_it(store, cycle):
    store.record_rating(cycle, "P1.1", 3, "Policy", sorting="doing_now")
    store.record_rating(cycle, "P1.1", None, "Policy under review")
    current = store.current_elements(cycle)["P1.1"]
    assert (current["rating"], current["evidence"], current["sorting"]) == (None, "Policy under review", "")
    assert [r["rating"] for r in store.element_history(cycle, "P1.1")] == [3, None]


def test_history_is_per_cycle_and_element_in_entry_order(store, cycle):
    other = store.ensure_cycle("S1", "2025-26")
    store.record_rating(cycle, "P1.1", 2)
    store.record_rating(other, "P1.1", 4)
    store.record_rating(cycle, "P1.2", 3)
    store.record_rating(cycle, "P1.1", 3)
    assert list(store.rating_history(cycle)["element_id"]) == ["P1.1", "P1.2", "P1.1"]
    assert list(store.rating_history(cycle, "P1.1")["rating"]) == [2, 3]
    assert [r["rating"] for r in store.element_history(other, "P1.1")] == [4]
    assert set(store.rating_history(cycle).columns) >= {"entry_id", "cycle_id", "sorting", "source"}
    assert store.current_elements(store.ensure_cycle("S1", "2023-24")) == {}
    assert store.current_ratings(store.ensure_cycle("S1", "2023-24")).empty


ELEMENTS = ("P1.1", "P1.2", "P3.4")
EDITS = st.lists(
    st.tuples(
        st.sampled_from(ELEMENTS),
        st.sampled_from([None, 1, 2, 3, 4]),
        st.sampled_from(("",) + SORTINGS),
        st.sampled_from(["", "a", "b"]),
        st.sampled_from(["2025-01-01T09:00:00", "2025-01-01T09:00:01", "2025-02-01T00:00:00"]),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(EDITS)
def test_current_is_each_elements_latest_edit_and_history_keeps_every_edit(edits):
    with Store(":memory:") as store:
        store.add_school("S1", "Test Primary", "primary")
        cycle = store.ensure_cycle("S1", "2024-25")
        for element, rating, sorting, evidence, at in edits:
            store.record_rating(cycle, element, rating, evidence, recorded_at=at, sorting=sorting)
        latest = {}
        for n, (element, rating, sorting, evidence, at) in enumerate(edits):
            if element not in latest or (at, n) >= latest[element][0]:
                latest[element] = ((at, n), dict(rating=rating, sorting=sorting, evidence=evidence, recorded_at=at))
        current = {
            e: {k: row[k] for k in ("rating", "sorting", "evidence", "recorded_at")}
            for e, row in store.current_elements(cycle).items()
        }
        assert current == {e: state for e, (_, state) in latest.items()}
        assert len(store.rating_history(cycle)) == len(edits)
        for element in ELEMENTS:
            assert len(store.element_history(cycle, element)) == sum(e[0] == element for e in edits)


def test_whole_number_helper():
    assert [whole_number(v) for v in (4, 4.0, "4", " 4 ", "4.5", None, "x")] == [4, 4, 4, 4, None, None, None]


# -- reflections -------------------------------------------------------------------------------------------------


def test_reflections_keep_every_version_and_the_latest_counts(store):
    store.add_school("S2", "Values Primary", "primary")
    vbe = store.ensure_cycle("S2", "2025-26", "vbe")
    store.record_reflection(vbe, "next_steps", "Agreed", author="AR", recorded_at="2025-06-02T10:00:00")
    store.record_reflection(vbe, "next_steps", "First draft", author="AR", recorded_at="2025-06-01T10:00:00")
    store.record_reflection(vbe, "stand_out", "Assemblies", author="Head", recorded_at="2025-06-01T10:00:00")
    assert {k: v["text"] for k, v in store.reflections(vbe).items()} == {
        "next_steps": "Agreed",
        "stand_out": "Assemblies",
    }
    assert [r["text"] for r in store.reflection_history(vbe, "next_steps")] == ["Agreed", "First draft"]
    with pytest.raises(
        StoreError,
        match=r"reflection 'summary' is not in framework 'vbe' \(known: stand_out, "
        r"next_steps, conclusion\)",
    ):
        store.record_reflection(vbe, "summary", "x")
    with pytest.raises(StoreError, match=r"not in framework 'wqm' \(known: none\)"):
        store.record_reflection(store.ensure_cycle("S2", "2025-26"), "next_steps", "x")
    assert history_rows(store, "reflections") == 3


# -- adviser notes -----------------------------------------------------------------------------------------------


def test_notes_for_the_school_and_for_a_section(store, cycle):
    whole = store.add_note(cycle, "Whole school point", author="AR")
    section = store.add_note(cycle, "Strong pupil voice", author="AR", principle_id="P2")
    notes = store.notes(cycle)
    assert notes["note"].tolist() == ["Whole school point", "Strong pupil voice"]
    assert notes["note_id"].tolist() == [whole, section]
    assert [n["note"] for n in store.current_notes(cycle, "P2")] == ["Strong pupil voice"]
    assert [n["note"] for n in store.current_notes(cycle, "")] == ["Whole school point"]
    assert len(store.current_notes(cycle)) == 2
    with pytest.raises(StoreError, match="principle 'P8' is not in framework 'wqm'"):
        store.add_note(cycle, "x", principle_id="P8")
    with pytest.raises(StoreError, match="a note needs some text"):
        store.add_note(cycle, "   ")


def test_a_note_superseded_shows_only_its_new_text(store, cycle):
    first = store.add_note(cycle, "Visit went wel", author="AR", principle_id="P1")
    kept = store.add_note(cycle, "Another point", author="AR", principle_id="P1")
    second = store.add_note(cycle, "  Visit went well  ", author="AR", principle_id="P1", supersedes=first)
    assert store.notes(cycle)["note"].tolist() == ["Another point", "Visit went well"]
    assert [n["note_id"] for n in store.current_notes(cycle, "P1")] == [kept, second]
    history = store.note_history(cycle, "P1")
    assert [(n["note_id"], n["note"], n["supersedes"]) for n in history] == [
        (first, "Visit went wel", None),
        (kept, "Another point", None),
        (second, "Visit went well", first),
    ]
    # the replacement can be replaced in turn
    third = store.add_note(cycle, "Visit went very well", principle_id="P1", supersedes=second)
    assert store.notes(cycle)["note_id"].tolist() == [kept, third]


def test_an_empty_text_withdraws_a_note(store, cycle):
    note = store.add_note(cycle, "Typed in the wrong school", author="AR")
    withdrawal = store.add_note(cycle, "", author="AR", supersedes=note)
    assert store.notes(cycle).empty and store.current_notes(cycle) == []
    assert [(n["note"], n["supersedes"]) for n in store.note_history(cycle)] == [
        ("Typed in the wrong school", None),
        ("", note),
    ]
    assert withdrawal > note


def test_superseding_another_sections_or_cycles_note_is_refused(store, cycle):
    other_cycle = store.ensure_cycle("S1", "2025-26")
    p1 = store.add_note(cycle, "About P1", principle_id="P1")
    whole = store.add_note(cycle, "Whole school")
    elsewhere = store.add_note(other_cycle, "Next year", principle_id="P1")
    for target, principle, supersedes in (
        (cycle, "P2", p1),
        (cycle, "", p1),
        (cycle, "P1", whole),
        (cycle, "P1", elsewhere),
        (other_cycle, "P1", p1),
        (cycle, "P1", 9999),
    ):
        with pytest.raises(StoreError, match=f"note {supersedes} is not a note of this cycle and section"):
            store.add_note(target, "Edited", principle_id=principle, supersedes=supersedes)
    assert history_rows(store, "adviser_notes") == 3


def test_superseding_a_note_twice_is_refused(store, cycle):
    note = store.add_note(cycle, "Original", principle_id="P3")
    store.add_note(cycle, "Edited in one tab", principle_id="P3", supersedes=note)
    with pytest.raises(StoreError, match=f"note {note} has been replaced already"):
        store.add_note(cycle, "Edited in another tab", principle_id="P3", supersedes=note)
    with pytest.raises(StoreError, match="replaced already"):
        store.add_note(cycle, "", principle_id="P3", supersedes=note)
    assert [n["note"] for n in store.current_notes(cycle)] == ["Edited in one tab"]


def test_the_notes_table_refuses_an_empty_note_that_supersedes_nothing(store, cycle):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        store.conn.execute("INSERT INTO adviser_notes (cycle_id, note, created_at) VALUES (?, '  ', 'now')", (cycle,))


# -- targets -----------------------------------------------------------------------------------------------------


def test_a_new_target_gets_a_fresh_id_and_starts_open(store, cycle):
    first = store.record_target(
        cycle,
        principle_id="P1",
        text_="  Train every TA in emotion coaching ",
        owner="SENCo",
        review_date="2025-06-30",
        recorded_by="Head",
    )
    second = store.record_target(cycle, text_="Whole school")
    assert TARGET_ID.fullmatch(first) and TARGET_ID.fullmatch(second) and first != second
    target = store.target(cycle, first)
    assert {
        k: target[k]
        for k in (
            "target_id",
            "principle_id",
            "text",
            "owner",
            "review_date",
            "status",
            "carried_from",
            "recorded_by",
            "recorded_at",
        )
    } == dict(
        target_id=first,
        principle_id="P1",
        text="Train every TA in emotion coaching",
        owner="SENCo",
        review_date="2025-06-30",
        status="open",
        carried_from=None,
        recorded_by="Head",
        recorded_at="2025-01-01T09:00:00",
    )
    assert store.target(cycle, second)["principle_id"] == "" and store.target(cycle, "T-00000000") is None
    assert [t["target_id"] for t in store.targets(cycle)] == [first, second]
    assert TARGET_ID.fullmatch(new_target_id())


def test_a_partial_update_keeps_the_other_fields(store, cycle):
    tid = store.record_target(
        cycle, principle_id="P4", text_="Pupil voice panel", owner="Deputy", review_date=date(2025, 3, 31)
    )
    store.record_target(cycle, target_id=tid, status="in_progress", recorded_by="Deputy")
    store.record_target(cycle, target_id=tid, owner="", review_date="2025-07-15")
    target = store.target(cycle, tid)
    assert (target["principle_id"], target["text"], target["owner"], target["review_date"], target["status"]) == (
        "P4",
        "Pupil voice panel",
        "",
        "2025-07-15",
        "in_progress",
    )
    store.record_target(cycle, target_id=tid, principle_id="P5")
    assert store.target(cycle, tid)["principle_id"] == "P5"


def test_history_keeps_every_entry_of_every_target(store, cycle):
    a = store.record_target(cycle, text_="A")
    b = store.record_target(cycle, text_="B")
    for status in ("in_progress", "achieved"):
        store.record_target(cycle, target_id=a, status=status)
    store.record_target(cycle, target_id=b, status="dropped")
    assert [t["status"] for t in store.target_history(cycle, a)] == ["open", "in_progress", "achieved"]
    assert [(t["target_id"], t["status"]) for t in store.target_history(cycle)] == [
        (a, "open"),
        (b, "open"),
        (a, "in_progress"),
        (a, "achieved"),
        (b, "dropped"),
    ]
    assert [(t["target_id"], t["status"]) for t in store.targets(cycle)] == [(a, "achieved"), (b, "dropped")]


def test_the_latest_recorded_target_entry_is_current(store, cycle):
    tid = store.record_target(cycle, text_="Later", recorded_at="2025-05-01T00:00:00")
    store.record_target(cycle, target_id=tid, text_="Back-dated", status="achieved", recorded_at="2025-01-01T00:00:00")
    assert (store.target(cycle, tid)["text"], store.target(cycle, tid)["status"]) == ("Later", "open")
    assert len(store.target_history(cycle, tid)) == 2


@pytest.mark.parametrize("day", ["30/06/2025", "2025-02-30", "2025-6-3", "2025-06-30T09:00", "soon", "20250630"])
def test_a_review_date_not_written_yyyy_mm_dd_is_refused(store, cycle, day):
    with pytest.raises(StoreError, match=re.escape(f"review date {day!r} is not a date written YYYY-MM-DD")):
        store.record_target(cycle, text_="x", review_date=day)
    assert store.targets(cycle) == []
    assert check_review_date("") == check_review_date(None) == "" and check_review_date(" 2025-01-31 ") == "2025-01-31"


@pytest.mark.parametrize("status", ["done", "Open", "in progress", ""])
def test_a_status_not_of_the_list_is_refused(store, cycle, status):
    tid = store.record_target(cycle, text_="x")
    with pytest.raises(
        StoreError, match=re.escape(f"target status must be one of {', '.join(TARGET_STATUSES)}, got {status!r}")
    ):
        store.record_target(cycle, target_id=tid, status=status)
    assert len(store.target_history(cycle)) == 1


@pytest.mark.parametrize("principle", ["P9", "A1", "LM"])
def test_a_principle_not_of_the_cycles_framework_is_refused(store, cycle, principle):
    with pytest.raises(StoreError, match=f"principle '{principle}' is not in framework 'wqm'"):
        store.record_target(cycle, principle_id=principle, text_="x")
    tid = store.record_target(cycle, principle_id="P1", text_="x")
    with pytest.raises(StoreError, match="not in framework"):
        store.record_target(cycle, target_id=tid, principle_id=principle)
    assert len(store.target_history(cycle)) == 1


def test_a_target_id_of_another_cycle_is_not_this_cycles(store, cycle):
    other = store.ensure_cycle("S1", "2025-26")
    tid = store.record_target(other, text_="Next year's")
    with pytest.raises(StoreError, match=f"no target {tid} in this cycle"):
        store.record_target(cycle, target_id=tid, status="achieved")
    assert store.targets(cycle) == []


def test_create_keeps_a_given_id_and_may_name_the_cycle_it_came_from(store, cycle):
    later = store.ensure_cycle("S1", "2025-26")
    assert store.record_target(cycle, target_id="T-import1", create=True, text_="Imported") == "T-import1"
    store.record_target(cycle, target_id="T-import1", create=True, status="in_progress")  # exists: an update
    assert [t["status"] for t in store.target_history(cycle, "T-import1")] == ["open", "in_progress"]
    store.record_target(later, target_id="T-import1", create=True, text_="Imported", carried_from=cycle)
    assert store.target(later, "T-import1")["carried_from"] == cycle
    vbe = store.ensure_cycle("S1", "2023-24", "vbe")
    for source in (vbe, later, 999):
        with pytest.raises(StoreError, match=f"cannot be carried from cycle {source}, which is not another wqm"):
            store.record_target(later, target_id="T-other", create=True, carried_from=source)
    assert store.target(later, "T-other") is None


@pytest.mark.parametrize(
    "sql, args",
    [
        ("UPDATE target_history SET status = 'achieved'", ()),
        ("DELETE FROM target_history", ()),
        (
            "INSERT OR REPLACE INTO target_history (entry_id, cycle_id, target_id, status, recorded_at) "
            "VALUES (1, ?, 'T-x', 'dropped', 'now')",
            "cycle",
        ),
        (
            "INSERT INTO target_history (entry_id, cycle_id, target_id, recorded_at) VALUES (1, ?, 'T-x', 'now')",
            "cycle",
        ),
    ],
)
def test_target_history_is_append_only_whoever_runs_the_sql(store, cycle, sql, args):
    tid = store.record_target(cycle, text_="Kept", status="open")
    before = store.target_history(cycle)
    with pytest.raises(sqlite3.DatabaseError, match="target_history is append-only"):
        store.conn.execute(sql, (cycle,) if args == "cycle" else ())
    assert store.target_history(cycle) == before and store.target(cycle, tid)["status"] == "open"


def test_the_target_table_checks_what_it_holds(store, cycle):
    for values in (("T-1", "30/06/2025", "open"), ("T-2", "2025-01-01", "done"), ("", "", "open")):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            store.conn.execute(
                "INSERT INTO target_history (cycle_id, target_id, review_date, status, recorded_at) "
                "VALUES (?, ?, ?, ?, 'now')",
                (cycle, *values),
            )


# -- starting a year ---------------------------------------------------------------------------------------------


@pytest.fixture
def years(store):
    """S1 with wqm cycles 2023-24 and 2024-25 and a vbe cycle 2024-25, each with targets."""
    store.add_school("S1", "Test Primary", "primary")
    store.clock = ticking()
    old = store.ensure_cycle("S1", "2023-24")
    last = store.ensure_cycle("S1", "2024-25")
    vbe = store.ensure_cycle("S1", "2024-25", "vbe")
    ids = dict(
        older=store.record_target(old, text_="Open two years ago", principle_id="P1"),
        open=store.record_target(last, text_="Still open", principle_id="P2", owner="Head", review_date="2025-07-01"),
        going=store.record_target(last, text_="Under way", principle_id="P3"),
        done=store.record_target(last, text_="Done"),
        dropped=store.record_target(last, text_="Dropped"),
        values=store.record_target(vbe, text_="A values target", principle_id="A1"),
    )
    store.record_target(last, target_id=ids["going"], status="in_progress")
    store.record_target(last, target_id=ids["done"], status="achieved")
    store.record_target(last, target_id=ids["dropped"], status="dropped")
    return dict(old=old, last=last, vbe=vbe, **ids)


def test_start_year_carries_the_open_targets_of_the_latest_earlier_cycle(store, years):
    started = store.start_year("S1", "2025-26", "wqm", recorded_by="Consultant")
    cycle = started["cycle_id"]
    assert started == dict(cycle_id=cycle, created=True, from_year="2024-25", carried=[years["open"], years["going"]])
    assert store.cycle("S1", "2025-26")["cycle_id"] == cycle
    carried = store.targets(cycle)
    assert [
        (t["target_id"], t["text"], t["principle_id"], t["status"], t["carried_from"], t["recorded_by"])
        for t in carried
    ] == [
        (years["open"], "Still open", "P2", "open", years["last"], "Consultant"),
        (years["going"], "Under way", "P3", "in_progress", years["last"], "Consultant"),
    ]
    assert (carried[0]["owner"], carried[0]["review_date"]) == ("Head", "2025-07-01")
    # the earlier year is untouched, and a carried target is edited in its new year only
    store.record_target(cycle, target_id=years["open"], status="achieved")
    assert store.target(years["last"], years["open"])["status"] == "open"
    assert len(store.target_history(years["last"])) == 7


def test_start_year_twice_carries_nothing_new(store, years):
    first = store.start_year("S1", "2025-26", "wqm")
    again = store.start_year("S1", "2025-26", "wqm")
    assert again == dict(cycle_id=first["cycle_id"], created=False, from_year="2024-25", carried=[])
    assert len(store.target_history(first["cycle_id"])) == 2
    # a target opened in the earlier year since is carried by the next run, and only it
    late = store.record_target(years["last"], text_="Opened late")
    assert store.start_year("S1", "2025-26", "wqm")["carried"] == [late]


def test_start_year_does_not_bring_back_a_carried_target_closed_in_the_new_year(store, years):
    cycle = store.start_year("S1", "2025-26", "wqm")["cycle_id"]
    store.record_target(cycle, target_id=years["open"], status="dropped")
    assert store.start_year("S1", "2025-26", "wqm")["carried"] == []
    assert store.target(cycle, years["open"])["status"] == "dropped"


def test_start_year_with_no_earlier_cycle_carries_none(store, years):
    started = store.start_year("S1", "2022-23", "wqm")
    assert (started["created"], started["from_year"], started["carried"]) == (True, None, [])
    assert store.targets(started["cycle_id"]) == []
    store.add_school("S2", "New School", "secondary")
    fresh = store.start_year("S2", "2025-26", "wqm")
    assert (fresh["created"], fresh["from_year"], fresh["carried"]) == (True, None, [])
    assert [y["academic_year"] for y in store.school_years("S2")] == ["2025-26"]


def test_start_year_carries_only_the_same_frameworks_targets(store, years):
    wqm = store.start_year("S1", "2025-26", "wqm")
    assert years["values"] not in wqm["carried"]
    vbe = store.start_year("S1", "2025-26", "vbe")
    assert (vbe["from_year"], vbe["carried"]) == ("2024-25", [years["values"]])
    assert store.target(vbe["cycle_id"], years["values"])["carried_from"] == years["vbe"]
    lm = store.start_year("S1", "2025-26", "leadership_management")
    assert (lm["from_year"], lm["carried"]) == (None, [])


def test_start_year_of_a_middle_year_carries_from_the_year_before_it(store, years):
    started = store.start_year("S1", "2024-25", "wqm")  # exists, later than 2023-24
    assert (started["created"], started["from_year"]) == (False, "2023-24")
    assert started["carried"] == [years["older"]]
    assert store.target(years["last"], years["older"])["carried_from"] == years["old"]


def test_start_year_of_an_unknown_school_writes_nothing(store, years):
    before = history_rows(store, "target_history"), history_rows(store, "cycles")
    with pytest.raises(UnknownSchoolError, match="S9"):
        store.start_year("S9", "2025-26", "wqm")
    assert (history_rows(store, "target_history"), history_rows(store, "cycles")) == before


# -- erasure and migrated stores ---------------------------------------------------------------------------------


def test_erasing_a_school_with_targets_and_superseding_notes(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        for school in ("S1", "S2"):
            store.add_school(school, f"School {school}", "primary")
            last = store.ensure_cycle(school, "2024-25")
            tid = store.record_target(last, text_=f"{school} target", principle_id="P1")
            store.record_target(last, target_id=tid, status="in_progress")
            note = store.add_note(last, f"{school} note", principle_id="P1")
            edited = store.add_note(last, f"{school} note, edited", principle_id="P1", supersedes=note)
            store.add_note(last, "", principle_id="P1", supersedes=edited)
            store.record_rating(last, "P1.1", None, "Evidence", sorting="want_to_do")
            store.start_year(school, "2025-26", "wqm")
    removed = remove_school(path, "S1")
    assert removed == {
        "schools": 1,
        "school_years": 2,
        "cycles": 2,
        "ratings": 1,
        "notes": 3,
        "reflections": 0,
        "targets": 3,
        "awards": 0,
        "answers": 0,
        "scores": 0,
    }
    assert erasure_log(path)[-1]["counts"] == removed
    with Store(path) as store:
        assert [s["school_id"] for s in store.schools()] == ["S2"]
        assert store.conn.execute("SELECT count(*) FROM target_history").fetchone()[0] == 3
        assert store.conn.execute("SELECT count(*) FROM adviser_notes").fetchone()[0] == 3
        with pytest.raises(sqlite3.DatabaseError, match="target_history is append-only"):
            store.conn.execute("DELETE FROM target_history")
    assert b"S1 target" not in path.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("*-wal"))


@pytest.mark.parametrize("make", [make_v1_store, make_v2_store], ids=["v1", "v2"])
def test_a_migrated_store_takes_superseding_notes_targets_and_blank_ratings(tmp_path, make):
    path = make(tmp_path / "wqm.sqlite")
    with Store(path) as store:
        assert store.migrated_from in (1, 2)
        school = store.schools()[0]["school_id"]
        cycle = store.cycles(school, "wqm")[-1]
        cycle_id, year = cycle["cycle_id"], cycle["academic_year"]
        old_note = store.conn.execute(
            "SELECT note_id, principle_id, note FROM adviser_notes WHERE cycle_id = ? ORDER BY note_id LIMIT 1",
            (cycle_id,),
        ).fetchone()
        store.add_note(
            cycle_id, "Edited after the upgrade", principle_id=old_note["principle_id"], supersedes=old_note["note_id"]
        )
        assert "Edited after the upgrade" in store.notes(cycle_id)["note"].tolist()
        assert old_note["note"] not in store.notes(cycle_id)["note"].tolist()
        store.record_rating(
            cycle_id, "P1.1", None, "Rating withdrawn pending review", sorting="doing_now", source="form"
        )
        current = store.current_elements(cycle_id)["P1.1"]
        assert (current["rating"], current["sorting"], current["source"]) == (None, "doing_now", "form")
        assert all(r["source"] == "" for r in store.element_history(cycle_id, "P1.1")[:-1])  # older rows
        tid = store.record_target(cycle_id, text_="Carried after the upgrade", principle_id="P2")
        next_year = f"{int(year[:4]) + 1}-{(int(year[:4]) + 2) % 100:02d}"
        started = store.start_year(school, next_year, "wqm")
        assert started["carried"] == [tid] and started["from_year"] == year
        with pytest.raises(sqlite3.DatabaseError, match="target_history is append-only"):
            store.conn.execute("UPDATE target_history SET text = 'x'")
