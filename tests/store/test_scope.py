"""A store seen through a scope: a link's page reads its school's years up to its own, writes its own year,
framework and rights only, signs what it writes, and cannot reach anything else, however it is called."""

import inspect
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wqm_nb.errors import ScopeError, StoreError
from wqm_nb.store import Scope, Store
from wqm_nb.store.scope import METHODS, PLAIN, ScopedStore, scope_from_query

LINK_ID = "abcdef012345"


@pytest.fixture(scope="module")
def template(sample_db):
    return sample_db


@pytest.fixture
def db(template, tmp_path):
    import shutil

    path = tmp_path / "wqm.sqlite"
    shutil.copy(template, path)
    return path


#: each table's rows with the (school, year, framework) they belong to ('' where a row has none of one)
PLACED = {
    "schools": "SELECT school_id, '', '', * FROM schools",
    "school_years": "SELECT school_id, academic_year, '', * FROM school_years",
    "cycles": "SELECT y.school_id, y.academic_year, c.framework, c.* FROM cycles c JOIN school_years y USING "
    "(school_year_id)",
    **{
        t: f"SELECT y.school_id, y.academic_year, c.framework, t.* FROM {t} t JOIN cycles c USING (cycle_id) "
        f"JOIN school_years y USING (school_year_id)"
        for t in ("sef_history", "reflections", "adviser_notes", "target_history")
    },
    "survey_imports": "SELECT y.school_id, y.academic_year, '', i.* FROM survey_imports i JOIN school_years y "
    "USING (school_year_id)",
    **{
        t: f"SELECT y.school_id, y.academic_year, '', t.* FROM {t} t JOIN survey_imports i USING (import_id) "
        f"JOIN school_years y USING (school_year_id)"
        for t in ("survey_answers", "survey_tallies", "survey_comments", "survey_scores")
    },
    "award_decisions": "SELECT school_id, academic_year, framework, * FROM award_decisions",
    "benchmarks": "SELECT school_id, academic_year, framework, * FROM benchmarks",
    "import_mappings": "SELECT coalesce(school_id, 'trust:' || trust), '', '', * FROM import_mappings",
    "erasures": "SELECT school_id, '', '', * FROM erasures",
    "erasure_log": "SELECT school_id, '', '', * FROM erasure_log",
}


def dump(path) -> dict[str, set]:
    """Every row of every table with its place: what "unchanged" means."""
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables - {"meta", "sqlite_sequence"} == set(PLACED), "a new table needs its place in PLACED"
        return {t: set(map(repr, conn.execute(sql))) for t, sql in PLACED.items()}
    finally:
        conn.close()


def changed_places(before: dict, after: dict) -> set[tuple]:
    """The (table, school, year, framework) of every row added, changed or removed."""
    import ast

    out = set()
    for table in PLACED:
        for row in before[table] ^ after[table]:
            school, year, framework = ast.literal_eval(row)[:3]
            out.add((table, school, year, framework))
    return out


def capture_link(year="2025-26", **kw) -> Scope:
    return Scope.link("NLT01", year, page="capture", framework="wqm", link_id=LINK_ID, **kw)


def test_every_listed_method_is_the_stores_and_nothing_else_passes():
    for name in METHODS:
        assert callable(getattr(Store, name, None)), f"{name} is listed but the store has no such method"
    public = {n for n, _ in inspect.getmembers(Store) if not n.startswith("_")}
    # benchmarks_releases: the scoped store's own method, the consultant's only (tested below)
    own = {"transaction", "close", "open", "scoped", "version", "scratch", "benchmarks_releases"}
    unlisted = public - set(METHODS) - PLAIN - own
    scoped = ScopedStore(Store(":memory:"), Scope.consultant())
    for name in sorted(unlisted):  # conn, and any method added later, until it is listed
        with pytest.raises(ScopeError, match="not available"):
            getattr(scoped, name)
    with pytest.raises(ScopeError):
        _ = scoped.conn
    with scoped.transaction() as inside:  # the connection stays inside the store
        assert inside is None
    with pytest.raises(ScopeError):
        scoped.scoped(Scope.consultant())


def test_a_link_lists_and_reads_its_school_up_to_its_year_only(db):
    with Store.open(db, read_only=True) as store:
        scoped = store.scoped(Scope.link("NLT01", "2024-25", page="report"))
        assert [s["school_id"] for s in scoped.schools()] == ["NLT01"]
        assert [y["academic_year"] for y in scoped.school_years()] == ["2023-24", "2024-25"]
        assert scoped.school_year("NLT01")["academic_year"] == "2024-25"  # "latest" means latest in scope
        assert {c["school_id"] for c in scoped.cycles()} == {"NLT01"}
        assert all(c["academic_year"] <= "2024-25" for c in scoped.cycles())
        assert {i["school_id"] for i in scoped.survey_imports()} == {"NLT01"}
        assert all(d["school_id"] == "NLT01" for d in scoped.award_decisions())
        other = store.cycle("NLT02", "2024-25", "wqm")["cycle_id"]
        later = store.cycle("NLT01", "2025-26", "wqm")["cycle_id"]
        for call in (
            lambda: scoped.school("NLT02"),
            lambda: scoped.school_year("NLT01", "2025-26"),
            lambda: scoped.current_elements(other),
            lambda: scoped.current_elements(later),
            lambda: scoped.notes(other),
            lambda: scoped.targets(later),
            lambda: scoped.survey_data(store.school_year("NLT02", "2024-25")["school_year_id"]),
            lambda: scoped.benchmarks("NLT02", "2024-25", "wqm"),
            lambda: scoped.current_elements(10**6),
        ):
            with pytest.raises(ScopeError):
                call()
        with pytest.raises(ScopeError):  # kept comments are the consultant's
            scoped.survey_comments(store.school_year("NLT01", "2024-25")["school_year_id"])
        # a report link writes nothing
        own = store.cycle("NLT01", "2024-25", "wqm")["cycle_id"]
        with pytest.raises(ScopeError):
            scoped.record_rating(own, "P1.1", 3)


def test_a_link_writes_its_own_year_framework_and_rights_only_and_signs_it(db):
    before = dump(db)
    with Store.open(db) as store:
        scoped = store.scoped(capture_link())
        refused = [
            lambda: scoped.record_rating(store.cycle("NLT01", "2023-24", "wqm")["cycle_id"], "P1.1", 1),
            lambda: scoped.record_rating(store.cycle("NLT02", "2025-26", "wqm")["cycle_id"], "P1.1", 1),
            lambda: scoped.record_rating(store.cycle("NLT01", "2025-26", "vbe")["cycle_id"], "A1.1", 1),
            lambda: scoped.add_note(store.cycle("NLT01", "2024-25", "wqm")["cycle_id"], "old"),
            lambda: scoped.start_year("NLT01", "2031-32", "wqm"),
            lambda: scoped.start_year("NLT01", "2025-26", "wqm"),  # no start_year right
            lambda: scoped.ensure_school_year("NLT01", "2031-32"),
            lambda: scoped.ensure_cycle("NLT01", "2025-26", "vbe"),
            lambda: scoped.record_award_decision("NLT01", "wqm", "approved", "2025-26", outcome="awarded"),
            lambda: scoped.add_school("NLT99", "Brook", "primary"),
            lambda: scoped.import_survey(
                store.school_year("NLT01", "2025-26")["school_year_id"], "staff", source="x", item_ids=[]
            ),
        ]
        for call in refused:
            with pytest.raises(ScopeError):
                call()
        assert dump(db) == before
        own = store.cycle("NLT01", "2025-26", "wqm")["cycle_id"]
        scoped.record_rating(own, "P1.1", 2, recorded_by="Head teacher")
        scoped.add_note(own, "A note", author="")
        scoped.record_ratings(own, [{"element_id": "P1.2", "rating": 3, "recorded_by": "Someone (link 000000000000)"}])
        assert store.element_history(own, "P1.1")[-1]["recorded_by"] == f"Head teacher (link {LINK_ID})"
        assert store.current_notes(own)[-1]["author"] == f"link {LINK_ID}"
        assert (
            store.element_history(own, "P1.2")[-1]["recorded_by"] == f"Someone (link 000000000000) (link {LINK_ID})"
        )  # a typed id cannot stand for the link's


def test_the_consultant_scope_reaches_everything(db):
    with Store.open(db) as store:
        scoped = store.scoped(Scope.consultant())
        assert len(scoped.schools()) == 8
        scoped.add_school("NLT99", "Brook", "primary")
        started = scoped.start_year("NLT99", "2026-27", "wqm", recorded_by="A. Rahman")
        assert started["created"] and store.cycle("NLT99", "2026-27", "wqm")
        scoped.record_rating(started["cycle_id"], "P1.1", 2, recorded_by="A. Rahman")
        assert store.element_history(started["cycle_id"], "P1.1")[-1]["recorded_by"] == "A. Rahman"


def test_scope_from_the_pages_checked_parameters():
    assert scope_from_query({"school": "NLT01"}, "report").is_consultant  # no sig: the token's page
    scope = scope_from_query(
        {
            "school": "NLT01",
            "year": "2025-26",
            "framework": "vbe",
            "rights": "read,write_sef",
            "lid": LINK_ID,
            "expires": "1",
            "sig": "x",
        },
        "capture",
    )
    assert (scope.schools, scope.year, scope.framework, scope.rights, scope.link_id) == (
        {"NLT01"},
        "2025-26",
        "vbe",
        {"read", "write_sef"},
        LINK_ID,
    )
    with pytest.raises(ScopeError, match="cannot carry"):
        scope_from_query(
            {"school": "NLT01", "year": "2025-26", "rights": "read,add_school", "lid": LINK_ID, "sig": "x"}, "capture"
        )


# -- property: whatever a link's page calls, nothing outside its scope changes -------------------------------------

CALLS = st.sampled_from(
    [
        "record_rating",
        "add_note",
        "record_target",
        "record_reflection",
        "start_year",
        "ensure_school_year",
        "ensure_cycle",
        "import_survey",
        "record_award_decision",
        "add_school",
    ]
)
PLACES = st.tuples(
    st.sampled_from(["NLT01", "NLT02", "NLT07"]),
    st.sampled_from(["2023-24", "2024-25", "2025-26", "2026-27"]),
    st.sampled_from(["wqm", "vbe", "leadership_management"]),
)


#: the rights each call needs ("any": any write right); calls that touch a school year, not a framework's cycle
NEEDS = {
    "record_rating": {"write_sef"},
    "add_note": {"write_sef"},
    "record_target": {"write_sef"},
    "record_reflection": {"write_sef"},
    "start_year": {"start_year"},
    "ensure_school_year": "any",
    "ensure_cycle": {"write_sef"},
    "import_survey": {"import_survey", "write_sef"},
    "record_award_decision": {"record_award"},
    "add_school": set(),
}
SCHOOL_YEAR_CALLS = {"ensure_school_year", "import_survey"}


def _call(store: Store, scoped: ScopedStore, name: str, school: str, year: str, framework: str) -> None:
    cycle = store.cycle(school, year, framework)
    cid = cycle["cycle_id"] if cycle else 10**6
    year_row = [y for y in store.school_years(school) if y["academic_year"] == year]
    syid = year_row[0]["school_year_id"] if year_row else 10**6
    element = {"wqm": "P1.1", "vbe": "A1.1", "leadership_management": "LM1"}[framework]
    {
        "record_rating": lambda: scoped.record_rating(cid, element, 1, recorded_by="x"),
        "add_note": lambda: scoped.add_note(cid, "note", author="x"),
        "record_target": lambda: scoped.record_target(cid, text_="t", create=True, recorded_by="x"),
        "record_reflection": lambda: scoped.record_reflection(cid, "stand_out", "r", author="x"),
        "start_year": lambda: scoped.start_year(school, year, framework, recorded_by="x"),
        "ensure_school_year": lambda: scoped.ensure_school_year(school, year),
        "ensure_cycle": lambda: scoped.ensure_cycle(school, year, framework),
        "import_survey": lambda: scoped.import_survey(
            syid,
            "staff_audit",
            source="form",
            item_ids=["P1"],
            tallies=[("", "P1", 2, 3)],
            forms=3,
            on_existing="replace",
        ),
        "record_award_decision": lambda: scoped.record_award_decision(
            school, framework, "approved", year, outcome="awarded"
        ),
        "add_school": lambda: scoped.add_school(school + "X", "New", "primary"),
    }[name]()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    calls=st.lists(st.tuples(CALLS, PLACES), min_size=1, max_size=6),
    rights=st.sets(st.sampled_from(["write_sef", "import_survey", "start_year", "record_award"])),
)
def test_no_call_through_a_links_store_changes_anything_outside_its_scope(template, tmp_path_factory, calls, rights):
    import shutil

    db = tmp_path_factory.mktemp("prop") / "wqm.sqlite"
    shutil.copy(template, db)
    before = dump(db)
    with Store.open(db) as store:
        scoped = store.scoped(capture_link(rights=rights))
        for name, (school, year, framework) in calls:
            inside = (school, year) == ("NLT01", "2025-26") and (framework == "wqm" or name in SCHOOL_YEAR_CALLS)
            needs = NEEDS[name]
            allowed = inside and (bool(rights) if needs == "any" else bool(needs & rights))
            try:
                _call(store, scoped, name, school, year, framework)
            except ScopeError:
                assert not allowed, (name, school, year, framework, rights)
                continue
            except (StoreError, KeyError, ValueError):
                pass  # refused by the store's own checks: nothing written either
            assert allowed, (name, school, year, framework, rights)
    # rows may change only in NLT01 2025-26: its school year, its wqm cycle's records, its surveys
    for table, school, year, framework in changed_places(before, dump(db)):
        assert (school, year) == ("NLT01", "2025-26") and framework in ("wqm", ""), (table, school, year, framework)


def test_the_releases_benchmarks_were_computed_from_are_the_consultants_only():
    """They name every school of the year: a link's kernel reads its own school's cached benchmarks only."""
    store = Store(":memory:")
    store.record_benchmarks_releases("2025-26", "wqm", {"A": "r1", "B": "r2"})
    assert ScopedStore(store, Scope.consultant()).benchmarks_releases("2025-26", "wqm") == {"A": "r1", "B": "r2"}
    with pytest.raises(ScopeError, match="not available"):
        ScopedStore(store, Scope.link("A", "2025-26", page="report")).benchmarks_releases("2025-26", "wqm")
