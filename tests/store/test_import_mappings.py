"""Saved import mappings: a school's own before its trust's, newest first; a link saves its own school's only;
erased with the school; a migration adds the table."""

import shutil

import pytest

from wqm_nb.errors import ScopeError, StoreError
from wqm_nb.store import Scope, Store
from wqm_nb.store.maintenance import remove_school

LINK_ID = "0a1b2c3d4e5f"


@pytest.fixture
def db(sample_db, tmp_path):
    return shutil.copy(sample_db, tmp_path / "wqm.sqlite")


def trust_schools(store: Store) -> tuple[str, str, str]:
    """Two schools of one trust and a third of another (or of none)."""
    schools = store.schools()
    trust = schools[0]["trust"]
    same = [s["school_id"] for s in schools if s["trust"] == trust]
    other = [s["school_id"] for s in schools if s["trust"] != trust]
    assert len(same) >= 2, "the sample has a trust of two or more schools"
    if not other:
        store.add_school("NLT98", "Elsewhere Primary", "primary", trust="Other Trust")
        other = ["NLT98"]
    return same[0], same[1], other[0]


def test_a_schools_own_mapping_comes_before_its_trusts_and_applies_to_no_other_school(db):
    with Store.open(db) as store:
        a, b, elsewhere = trust_schools(store)
        trust_id = store.save_import_mapping(a, "staff", "sig1", "survey: staff\n", for_trust=True, saved_by="Con")
        assert store.find_import_mapping(b, "staff", "sig1")["mapping_id"] == trust_id  # the whole trust
        assert store.find_import_mapping(elsewhere, "staff", "sig1") is None  # not another trust
        own = store.save_import_mapping(a, "staff", "sig1", "survey: staff\ncolumns: {}\n", saved_by="Head")
        assert store.find_import_mapping(a, "staff", "sig1")["mapping_id"] == own
        assert store.find_import_mapping(b, "staff", "sig1")["mapping_id"] == trust_id
        assert store.find_import_mapping(a, "staff", "other-form") is None
        again = store.save_import_mapping(a, "staff", "sig1", "survey: staff\n", saved_by="Head")  # replaces
        assert [m["mapping_id"] for m in store.import_mappings(a)] == [again, trust_id]
        assert store.delete_import_mapping(trust_id)["saved_by"] == "Con"
        assert store.find_import_mapping(b, "staff", "sig1") is None
        with pytest.raises(StoreError, match=f"no saved mapping {trust_id}"):
            store.import_mapping(trust_id)


def test_a_link_saves_its_own_schools_mapping_only_and_signs_it(db):
    """The attack: a school's import link saving a mapping for the whole trust, or for another school, would
    change how every other school's exports are read."""
    with Store.open(db) as store:
        a, b, _ = trust_schools(store)
        year = store.school_year(a)["academic_year"]
        link = store.scoped(Scope.link(a, year, page="survey-import", link_id=LINK_ID))
        with pytest.raises(ScopeError, match="for its own school only"):
            link.save_import_mapping(a, "staff", "sig", "survey: staff\n", for_trust=True)
        with pytest.raises(ScopeError):
            link.save_import_mapping(b, "staff", "sig", "survey: staff\n")
        saved = link.save_import_mapping(a, "staff", "sig", "survey: staff\n", saved_by="Head")
        row = store.import_mapping(saved)
        assert row["school_id"] == a and LINK_ID in row["saved_by"]
        assert store.find_import_mapping(b, "staff", "sig") is None
        with pytest.raises(ScopeError):
            link.find_import_mapping(b, "staff", "sig")
        with pytest.raises(ScopeError):
            link.delete_import_mapping(saved)


def test_a_schools_own_mappings_are_erased_with_it(db):
    with Store.open(db) as store:
        a, b, _ = trust_schools(store)
        store.save_import_mapping(a, "staff", "sig", "survey: staff\n")
        kept = store.save_import_mapping(a, "pupil", "sig", "survey: pupil\n", for_trust=True)
    counts = remove_school(db, a)
    assert counts["saved mappings"] == 1
    with Store.open(db, read_only=True) as store:
        assert [m["mapping_id"] for m in store.import_mappings()] == [kept]  # the trust's stays
