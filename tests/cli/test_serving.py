"""`wqm links` (and list, revoke) from the command line, and the capture commands of `wqm`: `wqm school add`,
`wqm year start` and `wqm links --page capture` (the servers themselves are tried in tests/serve)."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from wqm_nb.cli import main
from wqm_nb.serve.links import LinkError, check_link, load_secret
from wqm_nb.store import Store, build_database


def test_links_command_prints_and_writes_signed_links(sample_db, tmp_path, capsys):
    out = tmp_path / "links.csv"
    assert (
        main(
            [
                "links",
                "--data",
                str(sample_db),
                "--schools",
                "NLT01",
                "NLT03",
                "--year",
                "2025-26",
                "--base-url",
                "https://wellbeing.example.org",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and printed[0].split()[1].startswith("https://wellbeing.example.org/?school=NLT01&")
    assert out.read_text().count("sig=") == 2
    assert "wqm-secret" not in "".join(printed)
    assert main(["links", "--data", str(sample_db), "--schools", "NOPE"]) == 2


def test_links_are_bound_to_a_year_listed_and_revoked(sample_db, tmp_path, capsys):
    import shutil
    from urllib.parse import parse_qs, urlsplit

    from wqm_nb.serve.links import LinkError, LinkRegistry, check_link, load_secret

    db = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, db)
    assert main(["links", "--data", str(db), "--schools", "NLT01", "NLT03", "--page", "survey-import"]) == 0
    urls = [line.split()[1] for line in capsys.readouterr().out.splitlines()]
    queries = [{k: [x.encode() for x in v] for k, v in parse_qs(urlsplit(u).query).items()} for u in urls]
    links = [check_link(load_secret(db), q, page="survey-import") for q in queries]
    assert [(x.school, x.year, x.rights) for x in links] == [
        ("NLT01", "2025-26", ("read", "import_survey")),
        ("NLT03", "2025-26", ("read", "import_survey")),
    ]
    assert main(["links", "list", "--data", str(db)]) == 0
    listed = capsys.readouterr().out
    assert links[0].link_id in listed and links[1].link_id in listed and "live" in listed
    assert links[0].sig not in listed
    assert main(["links", "revoke", links[0].link_id, "--data", str(db)]) == 0
    assert "revoked link" in capsys.readouterr().out
    with pytest.raises(LinkError, match="revoked"):
        check_link(load_secret(db), queries[0], page="survey-import", revoked=LinkRegistry(db).revoked())
    assert main(["links", "list", "--data", str(db)]) == 0
    assert links[0].link_id not in capsys.readouterr().out
    assert main(["links", "list", "--all", "--data", str(db)]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["links", "revoke", "0" * 12, "--data", str(db)]) == 2
    assert "no link '000000000000'" in capsys.readouterr().err
    assert main(["links", "--data", str(db), "--schools", "NLT01", "--rights", "read,add_school"]) == 2
    assert "unknown right(s) add_school" in capsys.readouterr().err


@pytest.fixture
def db(sample_dir, tmp_path) -> Path:
    """A store file of the sample trust that a test may write to."""
    return build_database(sample_dir, tmp_path / "wqm.sqlite")


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("wqm: error: ") and captured.err.count("\n") == 1, captured.err
    return captured.err


# -- wqm school add ----------------------------------------------------------------------------------------------


def test_school_add_adds_a_school(db, capsys):
    assert (
        main(
            [
                "school",
                "add",
                "NLT09",
                "--name",
                "Northbrook Infant School",
                "--phase",
                "primary",
                "--trust",
                "Northbrook Learning Trust",
                "--local-authority",
                "Northbrook",
                "--pupils",
                "180",
                "--data",
                str(db),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == (
        f"added NLT09 (Northbrook Infant School, primary, Northbrook Learning Trust) to {db}\n"
    )
    with Store(db, read_only=True) as store:
        assert store.school("NLT09") == dict(
            school_id="NLT09",
            name="Northbrook Infant School",
            phase="primary",
            trust="Northbrook Learning Trust",
            local_authority="Northbrook",
            pupils=180,
        )
        assert store.school_years("NLT09") == []
    assert main(["school", "add", "SP1", "--name", "Hill Special", "--phase", "special", "--data", str(db)]) == 0
    with Store(db, read_only=True) as store:
        assert {k: store.school("SP1")[k] for k in ("trust", "local_authority", "pupils")} == dict(
            trust="", local_authority="", pupils=None
        )


def test_school_add_refuses_an_id_in_use(db, capsys):
    with Store(db, read_only=True) as store:
        before = store.school("NLT01")
    assert main(["school", "add", "NLT01", "--name", "Someone Else", "--phase", "secondary", "--data", str(db)]) == 2
    assert "school NLT01 is already in the store" in one_line_error(capsys)
    with Store(db, read_only=True) as store:
        assert store.school("NLT01") == before


@pytest.mark.parametrize("school, message", [("../x", "not a valid school id"), ("NLT 9", "not a valid school id")])
def test_school_add_refuses_a_bad_id(db, capsys, school, message):
    assert main(["school", "add", school, "--name", "X", "--phase", "primary", "--data", str(db)]) == 2
    assert message in one_line_error(capsys)


def test_school_add_refuses_a_phase_not_in_the_list(db, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["school", "add", "NLT09", "--name", "Nursery", "--phase", "nursery", "--data", str(db)])
    assert exit_.value.code == 2
    assert "invalid choice: 'nursery'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["school", "add", "NLT09", "--name", "New", "--phase", "primary"],
        ["year", "start", "NLT01", "2026-27"],
    ],
)
def test_a_csv_folder_is_refused_naming_wqm_import(sample_dir, capsys, argv):
    before = sorted(p.name for p in sample_dir.iterdir())
    assert main([*argv, "--data", str(sample_dir)]) == 2
    err = one_line_error(capsys)
    assert f"{sample_dir} is a CSV folder" in err and f"`wqm import {sample_dir} --data wqm.sqlite`" in err
    assert sorted(p.name for p in sample_dir.iterdir()) == before


# -- wqm year start ----------------------------------------------------------------------------------------------


def test_year_start_creates_the_cycle_of_a_new_school(db, capsys):
    assert main(["school", "add", "NLT09", "--name", "New School", "--phase", "primary", "--data", str(db)]) == 0
    capsys.readouterr()
    assert main(["year", "start", "NLT09", "2026-27", "--data", str(db)]) == 0
    assert capsys.readouterr().out == "NLT09 2026-27 Wellbeing Quality Mark: started\n"
    with Store(db, read_only=True) as store:
        (cycle,) = store.cycles("NLT09")
        assert (cycle["academic_year"], cycle["framework"]) == ("2026-27", "wqm")
        assert store.targets(cycle["cycle_id"]) == []


@pytest.fixture
def targets(db) -> dict[str, str]:
    """NLT01's open, in-progress and achieved targets in 2025-26 (wqm), and an open VbE one."""
    with Store(db) as store:
        last = store.cycle("NLT01", "2025-26")["cycle_id"]
        vbe = store.cycle("NLT01", "2025-26", "vbe")["cycle_id"]
        ids = dict(
            open=store.record_target(
                last,
                principle_id="P2",
                text_="Pupil wellbeing ambassadors",
                owner="Wellbeing lead",
                review_date="2026-07-01",
            ),
            going=store.record_target(last, principle_id="P5", text_="Staff supervision", status="in_progress"),
            done=store.record_target(last, text_="Wellbeing policy", status="achieved"),
            values=store.record_target(vbe, principle_id="A1", text_="Values assemblies"),
        )
    return ids


def test_year_start_carries_the_open_targets_and_prints_them(db, targets, capsys):
    assert main(["year", "start", "NLT01", "2026-27", "--by", "A. Adviser", "--data", str(db)]) == 0
    assert capsys.readouterr().out == (
        "NLT01 2026-27 Wellbeing Quality Mark: started\n"
        f"carried 2 open target(s) from 2025-26: {targets['open']}, {targets['going']}\n"
    )
    with Store(db, read_only=True) as store:
        cycle = store.cycle("NLT01", "2026-27")
        assert cycle is not None
        carried = store.targets(cycle["cycle_id"])
        assert [(t["target_id"], t["text"], t["status"], t["recorded_by"]) for t in carried] == [
            (targets["open"], "Pupil wellbeing ambassadors", "open", "A. Adviser"),
            (targets["going"], "Staff supervision", "in_progress", "A. Adviser"),
        ]
        assert {t["carried_from"] for t in carried} == {store.cycle("NLT01", "2025-26")["cycle_id"]}
        assert store.cycle("NLT01", "2026-27", "vbe") is None


def test_year_start_again_says_already_started_and_carries_none(db, targets, capsys):
    assert main(["year", "start", "NLT01", "2026-27", "--data", str(db)]) == 0
    capsys.readouterr()
    assert main(["year", "start", "NLT01", "2026-27", "--data", str(db)]) == 0
    assert capsys.readouterr().out == (
        "NLT01 2026-27 Wellbeing Quality Mark: already started\ncarried 0 open target(s) from 2025-26\n"
    )
    with Store(db, read_only=True) as store:
        assert len(store.target_history(store.cycle("NLT01", "2026-27")["cycle_id"])) == 2


def test_year_start_of_another_framework_carries_its_own_targets(db, targets, capsys):
    assert main(["year", "start", "NLT01", "2026-27", "--framework", "vbe", "--data", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == f"carried 1 open target(s) from 2025-26: {targets['values']}"
    with Store(db, read_only=True) as store:
        assert store.cycle("NLT01", "2026-27") is None  # the wqm cycle was not started


@pytest.mark.parametrize(
    "argv, message",
    [
        (["year", "start", "NOPE", "2026-27"], "unknown school 'NOPE'"),
        (["year", "start", "NLT01", "2026/27"], "academic year must look like"),
        (["year", "start", "NLT01", "2026-27", "--framework", "nonesuch"], "unknown framework 'nonesuch'"),
    ],
)
def test_year_start_errors_are_one_line_and_write_nothing(db, capsys, argv, message):
    with Store(db, read_only=True) as store:
        before = len(store.cycles())
    assert main([*argv, "--data", str(db)]) == 2
    assert message in one_line_error(capsys)
    with Store(db, read_only=True) as store:
        assert len(store.cycles()) == before


# -- wqm links --page capture ------------------------------------------------------------------------------------


def query_of(url: str) -> dict[str, list[bytes]]:
    """A link's query as the server sees it (tornado's ``query_arguments``)."""
    return {k: [v.encode() for v in vs] for k, vs in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def test_capture_links_open_the_capture_form_only(db, capsys):
    assert (
        main(
            [
                "links",
                "--data",
                str(db),
                "--schools",
                "NLT01",
                "NLT03",
                "--year",
                "2025-26",
                "--page",
                "capture",
                "--base-url",
                "https://wellbeing.trust.example",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["NLT01", "NLT03"]
    secret = load_secret(db)
    for line, school in zip(lines, ("NLT01", "NLT03"), strict=False):
        url = line.split()[1]
        assert re.fullmatch(
            r"https://wellbeing\.trust\.example/\?school=NLT0[13]&year=2025-26&framework=wqm"
            r"&rights=read,write_sef&lid=[0-9a-f]{12}&expires=\d+&sig=[0-9a-f]{64}",
            url,
        )
        link = check_link(secret, query_of(url), page="capture")
        assert (link.school, link.year) == (school, "2025-26")
        for page in ("report", "survey-import"):
            with pytest.raises(LinkError, match="signature does not match"):
                check_link(secret, query_of(url), page=page)
    # and a report link does not open the capture form
    assert main(["links", "--data", str(db), "--schools", "NLT01", "--year", "2025-26"]) == 0
    report_url = capsys.readouterr().out.split()[1]
    check_link(secret, query_of(report_url), page="report")
    with pytest.raises(LinkError, match="signature does not match"):
        check_link(secret, query_of(report_url), page="capture")


def test_school_add_starts_a_new_store_and_a_failed_first_add_leaves_no_file(tmp_path, capsys):
    path = tmp_path / "fresh.sqlite"
    assert main(["school", "add", "NLT50", "--name", "New Primary", "--phase", "primary", "--data", str(path)]) == 0
    assert "a new store" in capsys.readouterr().out
    assert main(["year", "start", "NLT50", "2026-27", "--data", str(path)]) == 0
    with Store.open(path, read_only=True) as store:
        assert [s["school_id"] for s in store.schools()] == ["NLT50"]
        assert store.cycle("NLT50", "2026-27", "wqm") is not None
    bad = tmp_path / "bad.sqlite"
    assert main(["school", "add", "bad id", "--name", "x", "--phase", "primary", "--data", str(bad)]) == 2
    assert not bad.exists() and list(tmp_path.glob("bad.sqlite*")) == []
    assert (
        main(
            [
                "school",
                "add",
                "NLT51",
                "--name",
                "x",
                "--phase",
                "primary",
                "--data",
                str(tmp_path / "no" / "such.sqlite"),
            ]
        )
        == 2
    )
    assert "no folder" in capsys.readouterr().err
