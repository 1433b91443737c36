"""Importing into existing stores (new, replace, merge), migrating and erasing a school, on real SQLite files."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from wqm_nb.errors import DataFileError, StoreError, UnknownSchoolError
from wqm_nb.store import (
    SCHEMA_VERSION,
    ImportReport,
    Store,
    backup_copy,
    erasure_log,
    import_folder,
    migrate,
    remove_school,
)

REPO = Path(__file__).resolve().parents[2]
BACKUP_NAME = re.compile(r"wqm\.sqlite\.backup-\d{8}T\d{6}Z(-\d+)?")
TABLES = (
    "schools",
    "school_years",
    "cycles",
    "sef_history",
    "adviser_notes",
    "reflections",
    "target_history",
    "survey_imports",
    "survey_answers",
)

from .conftest import MINIMAL, write_folder  # noqa: E402

REFLECTIONS = (
    "school_id,framework,academic_year,reflection_id,text,author,recorded_at\n"
    "S1,vbe,2024-25,stand_out,Pupils lead reflection,Head,2025-01-01T09:00:00\n"
)


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("wqm.sqlite.backup-*"))


@pytest.fixture
def store_file(tmp_path) -> Path:
    """A store built from the minimal folder."""
    report = import_folder(write_folder(tmp_path / "first"), tmp_path / "wqm.sqlite")
    assert report.mode == "new" and report.backup is None
    return report.target


# -- new ---------------------------------------------------------------------------------------------------------


def test_new_builds_a_store_and_counts_what_it_added(tmp_path):
    report = import_folder(write_folder(tmp_path / "csv"), tmp_path / "out" / "wqm.sqlite")
    assert report.added == {
        "schools": 2,
        "school_years": 2,
        "cycles": 2,
        "ratings": 2,
        "notes": 2,
        "reflections": 0,
        "targets": 0,
        "awards": 0,
        "answers": 3,
        "scores": 0,
    }
    assert sorted(p.name for p in report.target.parent.iterdir()) == ["wqm.sqlite"]  # no temporary files left
    with Store(report.target, read_only=True) as store:
        assert [s["school_id"] for s in store.schools()] == ["S1", "S2"]
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert report.summary().startswith(f"{report.target}: built: added 2 schools, 2 school years")


@pytest.mark.parametrize("existing", ["store", "text"])
def test_new_refuses_an_existing_target(tmp_path, store_file, existing):
    target = store_file if existing == "store" else tmp_path / "notes.txt"
    if existing == "text":
        target.write_text("not a store")
    before = target.read_bytes()
    with pytest.raises(StoreError, match="already exists: replace its content .* or merge"):
        import_folder(write_folder(tmp_path / "csv"), target)
    assert target.read_bytes() == before


def test_a_bad_folder_touches_nothing(tmp_path, store_file):
    bad = write_folder(tmp_path / "bad", **{"schools.csv": MINIMAL["schools.csv"].replace("primary", "nursery")})
    before = store_file.read_bytes()
    for mode in ("replace", "merge"):
        with pytest.raises(DataFileError, match="phase must be one of"):
            import_folder(bad, store_file, mode)
    assert store_file.read_bytes() == before
    assert backups(tmp_path) == []
    with pytest.raises(DataFileError):
        import_folder(bad, tmp_path / "new" / "wqm.sqlite")
    assert not (tmp_path / "new" / "wqm.sqlite").exists()
    with pytest.raises(StoreError, match="not a folder"):
        import_folder(tmp_path / "absent", tmp_path / "x.sqlite")
    with pytest.raises(StoreError, match="import mode must be one of new, replace, merge"):
        import_folder(write_folder(tmp_path / "csv"), store_file, "overwrite")  # type: ignore[arg-type]


def test_replace_or_merge_of_a_missing_store_builds_it(tmp_path):
    for mode in ("replace", "merge"):
        report = import_folder(write_folder(tmp_path / "csv"), tmp_path / mode / "wqm.sqlite", mode)
        assert report.mode == "new" and report.added["schools"] == 2 and report.backup is None


def test_a_folder_that_is_not_a_wqm_store_is_never_a_target(tmp_path):
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for mode in ("replace", "merge"):
        with pytest.raises(StoreError, match="not a wqm store"):
            import_folder(write_folder(tmp_path / "csv"), other, mode)
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv", "other.sqlite"]


# -- replace -----------------------------------------------------------------------------------------------------


def replacement(tmp_path: Path) -> Path:
    """A folder with school S3 only."""
    return write_folder(
        tmp_path / "replacement",
        **{
            "schools.csv": "school_id,name,phase\nS3,New School,special\n",
            "cycles.csv": "school_id,framework,academic_year\nS3,wqm,2025-26\n",
            "sef_ratings.csv": "school_id,framework,academic_year,element_id,rating,evidence,recorded_by,recorded_at\n"
            "S3,wqm,2025-26,P1.1,4,Plan,Head,2025-11-01T09:00:00\n",
            "adviser_notes.csv": "school_id,framework,academic_year,principle_id,author,note,created_at\n",
            "staff_survey.csv": "school_id,academic_year,respondent,role,S01\nS3,2025-26,x1,teaching,5\n",
        },
    )


def test_replace_keeps_a_backup_and_replaces_in_place(tmp_path, store_file):
    inode = os.stat(store_file).st_ino
    held = sqlite3.connect(store_file)  # a form or server holding the store open
    assert held.execute("SELECT school_id FROM schools ORDER BY 1").fetchall() == [("S1",), ("S2",)]

    report = import_folder(replacement(tmp_path), store_file, "replace")

    assert report.mode == "replace"
    assert report.added == {
        "schools": 1,
        "school_years": 1,
        "cycles": 1,
        "ratings": 1,
        "notes": 0,
        "reflections": 0,
        "targets": 0,
        "awards": 0,
        "answers": 1,
        "scores": 0,
    }
    assert report.removed == {
        "schools": 2,
        "school_years": 2,
        "cycles": 2,
        "ratings": 2,
        "notes": 2,
        "reflections": 0,
        "targets": 0,
        "awards": 0,
        "answers": 3,
        "scores": 0,
    }
    assert os.stat(store_file).st_ino == inode  # the same file, not a new one renamed over it
    assert held.execute("SELECT school_id FROM schools").fetchall() == [("S3",)]
    held.execute("INSERT INTO meta VALUES ('held', 'saved')")  # a later save lands in the store
    held.commit()
    held.close()
    with Store(store_file, read_only=True) as store:
        assert [s["school_id"] for s in store.schools()] == ["S3"]
        assert store.conn.execute("SELECT value FROM meta WHERE key = 'held'").fetchone()[0] == "saved"
    # the backup beside it holds the old content
    assert backups(tmp_path) == [report.backup]
    assert BACKUP_NAME.fullmatch(report.backup.name)
    with Store(report.backup, read_only=True) as old:
        assert [s["school_id"] for s in old.schools()] == ["S1", "S2"]
        assert len(old.rating_history(old.cycle("S1", "2024-25")["cycle_id"])) == 2
    assert f"; backup {report.backup}" in report.summary()


def test_replace_that_fails_leaves_the_store_and_no_backup(tmp_path, store_file, monkeypatch):
    from wqm_nb.store import maintenance

    def broken(src, dst):
        dst.conn.execute("INSERT INTO schools VALUES ('S9', 'Half', 'primary', '', '', NULL)")
        raise StoreError("power cut")

    monkeypatch.setattr(maintenance, "_merge", broken)
    before = counts(store_file)
    with pytest.raises(StoreError, match="power cut"):
        import_folder(replacement(tmp_path), store_file, "replace")
    assert counts(store_file) == before
    assert backups(tmp_path) == []


def test_replace_keeps_the_erasure_log(tmp_path, store_file):
    remove_school(store_file, "S2")
    import_folder(write_folder(tmp_path / "again"), store_file, "replace")
    assert [e["school_id"] for e in erasure_log(store_file)] == ["S2"]
    with Store(store_file, read_only=True) as store:
        assert [s["school_id"] for s in store.schools()] == ["S1", "S2"]
        assert store.conn.execute("SELECT count(*) FROM erasures").fetchone()[0] == 0


# -- merge -------------------------------------------------------------------------------------------------------


def test_merging_the_same_folder_twice_adds_nothing(tmp_path, store_file):
    before = counts(store_file)
    for _ in range(2):
        report = import_folder(tmp_path / "first", store_file, "merge")
        assert report.added == dict.fromkeys(report.added, 0)
        assert report.backup is None and report.kept_schools == ()
        assert report.summary() == f"{store_file}: merged: added nothing"
    assert counts(store_file) == before
    assert backups(tmp_path) == []


def test_merge_adds_what_is_new_and_keeps_every_history_row(tmp_path, store_file):
    later = write_folder(
        tmp_path / "later",
        **{
            "schools.csv": MINIMAL["schools.csv"] + "S3,Third School,special,,,40\n",
            "cycles.csv": MINIMAL["cycles.csv"] + "S1,wqm,2025-26\nS1,vbe,2024-25\nS3,wqm,2025-26\n",
            "sef_ratings.csv": MINIMAL["sef_ratings.csv"]
            + "S1,wqm,2024-25,P1.1,4,Policy reviewed,Head,2025-03-01T09:00:00\n"  # a later rating of P1.1
            + "S1,wqm,2024-25,P1.2,2,Plan,Deputy,2024-11-01T09:00:00\n"  # differs from a held row only in recorded_by
            + "S3,wqm,2025-26,P2.1,1,,,2025-10-01T09:00:00\n",
            "reflections.csv": REFLECTIONS,
            "staff_survey.csv": MINIMAL["staff_survey.csv"] + "S1,2024-25,s3,teaching,2,2\n",
        },
    )
    report = import_folder(later, store_file, "merge")
    assert report.added == {
        "schools": 1,
        "school_years": 2,
        "cycles": 3,
        "ratings": 3,
        "notes": 0,
        "reflections": 1,
        "targets": 0,
        "awards": 0,
        "answers": 2,
        "scores": 0,
    }
    assert report.backup is not None and backups(tmp_path) == [report.backup]
    with Store(store_file, read_only=True) as store:
        cycle = store.cycle("S1", "2024-25")["cycle_id"]
        history = store.rating_history(cycle)
        assert list(zip(history["element_id"], history["rating"], history["recorded_by"], strict=False)) == [
            ("P1.1", 3, "Head"),
            ("P1.2", 2, "Head"),
            ("P1.1", 4, "Head"),
            ("P1.2", 2, "Deputy"),
        ]
        assert store.current_ratings(cycle).set_index("element_id").loc["P1.1", "rating"] == 4
        assert store.reflections(store.cycle("S1", "2024-25", "vbe")["cycle_id"])["stand_out"]["author"] == "Head"
        year = store.school_year("S1", "2024-25")["school_year_id"]
        assert len(store.survey_responses(year)) == 5
    with Store(report.backup, read_only=True) as old:
        assert len(old.schools()) == 2
    assert import_folder(later, store_file, "merge").added == dict.fromkeys(report.added, 0)


def test_merge_is_seen_by_a_connection_held_open(tmp_path, store_file):
    held = Store(store_file, read_only=True)
    inode = os.stat(store_file).st_ino
    assert len(held.schools()) == 2
    import_folder(
        write_folder(tmp_path / "more", **{"schools.csv": MINIMAL["schools.csv"] + "S3,Third School,special,,,40\n"}),
        store_file,
        "merge",
    )
    assert [s["school_id"] for s in held.schools()] == ["S1", "S2", "S3"]
    assert os.stat(store_file).st_ino == inode
    held.close()


def test_identical_rows_in_a_folder_are_all_kept_and_merged_once(tmp_path, store_file):
    twice = MINIMAL["adviser_notes.csv"] + "S2,wqm,2024-25,,Adviser,First visit,2024-12-02T10:00:00\n"
    folder = write_folder(tmp_path / "twice", **{"adviser_notes.csv": twice})
    assert import_folder(folder, store_file, "merge").added["notes"] == 1  # the store held it once
    assert import_folder(folder, store_file, "merge").added["notes"] == 0
    assert counts(store_file)["adviser_notes"] == 3


def test_rows_without_a_time_merge_once(tmp_path):
    blank = write_folder(
        tmp_path / "blank",
        **{
            "sef_ratings.csv": MINIMAL["sef_ratings.csv"] + "S2,wqm,2024-25,P1.1,3,Undated,Head,\n",
            "adviser_notes.csv": MINIMAL["adviser_notes.csv"] + "S2,wqm,2024-25,,Adviser,Undated note,\n",
        },
    )
    target = import_folder(blank, tmp_path / "wqm.sqlite").target
    with Store(target, read_only=True) as store:
        stamped = store.rating_history(store.cycle("S2", "2024-25")["cycle_id"])["recorded_at"].tolist()
        assert stamped[0].startswith("20") and stamped[0].endswith("+00:00")  # the time of the import
    assert not any(import_folder(blank, target, "merge").added.values())
    assert counts(target)["sef_history"] == 3 and counts(target)["adviser_notes"] == 3


@pytest.mark.parametrize(
    "row, item, what",
    [
        ("S1,2024-25,s1,teaching,4,3\n", "S02", "value 5 in the store, 3 in the folder"),
        ("S1,2024-25,s1,support,4,5\n", "S01", "subgroup 'teaching' in the store, 'support' in the folder"),
    ],
)
def test_a_conflicting_survey_answer_is_refused_naming_it(tmp_path, store_file, row, item, what):
    header = MINIMAL["staff_survey.csv"].splitlines(keepends=True)[0]
    folder = write_folder(
        tmp_path / "conflict",
        **{
            "schools.csv": MINIMAL["schools.csv"] + "S3,Third School,special,,,40\n",  # would be added
            "staff_survey.csv": header + row,
        },
    )
    before = counts(store_file)
    with pytest.raises(StoreError) as err:
        import_folder(folder, store_file, "merge")
    assert (
        str(err.value) == f"school S1, year 2024-25, staff survey, respondent s1, item {item}: {what}; "
        "nothing was imported"
    )
    assert counts(store_file) == before
    assert backups(tmp_path) == []


def test_merge_keeps_the_stores_school_details_and_says_so(tmp_path, store_file):
    renamed = MINIMAL["schools.csv"].replace(
        "Test Academy,secondary,Test Trust,Testshire,900", "Renamed Academy,secondary,Test Trust,Testshire,950"
    )
    report = import_folder(write_folder(tmp_path / "renamed", **{"schools.csv": renamed}), store_file, "merge")
    assert report.kept_schools == ("S2",)
    assert "kept the store's details of S2" in report.summary()
    with Store(store_file, read_only=True) as store:
        assert store.school("S2")["name"] == "Test Academy"


TARGETS = (
    "school_id,framework,academic_year,target_id,principle_id,text,owner,review_date,status,recorded_by,"
    "recorded_at\n"
    "S1,wqm,2024-25,T-1,P1,Train TAs,SENCo,2025-06-30,open,Head,2024-10-01T09:00:00\n"
    "S1,wqm,2024-25,T-1,P1,Train TAs,SENCo,2025-06-30,in_progress,Head,2025-01-10T09:00:00\n"
    "S1,wqm,2025-26,T-1,P1,Train TAs,SENCo,2026-06-30,in_progress,Head,2025-09-05T09:00:00\n"
)
#: S2 listed first, so the folder's cycle ids differ from the store's.
TARGET_CYCLES = "school_id,framework,academic_year\nS2,wqm,2024-25\nS1,wqm,2025-26\nS1,wqm,2024-25\n"


def target_rows(path: Path) -> list[tuple]:
    """Every target entry with its cycle and the cycle it was carried from named by school and year."""
    conn = sqlite3.connect(path)
    named = (
        "(SELECT y.school_id || ' ' || c.framework || ' ' || y.academic_year FROM cycles c "
        "JOIN school_years y USING (school_year_id) WHERE c.cycle_id = {})"
    )
    try:
        return conn.execute(
            f"SELECT {named.format('t.cycle_id')}, t.target_id, t.principle_id, t.text, t.owner, "
            f"t.review_date, t.status, {named.format('t.carried_from')}, t.recorded_by, "
            f"t.recorded_at FROM target_history t ORDER BY t.entry_id"
        ).fetchall()
    finally:
        conn.close()


def test_merge_adds_the_target_entries_the_store_lacks(tmp_path, store_file):
    folder = write_folder(tmp_path / "targets", **{"cycles.csv": TARGET_CYCLES, "targets.csv": TARGETS})
    report = import_folder(folder, store_file, "merge")
    assert (report.added["targets"], report.added["cycles"]) == (3, 1)
    rows = target_rows(store_file)
    assert [(r[0], r[6], r[7]) for r in rows] == [
        ("S1 wqm 2024-25", "open", None),
        ("S1 wqm 2024-25", "in_progress", None),
        ("S1 wqm 2025-26", "in_progress", "S1 wqm 2024-25"),
    ]
    with Store(store_file, read_only=True) as store:
        later = store.cycle("S1", "2025-26")["cycle_id"]
        assert store.target(later, "T-1")["carried_from"] == store.cycle("S1", "2024-25")["cycle_id"]
    # the same folder again adds nothing; one more entry is added alone
    assert import_folder(folder, store_file, "merge").added == dict.fromkeys(report.added, 0)
    more = write_folder(
        tmp_path / "more",
        **{
            "cycles.csv": TARGET_CYCLES,
            "targets.csv": TARGETS + "S1,wqm,2025-26,T-1,P1,Train TAs,SENCo,2026-06-30,achieved,Head,"
            "2026-05-01T09:00:00\n",
        },
    )
    assert import_folder(more, store_file, "merge").added["targets"] == 1
    assert target_rows(store_file) == target_rows(import_folder(more, tmp_path / "fresh.sqlite").target)


def test_merge_keeps_target_entries_made_in_the_store(tmp_path, store_file):
    with Store(store_file) as store:
        cycle = store.cycle("S1", "2024-25")["cycle_id"]
        store.record_target(
            cycle,
            target_id="T-1",
            create=True,
            principle_id="P1",
            text_="Train TAs",
            owner="SENCo",
            review_date="2025-06-30",
            status="open",
            recorded_by="Head",
            recorded_at="2024-10-01T09:00:00",
        )  # the folder's first entry, made in the form
        store.record_target(
            cycle, target_id="T-1", status="achieved", recorded_by="Head", recorded_at="2025-06-01T09:00:00"
        )
    folder = write_folder(tmp_path / "targets", **{"cycles.csv": TARGET_CYCLES, "targets.csv": TARGETS})
    assert import_folder(folder, store_file, "merge").added["targets"] == 2
    with Store(store_file, read_only=True) as store:
        cycle = store.cycle("S1", "2024-25")["cycle_id"]
        assert [t["status"] for t in store.target_history(cycle, "T-1")] == ["open", "achieved", "in_progress"]
        assert store.target(cycle, "T-1")["status"] == "achieved"  # the latest recorded stays current


def test_merge_matches_a_rating_whatever_its_source_but_not_whatever_its_sorting(tmp_path):
    target = tmp_path / "wqm.sqlite"
    with Store(target) as store:
        store.add_school("S1", "Test Primary", "primary", trust="Test Trust", local_authority="Testshire", pupils=200)
        cycle = store.ensure_cycle("S1", "2024-25")
        # the folder's two rows, typed into the form (an older wqm recorded no source at all)
        store.record_rating(cycle, "P1.1", 3, "Policy", "Head", "2024-11-01T09:00:00", source="form")
        store.record_rating(cycle, "P1.2", 2, "Plan", "Head", "2024-11-01T09:00:00")
    folder = write_folder(
        tmp_path / "csv",
        **{
            "schools.csv": MINIMAL["schools.csv"].splitlines(True)[0] + MINIMAL["schools.csv"].splitlines(True)[1],
            "cycles.csv": "school_id,framework,academic_year\nS1,wqm,2024-25\n",
            "adviser_notes.csv": MINIMAL["adviser_notes.csv"].splitlines(True)[0],
            "staff_survey.csv": MINIMAL["staff_survey.csv"].splitlines(True)[0],
        },
    )
    assert import_folder(folder, target, "merge").added["ratings"] == 0
    sorted_ = write_folder(
        tmp_path / "sorted",
        **{
            "sef_ratings.csv": "school_id,framework,academic_year,element_id,rating,evidence,sorting,recorded_by,"
            "recorded_at\nS1,wqm,2024-25,P1.1,3,Policy,doing_now,Head,2024-11-01T09:00:00\n"
        },
    )
    assert import_folder(sorted_, target, "merge").added["ratings"] == 1
    with Store(target, read_only=True) as store:
        history = store.element_history(store.cycle("S1", "2024-25")["cycle_id"], "P1.1")
        assert [(r["sorting"], r["source"]) for r in history] == [("", "form"), ("doing_now", "csv")]


def test_replace_and_erase_count_targets(tmp_path, store_file):
    folder = write_folder(tmp_path / "targets", **{"cycles.csv": TARGET_CYCLES, "targets.csv": TARGETS})
    import_folder(folder, store_file, "merge")
    report = import_folder(replacement(tmp_path), store_file, "replace")
    assert report.removed["targets"] == 3 and report.removed["cycles"] == 3
    assert counts(store_file)["target_history"] == 0
    import_folder(folder, store_file, "merge")
    assert remove_school(store_file, "S1")["targets"] == 3
    assert counts(store_file)["target_history"] == 0


AWARDS = (
    "school_id,framework,level,academic_year,decided_on,assessor,outcome,reasons,recorded_by,recorded_at\n"
    "S1,wqm,approved,2019-20,2020-06-01,J. Reed,awarded,All principles met,Consultant,2020-06-02T10:00:00\n"
    "S1,wqm,champion,2022-23,2023-06-30,J. Reed,awarded,,,\n"
)


def award_rows(path: Path) -> list[tuple]:
    with Store(path, read_only=True) as store:
        return [
            (d["level"], d["academic_year"], d["outcome"], d["recorded_at"][:4])
            for d in store.award_decisions("S1", history=True)
        ]


def test_merge_adds_the_award_decisions_the_store_lacks_once(tmp_path, store_file):
    folder = write_folder(tmp_path / "awards", **{"award_decisions.csv": AWARDS})
    report = import_folder(folder, store_file, "merge")
    assert report.added["awards"] == 2 and "2 awards" in report.summary()
    assert award_rows(store_file)[0] == ("approved", "2019-20", "awarded", "2020")
    # the same folder again adds nothing (the blank time matches the time the merge gave it)
    assert import_folder(folder, store_file, "merge").added == dict.fromkeys(report.added, 0)
    # one more decision in the folder is added alone
    more = write_folder(
        tmp_path / "more",
        **{"award_decisions.csv": AWARDS + "S1,wqm,beacon,2025-26,2026-06-30,J. Reed,deferred,Next term,,\n"},
    )
    assert import_folder(more, store_file, "merge").added["awards"] == 1
    assert [r[:3] for r in award_rows(store_file)] == [
        ("approved", "2019-20", "awarded"),
        ("champion", "2022-23", "awarded"),
        ("beacon", "2025-26", "deferred"),
    ]


def test_merge_does_not_bring_back_a_corrected_decision(tmp_path, store_file):
    folder = write_folder(tmp_path / "awards", **{"award_decisions.csv": AWARDS})
    import_folder(folder, store_file, "merge")
    with Store(store_file) as store:
        champion = [d for d in store.award_decisions("S1") if d["level"] == "champion"][0]
        store.record_award_decision(
            "S1",
            "wqm",
            "champion",
            "2021-22",
            outcome="awarded",
            decided_on="2022-06-30",
            supersedes=champion["decision_id"],
        )
    assert import_folder(folder, store_file, "merge").added["awards"] == 0
    with Store(store_file, read_only=True) as store:
        assert [d["academic_year"] for d in store.award_decisions("S1", "wqm")] == ["2019-20", "2021-22"]


def test_replace_and_erase_count_award_decisions(tmp_path, store_file):
    folder = write_folder(tmp_path / "awards", **{"award_decisions.csv": AWARDS})
    assert import_folder(folder, tmp_path / "fresh.sqlite").added["awards"] == 2  # a new store too
    import_folder(folder, store_file, "merge")
    assert import_folder(replacement(tmp_path), store_file, "replace").removed["awards"] == 2
    import_folder(folder, store_file, "merge")
    assert remove_school(store_file, "S1")["awards"] == 2
    with Store(store_file, read_only=True) as store:
        assert store.award_decisions("S1", history=True) == []


MERGER = """
import sys
from wqm_nb.store import import_folder
print(sum(import_folder(sys.argv[1], sys.argv[2], "merge").added.values()))
"""


def test_two_processes_merging_at_once_add_the_folder_once(tmp_path, store_file):
    folder = write_folder(
        tmp_path / "more",
        **{
            "schools.csv": MINIMAL["schools.csv"] + "S3,Third School,special,,,40\n",
            "cycles.csv": MINIMAL["cycles.csv"] + "S3,wqm,2025-26\nS1,vbe,2024-25\n",
            "reflections.csv": REFLECTIONS,
        },
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MERGER, str(folder), str(store_file)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
    added = sorted(int(out) for out, _ in results)
    assert added == [0, 0, 5]  # 1 school, 1 school year, 2 cycles, 1 reflection: once
    assert counts(store_file)["reflections"] == 1


# -- migrate -----------------------------------------------------------------------------------------------------


def test_migrate_a_current_store_does_nothing(tmp_path, store_file):
    before = counts(store_file)
    assert migrate(store_file) == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert backups(tmp_path) == []
    assert counts(store_file) == before


def test_migrate_refuses_what_is_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="no wqm store"):
        migrate(tmp_path / "absent.sqlite")
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match="no wqm store"):
        migrate(empty)
    assert empty.read_bytes() == b""


# -- remove_school -----------------------------------------------------------------------------------------------


@pytest.fixture
def two_schools(tmp_path) -> Path:
    folder = write_folder(
        tmp_path / "two",
        **{
            "cycles.csv": MINIMAL["cycles.csv"] + "S1,vbe,2024-25\nS2,vbe,2024-25\n",
            "sef_ratings.csv": MINIMAL["sef_ratings.csv"] + "S2,wqm,2024-25,P3.1,2,Audit,Head,2024-11-05T09:00:00\n",
            "reflections.csv": REFLECTIONS + "S2,vbe,2024-25,stand_out,Values week,Head,2025-01-01T09:00:00\n",
            "staff_survey.csv": MINIMAL["staff_survey.csv"] + "S2,2024-25,t1,teaching,4,4\n",
        },
    )
    return import_folder(folder, tmp_path / "wqm.sqlite").target


def rows_of(path: Path, school_id: str) -> dict[str, list[tuple]]:
    """Every row that belongs to one school, per table."""
    conn = sqlite3.connect(path)
    cycles = (
        "SELECT cycle_id FROM cycles WHERE school_year_id IN "
        "(SELECT school_year_id FROM school_years WHERE school_id = ?)"
    )
    try:
        return {
            "schools": conn.execute("SELECT * FROM schools WHERE school_id = ?", (school_id,)).fetchall(),
            "school_years": conn.execute("SELECT * FROM school_years WHERE school_id = ?", (school_id,)).fetchall(),
            **{
                t: conn.execute(f"SELECT * FROM {t} WHERE cycle_id IN ({cycles}) ORDER BY 1", (school_id,)).fetchall()
                for t in ("sef_history", "adviser_notes", "reflections")
            },
            "survey_answers": conn.execute(
                "SELECT a.* FROM survey_answers a JOIN survey_imports i USING (import_id) WHERE i.school_year_id IN "
                "(SELECT school_year_id FROM school_years WHERE school_id = ?) ORDER BY 1, 2",
                (school_id,),
            ).fetchall(),
        }
    finally:
        conn.close()


def test_remove_school_erases_it_whole_and_logs_counts(two_schools):
    other = rows_of(two_schools, "S2")
    removed = remove_school(two_schools, "S1")
    assert removed == {
        "schools": 1,
        "school_years": 1,
        "cycles": 2,
        "ratings": 2,
        "notes": 1,
        "reflections": 1,
        "targets": 0,
        "awards": 0,
        "answers": 3,
        "scores": 0,
    }
    assert all(not rows for rows in rows_of(two_schools, "S1").values())
    assert rows_of(two_schools, "S2") == other  # untouched
    (entry,) = erasure_log(two_schools)
    assert entry["school_id"] == "S1" and entry["counts"] == removed
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", entry["removed_at"])
    conn = sqlite3.connect(two_schools)
    assert conn.execute("SELECT count(*) FROM erasures").fetchone()[0] == 0  # the guard is gone again
    assert set(json.loads(conn.execute("SELECT counts FROM erasure_log").fetchone()[0])) == set(removed)
    conn.close()


def test_a_plain_delete_still_fails_after_an_erasure(two_schools):
    remove_school(two_schools, "S1")
    before = rows_of(two_schools, "S2")
    with Store(two_schools) as store:
        for table, message in (
            ("sef_history", "sef_history is append-only"),
            ("reflections", "reflections are append-only"),
            ("adviser_notes", "adviser notes are append-only"),
            ("erasure_log", "erasure_log is append-only"),
        ):
            with pytest.raises(sqlite3.DatabaseError, match=message):
                store.conn.execute(f"DELETE FROM {table}")
        with pytest.raises(sqlite3.DatabaseError, match="erasure_log is append-only"):
            store.conn.execute("UPDATE erasure_log SET school_id = 'X'")
    assert rows_of(two_schools, "S2") == before
    assert len(erasure_log(two_schools)) == 1


def test_remove_an_unknown_school_changes_nothing(two_schools):
    before = counts(two_schools)
    with pytest.raises(UnknownSchoolError, match="unknown school 'S9'"):
        remove_school(two_schools, "S9")
    assert counts(two_schools) == before
    assert erasure_log(two_schools) == []


def test_remove_school_leaves_no_erased_text_in_the_file(two_schools):
    remove_school(two_schools, "S1")
    data = two_schools.read_bytes() + b"".join(p.read_bytes() for p in two_schools.parent.glob("wqm.sqlite-wal"))
    assert b"Visit went well" not in data and b"Test Primary" not in data
    assert b"First visit" in data  # S2's note is still there


def test_backup_copy_names_a_second_copy_in_the_same_second(store_file):
    first, second = backup_copy(store_file), backup_copy(store_file)
    assert first != second
    assert BACKUP_NAME.fullmatch(first.name) and BACKUP_NAME.fullmatch(second.name)
    for copy in (first, second):
        with Store(copy, read_only=True) as store:
            assert len(store.schools()) == 2


def test_import_report_summary_lists_only_what_happened(tmp_path):
    report = ImportReport(
        tmp_path / "wqm.sqlite",
        "replace",
        dict(schools=1, ratings=4),
        dict(schools=2),
        tmp_path / "wqm.sqlite.backup-20261128T153000Z",
    )
    assert report.summary() == (
        f"{tmp_path / 'wqm.sqlite'}: replaced: added 1 schools, 4 ratings; removed "
        f"2 schools; backup {tmp_path / 'wqm.sqlite.backup-20261128T153000Z'}"
    )


# -- measure scores -----------------------------------------------------------------------------------------------

SCORED_STAFF = (
    "school_id,academic_year,respondent,role,S01,S02,swemwbs.raw,swemwbs.metric\n"
    "S1,2024-25,s1,teaching,4,5,24,21.54\n"
    "S1,2024-25,s2,support,3,,,\n"
)


def test_merge_carries_a_new_respondents_scores_and_refuses_a_changed_one(tmp_path):
    target = import_folder(
        write_folder(tmp_path / "a", **{"staff_survey.csv": SCORED_STAFF}), tmp_path / "wqm.sqlite"
    ).target
    more = SCORED_STAFF + "S1,2024-25,s3,teaching,2,2,30,27.03\n"
    report = import_folder(write_folder(tmp_path / "b", **{"staff_survey.csv": more}), target, "merge")
    assert (report.added["answers"], report.added["scores"]) == (2, 2)
    with Store(target, read_only=True) as store:
        frame = store.survey_scores(store.school_year("S1", "2024-25")["school_year_id"])
        assert sorted(zip(frame["respondent"], frame["score_id"], strict=False)) == [
            ("s1", "metric"),
            ("s1", "raw"),
            ("s3", "metric"),
            ("s3", "raw"),
        ]
    assert not any(
        import_folder(write_folder(tmp_path / "c", **{"staff_survey.csv": more}), target, "merge").added.values()
    )
    changed = more.replace("24,21.54", "25,22.35")
    with pytest.raises(
        StoreError,
        match=r"respondent s1, score swemwbs metric: 21.54 in the store, 22.35 in the "
        r"folder; nothing was imported",
    ):
        import_folder(write_folder(tmp_path / "d", **{"staff_survey.csv": changed}), target, "merge")


def test_replace_and_erase_count_scores(tmp_path):
    target = import_folder(
        write_folder(tmp_path / "a", **{"staff_survey.csv": SCORED_STAFF}), tmp_path / "wqm.sqlite"
    ).target
    report = import_folder(write_folder(tmp_path / "b"), target, "replace")
    assert report.removed["scores"] == 2 and report.added["scores"] == 0
    target2 = import_folder(
        write_folder(tmp_path / "c", **{"staff_survey.csv": SCORED_STAFF}), tmp_path / "two.sqlite"
    ).target
    assert remove_school(target2, "S1")["scores"] == 2
    conn = sqlite3.connect(target2)
    assert conn.execute("SELECT count(*) FROM survey_scores").fetchone()[0] == 0
    conn.close()


def test_extract_copies_one_school_whole_and_nothing_of_any_other(tmp_path):
    from wqm_nb.store import build_database, extract_schools
    from wqm_nb.store.maintenance import EXTRACTED, NOT_EXTRACTED

    sample = Path(__file__).resolve().parents[2] / "sample_data"
    full = build_database(sample, tmp_path / "full.sqlite")
    part = extract_schools(full, ["NLT03"], tmp_path / "part.sqlite")
    conn = sqlite3.connect(part)
    tables = {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    }
    assert tables == {t for t, _ in EXTRACTED} | set(NOT_EXTRACTED)  # every table has a rule
    conn.execute("ATTACH DATABASE ? AS src", (str(full),))
    conn.execute("CREATE TEMP TABLE chosen (school_id TEXT)")
    conn.execute("INSERT INTO temp.chosen VALUES ('NLT03')")
    for table, where in EXTRACTED:
        mine = conn.execute(f"SELECT * FROM main.{table} ORDER BY 1, 2").fetchall()
        expected = conn.execute(f"SELECT * FROM src.{table} WHERE {where} ORDER BY 1, 2").fetchall()
        assert mine == expected, table
    assert conn.execute("SELECT count(*) FROM main.survey_answers").fetchone()[0] > 0
    assert {
        r[0]
        for r in conn.execute(
            "SELECT school_id FROM main.schools UNION "
            "SELECT school_id FROM main.benchmarks UNION "
            "SELECT school_id FROM main.school_years"
        )
    } == {"NLT03"}
    conn.close()


def test_a_report_from_an_extract_equals_the_report_from_the_whole_store(tmp_path):
    from wqm_nb.present import load_school_report
    from wqm_nb.store import build_database, extract_schools

    sample = Path(__file__).resolve().parents[2] / "sample_data"
    full = build_database(sample, tmp_path / "full.sqlite")
    with Store(full) as store:
        from wqm_nb.model.benchmarks import refresh_benchmarks

        refresh_benchmarks(store, "2025-26", "wqm", 5)
    part = extract_schools(full, ["NLT06"], tmp_path / "part.sqlite")
    whole, alone = (load_school_report(school_id="NLT06", data=str(p)) for p in (full, part))
    for name in (
        "header",
        "sef_section",
        "trend_section",
        "survey_section",
        "benchmark_section",
        "award_section",
        "action_plan_section",
        "notes_section",
    ):
        assert str(getattr(alone, name)()) == str(getattr(whole, name)()), name


def test_extract_refuses_an_existing_target_and_an_unknown_school(tmp_path):
    from wqm_nb.errors import UnknownSchoolError
    from wqm_nb.store import extract_schools

    with Store(tmp_path / "s.sqlite") as store:
        store.add_school("S1", "School", "primary")
    (tmp_path / "taken.sqlite").write_text("")
    with pytest.raises(StoreError, match="already exists"):
        extract_schools(tmp_path / "s.sqlite", ["S1"], tmp_path / "taken.sqlite")
    with pytest.raises(UnknownSchoolError):
        extract_schools(tmp_path / "s.sqlite", ["S9"], tmp_path / "new.sqlite")
    assert not (tmp_path / "new.sqlite").exists()
