"""A form's header signature: the same questions in the same order, whatever tool, metadata or personal
columns; a saved mapping found by it and named."""

import shutil

from wqm_nb.intake.plan import inspect_export
from wqm_nb.intake.saved_mappings import (
    find_saved_mapping,
    header_signature,
    question_headers,
    remember_mapping,
)
from wqm_nb.store import Store

QUESTIONS = ["What is your role in school?", "Our staff room is a good place", "I feel listened to"]


def export(first: list[str], questions: list[str]) -> bytes:
    header = ",".join(f'"{h}"' for h in [*first, *questions])
    row = ",".join(["x"] * len(first) + ["Teacher", "Agree", "Disagree"][: len(questions)])
    return (header + "\n" + row + "\n" + row + "\n").encode()


def signature_of(data: bytes, bank) -> str:
    return header_signature(question_headers(inspect_export(data, "f.csv", "staff", bank=bank).shape))


def test_the_signature_is_the_forms_questions_whatever_the_tool_or_personal_columns(bank):
    google = signature_of(export(["Timestamp"], QUESTIONS), bank)
    microsoft = signature_of(export(["ID", "Start time", "Completion time", "Email", "Name"], QUESTIONS), bank)
    with_email = signature_of(export(["Timestamp", "Email address"], QUESTIONS), bank)
    spacing = signature_of(export(["Timestamp"], [q.upper() + " ?" for q in QUESTIONS]), bank)
    assert google == microsoft == with_email == spacing == header_signature(QUESTIONS)
    assert signature_of(export(["Timestamp"], QUESTIONS[::-1]), bank) != google  # another order: another form
    assert signature_of(export(["Timestamp"], QUESTIONS[:2]), bank) != google


def test_a_remembered_mapping_is_found_for_the_same_form_and_named(bank, sample_db, tmp_path):
    db = shutil.copy(sample_db, tmp_path / "wqm.sqlite")
    first = inspect_export(export(["Timestamp"], QUESTIONS), "autumn.csv", "staff", bank=bank)
    first = first.with_targets({2: "S01", 3: "S02"})
    with Store.open(db) as store:
        saved_id = remember_mapping(store, "NLT03", first, for_trust=False, saved_by="Sam")
        found = find_saved_mapping(
            store, "NLT03", inspect_export(export(["ID", "Email"], QUESTIONS), "spring.csv", "staff", bank=bank)
        )
        assert found is not None and found.record["mapping_id"] == saved_id
        assert found.described.startswith(f"saved mapping {saved_id} (NLT03's own, saved by Sam on ")
        assert found.described.endswith(" from autumn.csv)")
        assert found.mapping.target("Our staff room is a good place") == "S01"
        other = inspect_export(export(["Timestamp"], QUESTIONS[:2]), "other.csv", "staff", bank=bank)
        assert find_saved_mapping(store, "NLT03", other) is None
