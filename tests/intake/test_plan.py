"""One survey import from export file to store: inspect, plan, commit (wqm_nb.intake.plan).

Every valid fixture plans to the manifest's counts; broken files fail with an
error naming row, column and value, and a mapping file repairs them;
respondents get fresh pseudonymous ids in a shuffled order; comments are kept
only on request, redacted, flagged ones first, and a safeguarding phrase that
is not kept is reported with its row. ``commit_import`` writes to a copy of
the sample store: no personal value reaches the store file, a second import
of the same file is a no-op, an import of another file is refused, replaces
or adds, and the published figures count the imported respondents and a
paper tally's forms.
"""

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from openpyxl import load_workbook

import wqm_nb
from wqm_nb.data import load_framework
from wqm_nb.data.import_mapping import load_import_mapping, parse_import_mapping
from wqm_nb.data.safeguarding import load_safeguarding_list
from wqm_nb.errors import DataFileError, SettingsError, StoreError
from wqm_nb.intake.files import column_letter
from wqm_nb.intake.matching import IGNORE, ITEM
from wqm_nb.intake.plan import commit_import, inspect_export, plan_import, read_export
from wqm_nb.model import assess_school
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store
from wqm_nb.store.surveys import MISSING

RESPONSE_FILES = (
    "msforms_staff.xlsx",
    "google_pupil_direct.csv",
    "google_parent_sheet.csv",
    "surveymonkey_staff.csv",
    "surveymonkey_pupil.xlsx",
    "generic_staff.csv",
    "generic_staff_semicolon_cp1252.csv",
    "generic_pupil_tab.tsv",
    "generic_pupil_tab.csv",
    "excel_sep_hint.csv",
)
COMMENT_FILES = (
    "msforms_staff.xlsx",
    "google_pupil_direct.csv",
    "surveymonkey_staff.csv",
    "generic_staff_semicolon_cp1252.csv",
)
WQM_MAPPING = Path(wqm_nb.__file__).parent / "data" / "mappings" / "wqm.yaml"
SCHOOL, YEAR = "NLT03", "2025-26"


def inspect(exports, name, survey=None, mapping=None):
    return inspect_export(exports.read(name), name, survey or exports.manifest[name]["survey"], mapping=mapping)


def plan_of(exports, name, mapping=None, **options):
    return plan_import(inspect(exports, name, mapping=mapping), **options)


def item_counts(plan) -> dict:
    return {item: {v: int((plan.values[:, k] == v).sum()) for v in range(1, 6)} for k, item in enumerate(plan.item_ids)}


def nonzero(counts: dict) -> dict:
    """Nested counts without the zero entries (and with int keys)."""
    if all(isinstance(v, dict) for v in counts.values()):
        return {k: nonzero(v) for k, v in counts.items()}
    return {(int(k) if str(k).isdigit() else k): v for k, v in counts.items() if v}


def file_order_matrix(plan) -> np.ndarray:
    """The kept respondents' answers in the export's row order, converted independently of the plan."""
    insp = plan.inspection
    by_item = {m.target: m.column.index for m in insp.matches if m.action == ITEM}
    columns = []
    for item in plan.item_ids:
        values = [insp.bank.answer_value(v) for v in insp.body[by_item[item]]]
        columns.append([MISSING if v is None else v for v in values])
    matrix = np.array(columns, dtype=np.int8).T
    return matrix[(matrix != MISSING).any(axis=1)]


def sorted_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix[np.lexsort(matrix.T[::-1])]


def record_row(exports, name: str, text: str) -> tuple[int, int]:
    """(spreadsheet row, column index) of the cell holding ``text`` in a fixture."""
    if name.endswith(".xlsx"):
        sheet = load_workbook(exports.path(name), read_only=True).active
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        entry = exports.manifest[name]
        rows = list(csv.reader(io.StringIO(exports.read(name).decode(entry["encoding"])), delimiter=entry["delimiter"]))
    found = [(k + 1, row.index(text)) for k, row in enumerate(rows) if text in row]
    assert len(found) == 1
    return found[0]


def store_bytes(path: Path) -> bytes:
    """The store file's bytes and those of any journal beside it."""
    data = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = Path(str(path) + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return data


def whole_n(figures, survey: str, section: str) -> int:
    """The whole-group respondents of one survey in one section."""
    whole = figures.whole
    return whole[(whole["survey"] == survey) & (whole["section_id"] == section)]["n"].item()


def table_counts(store: Store) -> dict:
    return {
        t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("survey_imports", "survey_answers", "survey_tallies", "survey_comments")
    }


# --------------------------------------------------------------------------
# planning the fixtures


def test_every_response_fixture_is_listed(exports):
    valid = {n for n, e in exports.manifest.items() if e.get("kept") is not None and "error" not in e}
    assert valid == set(RESPONSE_FILES)


@pytest.mark.parametrize("name", RESPONSE_FILES)
def test_plan_gives_the_manifest_counts(exports, name):
    entry = exports.manifest[name]
    plan = plan_of(exports, name)
    assert plan.kept == entry["kept"]
    assert plan.dropped_empty == entry["dropped_empty"]
    assert plan.subgroup_counts() == nonzero(entry["subgroup_counts"])
    assert nonzero(item_counts(plan)) == nonzero(entry["item_counts"])
    assert plan.item_ids == tuple(entry["items"])
    assert plan.values.dtype == np.int8
    assert plan.values.shape == (entry["kept"], len(entry["items"]))
    assert set(np.unique(plan.values)) <= {MISSING, 1, 2, 3, 4, 5}
    assert (plan.values != MISSING).any(axis=1).all()
    assert len(plan.respondents) == len(plan.subgroups) == entry["kept"]
    assert plan.inspection.rows == entry["rows"]
    assert plan.tally is None


@pytest.mark.parametrize("name", ["tally_staff.csv", "tally_pupil_text.csv"])
def test_tally_plan_counts_forms_per_subgroup(exports, name):
    entry = exports.manifest[name]
    plan = plan_of(exports, name)
    assert plan.tally is not None
    if "subgroup_item_counts" in entry:
        per_group = entry["subgroup_item_counts"].values()
    else:
        per_group = [entry["item_counts"]]
    assert plan.kept == sum(max(sum(c.values()) for c in items.values()) for items in per_group)
    assert plan.item_ids == tuple(entry["items"])
    assert plan.respondents == ()
    summary = "\n".join(plan.summary())
    assert f"forms counted: {plan.kept}" in summary
    assert "paper tally" in summary


def test_section_counts_preview(exports):
    plan = plan_of(exports, "google_parent_sheet.csv")
    sections = plan.section_counts(load_framework("wqm")).set_index("section")
    mapping = yaml.safe_load(WQM_MAPPING.read_text(encoding="utf-8"))["surveys"]["parent"]
    for section in set(mapping.values()):
        own = [plan.item_ids.index(i) for i, s in mapping.items() if s == section]
        answered = plan.values[:, own] != MISSING
        assert sections.loc[section, "respondents"] == answered.any(axis=1).sum()
        assert sections.loc[section, "answers"] == answered.sum()


# --------------------------------------------------------------------------
# broken files


def test_unknown_label_names_row_column_and_value(exports):
    name = "broken_unknown_label.csv"
    error = exports.manifest[name]["error"]
    with pytest.raises(DataFileError) as exc:
        plan_of(exports, name)
    err = exc.value
    assert err.file == name
    assert err.row == error["row"]
    header = next(csv.reader(io.StringIO(exports.read(name).decode("utf-8"))))
    letter, _, shown = err.column.partition(": ")
    assert letter == column_letter(header.index(error["column"]))
    head, _, tail = shown.partition("\u2026")  # the header, cut in the middle when long
    assert len(head) >= 20 and error["column"].startswith(head) and error["column"].endswith(tail)
    assert repr(error["value"]) in err.message
    assert f"item {error['item']}" in err.message
    assert "nothing was imported" in err.message


def test_unmatched_scale_column_is_listed(exports):
    name = "broken_unmatched_scale_column.csv"
    column = exports.manifest[name]["error"]["column"]
    insp = inspect(exports, name)
    [unmatched] = insp.unmatched
    assert unmatched.column.header == column
    with pytest.raises(DataFileError) as exc:
        plan_import(insp)
    assert exc.value.file == name
    assert f'{unmatched.column.letter} "{column}"' in exc.value.message  # pasted into a mapping, it matches
    assert "nothing was imported" in exc.value.message


def test_answer_label_mapping_repairs_the_unknown_label(exports, tmp_path):
    name = "broken_unknown_label.csv"
    entry = exports.manifest[name]
    path = tmp_path / "school.yaml"
    path.write_text("survey: staff\nanswer_labels:\n  Strongly agre: 5\n", encoding="utf-8")
    mapping = load_import_mapping(path, inspect(exports, name).bank)
    plan = plan_of(exports, name, mapping=mapping)
    assert plan.kept + plan.dropped_empty == entry["rows"]
    rows = list(csv.reader(io.StringIO(exports.read(name).decode("utf-8"))))
    j = rows[0].index(entry["error"]["column"])
    strongly_agree = sum(1 for r in rows[1:] if r[j] == "Strongly agree")
    assert item_counts(plan)[entry["error"]["item"]][5] == strongly_agree + 1


def test_ignore_mapping_imports_the_unmatched_file(exports, tmp_path):
    name = "broken_unmatched_scale_column.csv"
    entry = exports.manifest[name]
    path = tmp_path / "school.yaml"
    path.write_text(
        yaml.safe_dump({"survey": "staff", "columns": {entry["error"]["column"]: "ignore"}}), encoding="utf-8"
    )
    plan = plan_of(exports, name, mapping=load_import_mapping(path, inspect(exports, name).bank))
    assert (plan.kept, plan.dropped_empty) == (entry["kept"], entry["dropped_empty"])
    assert nonzero(item_counts(plan)) == nonzero(entry["item_counts"])
    assert plan.subgroup_counts() == nonzero(entry["subgroup_counts"])


def test_with_targets_corrects_a_column_and_mapping_used_records_it(exports):
    name = "broken_unmatched_scale_column.csv"
    entry = exports.manifest[name]
    insp = inspect(exports, name)
    [unmatched] = insp.unmatched
    fixed = insp.with_targets({unmatched.column.index: IGNORE})
    assert fixed.unmatched == []
    assert plan_import(fixed).kept == entry["kept"]
    used = fixed.mapping_used()
    assert used.target(entry["error"]["column"]) == IGNORE
    assert used.target(entry["subgroup_header"]) == "subgroup"
    assert {used.target(h) for h in entry["item_headers"].values()} == set(entry["items"])
    assert insp.unmatched == [unmatched]  # the original inspection is unchanged


@pytest.mark.parametrize(
    "name, message",
    [
        ("header_only.csv", "header but no responses"),
        ("empty.csv", "empty"),
        ("html_error_page.csv", "web page"),
    ],
)
def test_files_without_responses_are_refused(exports, name, message):
    with pytest.raises(DataFileError, match=message):
        inspect_export(exports.read(name), name, "staff")


def test_a_spreadsheet_that_is_not_a_survey_matches_no_question(exports):
    insp = inspect_export(exports.read("not_a_survey.xlsx"), "not_a_survey.xlsx", "staff")
    with pytest.raises(DataFileError, match="no column matches a question of the staff survey"):
        plan_import(insp)


def test_unknown_survey_and_a_mapping_for_another_survey_are_refused(exports, bank):
    with pytest.raises(SettingsError, match="unknown survey"):
        inspect_export(exports.read("generic_staff.csv"), "generic_staff.csv", "governor")
    pupil_mapping = parse_import_mapping({"survey": "pupil"}, "pupil.yaml", bank)
    with pytest.raises(SettingsError, match="for the pupil survey, not staff"):
        inspect_export(exports.read("generic_staff.csv"), "generic_staff.csv", "staff", mapping=pupil_mapping)


def test_unknown_subgroup_answer_names_row_and_column(bank):
    data = b"Role,Wellbeing is treated as everyone's business across the whole school.\nTeacher,Agree\nGovernor,Agree\n"
    with pytest.raises(DataFileError, match="'Governor' is not a role") as exc:
        plan_import(inspect_export(data, "roles.csv", "staff", bank=bank))
    assert (exc.value.row, exc.value.column) == (3, "A: Role")
    mapping = parse_import_mapping({"survey": "staff", "subgroup_values": {"Governor": "leadership"}}, "m.yaml", bank)
    plan = plan_import(inspect_export(data, "roles.csv", "staff", bank=bank, mapping=mapping))
    assert plan.subgroup_counts() == {"teaching": 1, "leadership": 1}


def test_error_row_counts_a_blank_line_before_it(bank):
    data = (
        b"Role,Wellbeing is treated as everyone's business across the whole school.\nTeacher,Agree\n\nTeacher,Agreee\n"
    )
    with pytest.raises(DataFileError) as exc:
        plan_import(inspect_export(data, "blank.csv", "staff", bank=bank))
    assert exc.value.row == 4


# --------------------------------------------------------------------------
# pseudonymous respondents


def test_respondent_ids_are_fresh_unique_and_not_from_the_file(exports):
    name = "msforms_staff.xlsx"
    first, second = plan_of(exports, name), plan_of(exports, name)
    for plan in (first, second):
        assert len(set(plan.respondents)) == len(plan.respondents)
        assert all(re.fullmatch(r"p[0-9a-f]{6}-\d{6}", r) for r in plan.respondents)
    assert not set(first.respondents) & set(second.respondents)
    assert len({r.split("-")[0] for r in first.respondents}) == 1  # one random prefix per import


@pytest.mark.parametrize("name", ["msforms_staff.xlsx", "google_parent_sheet.csv", "surveymonkey_staff.csv"])
def test_respondent_order_is_shuffled(exports, name):
    first, second = plan_of(exports, name), plan_of(exports, name)
    in_file = file_order_matrix(first)
    assert np.array_equal(sorted_rows(first.values), sorted_rows(in_file))  # the same answers...
    assert not np.array_equal(first.values, in_file)  # ...not in the file's order
    assert not np.array_equal(first.values, second.values)  # and a new order each time
    # each respondent keeps their own subgroup
    pairs = lambda p: sorted((s, tuple(row)) for s, row in zip(p.subgroups, p.values.tolist(), strict=False))  # noqa: E731
    assert pairs(first) == pairs(second)


# --------------------------------------------------------------------------
# comments and safeguarding


@pytest.mark.parametrize("name", COMMENT_FILES)
def test_comments_are_not_kept_without_keep_comments(exports, name):
    plan = plan_of(exports, name)
    assert exports.manifest[name]["comments"]
    assert plan.comments == ()
    assert not any("comments kept" in line for line in plan.summary())


@pytest.mark.parametrize("name", COMMENT_FILES)
def test_kept_comments_are_redacted_and_the_flagged_one_comes_first(exports, make_exports, name):
    entry = exports.manifest[name]
    plan = plan_of(exports, name, keep_comments=True, staff_names=make_exports.STAFF_LIST)
    texts = [c.text for c in plan.comments]
    assert len(texts) == len(entry["comments"])
    for word in ("Patel", "Okafor", "Priya", "Helen"):
        assert not any(word in t for t in texts), word
    assert sum("[name]" in t for t in texts) == len(entry["comments_naming_staff"])
    ordinary = [c for c in entry["comments"] if c not in entry["comments_naming_staff"]]
    assert set(ordinary) <= {c.strip() for c in texts}  # the others are kept as written
    [flagged] = [c for c in plan.comments if c.flags]
    assert plan.comments[0] is flagged
    assert flagged.text == entry["safeguarding_comments"][0]
    assert set(flagged.flags) <= set(load_safeguarding_list().categories)
    assert flagged.item_id == entry["items"][0][0] + "C1"
    assert plan.notices[0].startswith("1 kept comment(s) contain words from the safeguarding list")


def test_without_a_staff_list_only_titled_names_are_redacted(exports):
    plan = plan_of(exports, "msforms_staff.xlsx", keep_comments=True)
    texts = " ".join(c.text for c in plan.comments)
    assert "Mrs Patel" not in texts and "Mr Okafor" not in texts
    assert "Priya" in texts  # a first name on its own needs the staff list


@pytest.mark.parametrize("name", ["msforms_staff.xlsx", "google_pupil_direct.csv", "surveymonkey_staff.csv"])
def test_safeguarding_comment_not_kept_gives_a_notice_naming_its_row(exports, name):
    entry = exports.manifest[name]
    row, index = record_row(exports, name, entry["safeguarding_comments"][0])
    plan = plan_of(exports, name)
    [notice] = plan.notices
    assert f"(rows {row})" in notice
    assert f"column {column_letter(index)} " in notice
    assert "--keep-comments" in notice
    assert f"SAFEGUARDING: {notice}" in plan.summary()


def test_safeguarding_free_text_answer_gives_a_notice(bank):
    data = (
        b"Role,Wellbeing is treated as everyone's business across the whole school.,"
        b"What one thing would you change?\n"
        b"Teacher,Agree,More planning time\n"
        b"Teacher,Disagree,Sometimes someone at home hurts me\n"
        b"TA,Agree,Longer lunch\n"
    )
    plan = plan_import(inspect_export(data, "free.csv", "staff", bank=bank), keep_comments=True)
    [notice] = plan.notices
    assert "(rows 3)" in notice and "column C " in notice
    assert "--keep-comments" not in notice
    assert plan.comments == ()


# --------------------------------------------------------------------------
# committing to a store


def test_commit_import_keeps_personal_data_out_of_the_store_file(exports, db):
    name = "msforms_staff.xlsx"
    entry = exports.manifest[name]
    plan = plan_of(exports, name)
    with Store(db) as store:
        outcome = commit_import(store, plan, SCHOOL, YEAR, on_existing="replace", imported_by="consultant")
        assert len(outcome.replaced) == 1 and outcome.replaced[0]["source"] == "wqm-csv"
        year = store.school_year(SCHOOL, YEAR)["school_year_id"]
        record = store.survey_imports(year, "staff")[-1]
        block = store.survey_data(year).blocks["staff"]
    assert record["import_id"] == outcome.import_id and record["replaced_by"] is None
    assert (record["source"], record["kind"], record["file_name"]) == ("microsoft-forms", "responses", name)
    assert record["file_sha256"] == hashlib.sha256(exports.read(name)).hexdigest()
    assert (record["respondents"], record["dropped_empty"], record["imported_by"]) == (61, 3, "consultant")
    assert json.loads(record["details"])["tool"] == "microsoft-forms"
    assert outcome.answers == int((plan.values != MISSING).sum())
    assert len(block) == entry["kept"]
    stored = {i: {v: int((block.values[:, k] == v).sum()) for v in range(1, 6)} for k, i in enumerate(block.item_ids)}
    assert nonzero(stored) == nonzero(entry["item_counts"])

    data = store_bytes(db)
    assert record["file_sha256"].encode() in data  # what was written is visible in these bytes
    assert entry["personal_values"]
    leaked = [v for v in entry["personal_values"] if v.encode("utf-8") in data]
    assert leaked == []
    assert [c for c in entry["comments"] if c.encode("utf-8") in data] == []
    for header in (entry["comment_header"], *entry["free_text_headers"]):  # nor the headers of dropped columns
        assert header.encode("utf-8") not in data


def test_kept_comments_reach_the_store_only_redacted(exports, make_exports, db):
    name = "surveymonkey_staff.csv"
    entry = exports.manifest[name]
    plan = plan_of(exports, name, keep_comments=True, staff_names=make_exports.STAFF_LIST)
    with Store(db) as store:
        commit_import(store, plan, SCHOOL, YEAR, on_existing="replace")
        year = store.school_year(SCHOOL, YEAR)["school_year_id"]
        comments = store.survey_comments(year, "staff")
    assert [c["text"] for c in comments] == [c.text for c in plan.comments]
    assert comments[0]["flags"] and not any(c["flags"] for c in comments[1:])
    data = store_bytes(db)
    assert [v for v in entry["personal_values"] if v.encode("utf-8") in data] == []
    for word in (b"Mrs Patel", b"Okafor", b"Priya", b"Helen"):
        assert word not in data
    assert plan.comments[-1].text.encode("utf-8") in data


def test_same_file_again_is_a_no_op_and_another_file_is_refused(exports, db):
    plan = plan_of(exports, "msforms_staff.xlsx")
    with Store(db) as store:
        first = commit_import(store, plan, SCHOOL, YEAR, on_existing="replace")
        before = table_counts(store)
        again = commit_import(store, plan_of(exports, "msforms_staff.xlsx"), SCHOOL, YEAR, on_existing="refuse")
        assert again.already is not None and again.already["import_id"] == first.import_id
        assert again.import_id == first.import_id and again.answers == 0
        assert table_counts(store) == before
        with pytest.raises(StoreError) as exc:
            commit_import(store, plan_of(exports, "surveymonkey_staff.csv"), SCHOOL, YEAR)
        assert "msforms_staff.xlsx" in str(exc.value)
        assert f"import {first.import_id}" in str(exc.value)
        assert table_counts(store) == before


def test_replace_keeps_the_earlier_record_and_removes_its_answers(exports, db):
    with Store(db) as store:
        first = commit_import(store, plan_of(exports, "msforms_staff.xlsx"), SCHOOL, YEAR, on_existing="replace")
        second = commit_import(store, plan_of(exports, "surveymonkey_staff.csv"), SCHOOL, YEAR, on_existing="replace")
        assert [r["import_id"] for r in second.replaced] == [first.import_id]
        year = store.school_year(SCHOOL, YEAR)["school_year_id"]
        records = {r["import_id"]: r for r in store.survey_imports(year, "staff")}
        assert records[first.import_id]["replaced_by"] == second.import_id
        assert records[second.import_id]["replaced_by"] is None
        left = store.conn.execute(
            "SELECT COUNT(*) FROM survey_answers WHERE import_id = ?", (first.import_id,)
        ).fetchone()[0]
        assert left == 0
        assert len(store.survey_data(year).blocks["staff"]) == exports.manifest["surveymonkey_staff.csv"]["kept"]


def test_add_keeps_both_imports_current(exports, db):
    with Store(db) as store:
        first = commit_import(store, plan_of(exports, "msforms_staff.xlsx"), SCHOOL, YEAR, on_existing="replace")
        second = commit_import(store, plan_of(exports, "surveymonkey_staff.csv"), SCHOOL, YEAR, on_existing="add")
        assert second.replaced == ()
        year = store.school_year(SCHOOL, YEAR)["school_year_id"]
        current = [r["import_id"] for r in store.survey_imports(year, "staff") if r["replaced_by"] is None]
        assert current == [first.import_id, second.import_id]
        kept = exports.manifest["msforms_staff.xlsx"]["kept"] + exports.manifest["surveymonkey_staff.csv"]["kept"]
        assert len(store.survey_data(year).blocks["staff"]) == kept


def test_commit_to_an_unknown_school_writes_nothing(exports, db):
    with Store(db) as store:
        before = table_counts(store)
        with pytest.raises(StoreError, match="NLT99"):
            commit_import(store, plan_of(exports, "msforms_staff.xlsx"), "NLT99", YEAR)
        assert table_counts(store) == before


def test_figures_count_the_imported_respondents_and_a_tallys_forms(exports, db):
    plan = plan_of(exports, "msforms_staff.xlsx")
    settings = ReportSettings(school_id=SCHOOL, year=YEAR, data=str(db))
    pupils_before = assess_school(settings).current.figures
    with Store(db) as store:
        commit_import(store, plan, SCHOOL, YEAR, on_existing="replace")
    figures = assess_school(settings).current.figures
    mapping = yaml.safe_load(WQM_MAPPING.read_text(encoding="utf-8"))["surveys"]["staff"]
    whole = figures.whole[figures.whole["survey"] == "staff"].set_index("section_id")
    assert set(whole.index) == set(mapping.values())
    for section in set(mapping.values()):
        own = [plan.item_ids.index(i) for i, s in mapping.items() if s == section]
        answered = plan.values[:, own] != MISSING
        assert whole.loc[section, "n"] == answered.any(axis=1).sum(), section
        assert whole.loc[section, "answers"] == answered.sum(), section
    totals = figures.totals.set_index("survey")
    assert totals.loc["staff", "n"] == plan.kept

    tally = plan_of(exports, "tally_pupil_text.csv")
    with Store(db) as store:
        outcome = commit_import(store, tally, SCHOOL, YEAR, on_existing="add")
    assert outcome.answers == sum(c for *_, c in tally.tally.counts)
    after = assess_school(settings).current.figures
    before_n = pupils_before.totals.set_index("survey").loc["pupil", "n"]
    assert after.totals.set_index("survey").loc["pupil", "n"] == before_n + tally.kept
    u01 = sum(c for _, i, _, c in tally.tally.counts if i == "U01")
    assert whole_n(after, "pupil", "P1") == whole_n(pupils_before, "pupil", "P1") + u01


def test_read_export_plans_a_file_by_path(exports):
    plan = read_export(exports.path("generic_staff.csv"), "staff")
    assert plan.kept == exports.manifest["generic_staff.csv"]["kept"]
    with pytest.raises(DataFileError, match="cannot read file"):
        read_export(exports.folder / "missing.csv", "staff")


# --------------------------------------------------------------------------
# the staff audit (docs/staff-audit.md): answers are maturity labels or 1-4

AUDIT_LABELS = ("Deciding to act", "Shared understanding", "Developing practice", "Embedded and evaluated")


def audit_msforms(bank, answers, roles) -> bytes:
    """A Microsoft Forms export of the audit: one row per member of staff, one column per principle."""
    import datetime as dt

    from openpyxl import Workbook

    audit = bank.surveys["staff_audit"]
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "ID",
            "Start time",
            "Completion time",
            "Email",
            "Name",
            "Last modified time",
            "What is your role in school?",
            *(i.text for i in audit.items),
            "What do we do well?",
        ]
    )
    for k, (row, role) in enumerate(zip(answers, roles, strict=False)):
        start = dt.datetime(2025, 9, 1, 9, k)
        ws.append(
            [
                k + 1,
                start,
                start + dt.timedelta(minutes=4),
                "anonymous",
                None,
                None,
                role,
                *row,
                "Our nurture group" if k == 0 else None,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def audit_google_csv(bank, answers) -> bytes:
    """A Google Forms export of the audit as one grid question: 'How far has our school got? [principle]'."""
    principles = [i.aliases[0] for i in bank.surveys["staff_audit"].items]
    header = ["Timestamp", *(f"How far has our school got? [{p}]" for p in principles)]
    lines = [header] + [[f"2025/09/01 9:{k:02d}:00 AM GMT+1", *row] for k, row in enumerate(answers)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    return buf.getvalue().encode("utf-8")


def test_an_audit_export_with_maturity_labels_plans_to_values_1_to_4(bank):
    answers = [[AUDIT_LABELS[(k + j) % 4] for j in range(7)] for k in range(8)]
    answers[1][6] = "Don't know"  # not answered
    roles = ["Teacher"] * 5 + ["Teaching assistant", "Senior leader", ""]
    plan = plan_import(inspect_export(audit_msforms(bank, answers, roles), "audit.xlsx", "staff_audit", bank=bank))
    assert plan.inspection.shape.tool == "microsoft-forms"
    assert plan.item_ids == ("SA1", "SA2", "SA3", "SA4", "SA5", "SA6", "SA7")
    assert plan.kept == 8 and plan.dropped_empty == 0
    expected = sorted(
        tuple(MISSING if v == "Don't know" else AUDIT_LABELS.index(v) + 1 for v in row) for row in answers
    )
    assert sorted(map(tuple, plan.values.tolist())) == expected
    assert plan.subgroup_counts() == {"teaching": 5, "support": 1, "leadership": 1, "": 1}
    assert "survey: Staff audit" in plan.summary()
    counts = plan.section_counts(load_framework("wqm"))
    assert counts["section"].tolist() == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert counts.set_index("section").loc["P7", "respondents"] == 7


def test_a_google_forms_grid_matches_the_principles_by_name(bank):
    answers = [[str((k + j) % 4 + 1) for j in range(7)] for k in range(6)]  # numbers 1-4 are accepted too
    insp = inspect_export(audit_google_csv(bank, answers), "audit.csv", "staff_audit", bank=bank)
    assert insp.shape.tool == "google-forms"
    assert [m.target for m in insp.matches if m.action == ITEM] == [f"SA{k}" for k in range(1, 8)]
    plan = plan_import(insp)
    assert sorted(map(tuple, plan.values.tolist())) == sorted(tuple(int(v) for v in row) for row in answers)


@pytest.mark.parametrize("bad", ["5", "Strongly agree"])
def test_an_answer_off_the_maturity_scale_is_refused_with_row_and_column(bank, bad):
    answers = [[AUDIT_LABELS[2]] * 7 for _ in range(6)]
    answers[3][4] = bad  # row 5 of the sheet, column SA5
    with pytest.raises(DataFileError) as err:
        plan_import(
            inspect_export(audit_msforms(bank, answers, ["Teacher"] * 6), "audit.xlsx", "staff_audit", bank=bank)
        )
    e = err.value
    assert e.file == "audit.xlsx" and e.row == 5
    assert e.column.startswith(f"{column_letter(7 + 4)}: Develop supportive policy")
    assert f"unknown answer {bad!r} for item SA5" in e.message
    assert (
        "'Deciding to act', 'Shared understanding', 'Developing practice', 'Embedded and evaluated' (or 1-4)"
        in e.message
        and "nothing was imported" in e.message
    )


def test_a_staff_survey_export_is_not_taken_for_the_audit(exports, bank):
    with pytest.raises(DataFileError, match="no column matches a question of the staff audit"):
        plan_import(inspect(exports, "msforms_staff.xlsx", survey="staff_audit"))


def test_an_audit_import_is_committed_and_shown_as_a_rating(bank, db):
    answers = [[AUDIT_LABELS[3 if j < 3 else 1] for j in range(7)] for _ in range(7)]
    plan = plan_import(
        inspect_export(audit_msforms(bank, answers, ["Teacher"] * 7), "audit.xlsx", "staff_audit", bank=bank)
    )
    with Store(db) as store:
        outcome = commit_import(store, plan, "NLT02", "2025-26")  # Beckside had no audit
        assert outcome.answers == 49
    figures = assess_school(ReportSettings(school_id="NLT02", year="2025-26", data=str(db))).current.figures
    rows = figures.ratings("staff_audit").set_index("section_id")
    assert rows.loc["P1", "n"] == 7 and rows.loc["P1", "mean"] == 4 and rows.loc["P1", "agree_share"] == 1
    assert rows.loc["P7", "mean"] == 2 and rows.loc["P7", "agree_share"] == 0
    assert set(rows["measure"]) == {"rating"}
    assert "staff_audit" not in set(figures.whole["survey"])


@pytest.mark.parametrize("drop", [0, 1])  # Google Forms and Microsoft Forms files with their header row deleted
def test_a_file_whose_header_row_was_deleted_is_noticed(bank, drop):
    from wqm_nb.intake.plan import inspect_export

    rows = [
        ["2025/11/01 10:00:00", "Agree", "Strongly agree", "Disagree", "Teacher"],
        ["2025/11/02 11:30:00", "Agree", "Agree", "Neutral", "Teaching assistant"],
        ["2025/11/03 09:12:00", "Strongly agree", "Agree", "Agree", "Teacher"],
    ]
    if drop:
        rows = [[str(k), "11/1/2025 10:00", "11/1/2025 10:03", "Agree", "Agree", "Disagree"] for k in range(1, 4)]
    text = "\n".join(",".join(r) for r in rows) + "\n"
    with pytest.raises(DataFileError, match="holds answers, not questions: the header row seems to have been deleted"):
        inspect_export(text.encode(), "no_header.csv", "staff", bank=bank)


def test_matching_again_through_a_mapping_keeps_the_personal_data_guard(bank):
    """A saved mapping or a correction is applied to the file already read (not read again), and still may
    not route a column of personal data anywhere but ignore."""
    from wqm_nb.data.import_mapping import parse_import_mapping
    from wqm_nb.intake.plan import inspect_export

    items = [i.text for i in bank.surveys["staff"].items[:3]]
    text = ",".join(["Timestamp", "Full name", *items]) + "\n" + ",".join(["x", "Ann Lee", "Agree", "Agree", "Agree"])
    insp = inspect_export((text + "\n").encode(), "staff.csv", "staff", bank=bank)
    ignored = insp.through(parse_import_mapping({"survey": "staff", "columns": {"Full name": "ignore"}}, "m", bank))
    assert ignored.table is insp.table and ignored.matches[1].action == "ignore"
    routed = parse_import_mapping({"survey": "staff", "columns": {"Full name": "comment SC1"}}, "m", bank)
    with pytest.raises(DataFileError, match='column B "Full name" is personal data'):
        insp.through(routed)
    with pytest.raises(DataFileError, match="is personal data"):
        insp.with_targets({1: "S04"})
