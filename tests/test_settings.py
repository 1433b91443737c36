from datetime import date
from pathlib import Path

import pytest

from wqm_nb.errors import SettingsError
from wqm_nb.settings import DATA_ENV, GroupSettings, ReportSettings

CHECKOUT_SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def test_empty_school_id_is_refused_with_a_clear_message():
    with pytest.raises(SettingsError) as err:
        ReportSettings()
    assert str(err.value) == 'school_id is empty: name a school, e.g. school_id="NLT01"'
    with pytest.raises(SettingsError, match="school_id is empty"):
        ReportSettings(school_id="   ")


@pytest.mark.parametrize("school_id", ["../x", "NLT 01", "javascript:alert(1)", ".hidden", "a/b", "S" * 65])
def test_bad_school_id_characters_are_refused(school_id):
    with pytest.raises(SettingsError) as err:
        ReportSettings(school_id=school_id)
    assert f"school_id {school_id!r} is not a valid school id" in str(err.value)


def test_valid_settings_keep_their_values():
    s = ReportSettings(school_id="NLT-01.a_b", year="2099-00", min_group_size=3, framework=Path("vbe"))
    assert (s.school_id, s.year, s.min_group_size, s.framework) == ("NLT-01.a_b", "2099-00", 3, "vbe")
    assert ReportSettings(school_id="S1").framework == "wqm"


@pytest.mark.parametrize("year", ["2024/25", "2024-26", "24-25", "2024-2025"])
def test_bad_academic_year_is_refused(year):
    with pytest.raises(SettingsError, match=f"academic year must look like 2024-25, got '{year}'"):
        ReportSettings(school_id="S1", year=year)


@pytest.mark.parametrize("value", [0, 1, 2, -3, True, "5", 2.0, None])
def test_min_group_size_must_be_a_whole_number_of_at_least_three(value):
    with pytest.raises(SettingsError, match="min_group_size must be a whole number of at least 3"):
        ReportSettings(school_id="S1", min_group_size=value)


@pytest.mark.parametrize("framework", ["", "  "])
def test_empty_framework_is_refused(framework):
    with pytest.raises(SettingsError, match="framework is empty"):
        ReportSettings(school_id="S1", framework=framework)


def test_to_parameters_returns_the_notebook_fields_with_absolute_paths(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "custom.yaml").write_text("id: custom\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s = ReportSettings(
        school_id="S1",
        year="2024-25",
        data="data",
        framework="fw/custom.yaml",
        min_group_size=3,
        output="elsewhere",
        as_of="2026-03-10",
    )
    params = s.to_parameters()
    assert set(params) == set(ReportSettings.NOTEBOOK_FIELDS)
    assert params == {
        "school_id": "S1",
        "year": "2024-25",
        "data": str((tmp_path / "data").resolve()),
        "framework": str((tmp_path / "fw" / "custom.yaml").resolve()),
        "min_group_size": 3,
        "benchmarks": "",
        "as_of": "2026-03-10",
        "data_cache": {},
    }
    assert Path(params["data"]).is_absolute() and Path(params["framework"]).is_absolute()
    # a framework id passes through as it is
    assert ReportSettings(school_id="S1", data="data", framework="vbe").to_parameters()["framework"] == "vbe"


def test_missing_data_or_framework_file_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="no data at"):
        ReportSettings(school_id="S1", data=str(tmp_path / "nowhere")).to_parameters()
    with pytest.raises(SettingsError, match="no framework file at"):
        ReportSettings(school_id="S1", data=str(tmp_path), framework=str(tmp_path / "x.yaml")).to_parameters()


def test_empty_data_resolves_to_the_environment_then_the_sample(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert ReportSettings(school_id="S1").to_parameters()["data"] == str(tmp_path.resolve())
    monkeypatch.delenv(DATA_ENV)
    assert ReportSettings(school_id="S1").data_path == CHECKOUT_SAMPLE.resolve()
    # an explicit data location wins over the environment
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert ReportSettings(school_id="S1", data=str(CHECKOUT_SAMPLE)).data_path == CHECKOUT_SAMPLE.resolve()


def test_replace_validates_again():
    s = ReportSettings(school_id="S1", year="2024-25")
    t = s.replace(year="2025-26", min_group_size=10)
    assert (t.school_id, t.year, t.min_group_size) == ("S1", "2025-26", 10)
    assert s.year == "2024-25"
    with pytest.raises(SettingsError, match="academic year"):
        s.replace(year="2024/25")
    with pytest.raises(SettingsError, match="not a valid school id"):
        s.replace(school_id="../etc")
    with pytest.raises(SettingsError, match="min_group_size"):
        s.replace(min_group_size=0)


def test_group_settings_report_links_keys_are_validated(tmp_path):
    g = GroupSettings(data=str(tmp_path), report_links={"S1": Path("S1_2024-25.html")})
    assert g.report_links == {"S1": "S1_2024-25.html"}
    params = g.to_parameters()
    assert set(params) == set(GroupSettings.NOTEBOOK_FIELDS)
    assert params["report_links"] == {"S1": "S1_2024-25.html"} and params["data"] == str(tmp_path.resolve())
    with pytest.raises(SettingsError, match="report_links key '../S1' is not a valid school id"):
        GroupSettings(report_links={"../S1": "x.html"})
    with pytest.raises(SettingsError, match="report_links key is empty"):
        GroupSettings(report_links={"": "x.html"})
    with pytest.raises(SettingsError, match="report_links must be a mapping"):
        GroupSettings(report_links=[("S1", "x.html")])
    with pytest.raises(SettingsError, match="report_links key"):
        g.replace(report_links={"a b": "x.html"})


def test_a_trailing_newline_is_not_a_valid_id_or_year():
    import pytest

    from wqm_nb.errors import SettingsError
    from wqm_nb.settings import check_academic_year, check_school_id

    with pytest.raises(SettingsError):
        check_school_id("NLT01\n")
    with pytest.raises(SettingsError):
        check_academic_year("2024-25\n")


def test_data_location_is_the_given_path_or_the_default(tmp_path, monkeypatch):
    import pytest

    from wqm_nb.errors import SettingsError
    from wqm_nb.settings import data_location

    assert data_location(tmp_path) == tmp_path.resolve()
    monkeypatch.setenv("WQM_DATA", str(tmp_path))
    assert data_location("") == tmp_path.resolve()
    with pytest.raises(SettingsError, match="no data at"):
        data_location(tmp_path / "missing.sqlite")


def test_a_benchmark_file_is_a_yaml_or_csv_path_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "national.csv").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s = ReportSettings(school_id="S1", data=str(tmp_path), benchmarks=Path("national.csv"))
    assert s.benchmarks == "national.csv"
    assert s.to_parameters()["benchmarks"] == str((tmp_path / "national.csv").resolve())
    g = GroupSettings(data=str(tmp_path), benchmarks="national.csv")
    assert g.to_parameters()["benchmarks"] == str((tmp_path / "national.csv").resolve())
    assert GroupSettings(data=str(tmp_path)).to_parameters()["benchmarks"] == ""
    with pytest.raises(SettingsError, match="benchmarks must be a benchmark file \\(.yaml, .yml, .csv\\), got 'x.txt'"):
        ReportSettings(school_id="S1", benchmarks="x.txt")
    with pytest.raises(SettingsError, match="benchmarks must be text"):
        GroupSettings(benchmarks=3)
    with pytest.raises(SettingsError, match="no benchmark file at"):
        ReportSettings(school_id="S1", data=str(tmp_path), benchmarks="missing.yaml").to_parameters()


def test_group_settings_with_summaries_pass_the_data_as_given(tmp_path):
    g = GroupSettings(data="/on/the/batch/machine.sqlite", summaries=tmp_path / "s.json")
    params = g.to_parameters()
    assert params["summaries"] == str(tmp_path / "s.json") and params["data"] == "/on/the/batch/machine.sqlite"
    with pytest.raises(SettingsError, match="no data at"):
        GroupSettings(data="/on/the/batch/machine.sqlite").to_parameters()
    with pytest.raises(SettingsError, match="summaries must be text"):
        GroupSettings(summaries=3)


def test_as_of_is_a_date_and_an_unset_one_is_today_resolved_once():
    import time_machine

    with time_machine.travel("2027-09-15 23:59:59", tick=False):
        s = ReportSettings(school_id="S1")
        g = GroupSettings()
    assert s.as_of == g.as_of == "2027-09-15" and s.as_of_date == date(2027, 9, 15)
    with time_machine.travel("2027-09-16 00:00:01", tick=False):  # a copy made after midnight keeps it
        assert s.replace(year="2026-27").as_of == "2027-09-15"
        assert ReportSettings(school_id="S1", as_of=date(2026, 1, 5)).as_of == "2026-01-05"
        assert ReportSettings(school_id="S1", as_of=" 2026-01-05 ").as_of == "2026-01-05"
        # the notebook parameters always carry the explicit date, never '' (which a kernel would read as its today)
        assert s.replace(data=str(CHECKOUT_SAMPLE)).to_parameters()["as_of"] == "2027-09-15"
        assert g.replace(data=str(CHECKOUT_SAMPLE)).to_parameters()["as_of"] == "2027-09-15"


@pytest.mark.parametrize("value", ["2026-13-01", "05/01/2026", "today", "2026-01-05T10:00", 20260105, None])
def test_a_bad_as_of_is_refused(value):
    with pytest.raises(SettingsError, match="as_of must be"):
        ReportSettings(school_id="S1", as_of=value)


def test_settings_from_a_notebooks_parameters():
    from wqm_nb.settings import GroupSettings, ReportSettings

    r = ReportSettings.from_parameters(
        {
            "school_id": "NLT03",
            "year": "2025-26",
            "framework": "",
            "min_group_size": None,
            "benchmarks": None,
            "as_of": "2026-11-30",
        }
    )
    assert (r.school_id, r.framework, r.min_group_size, r.benchmarks, r.as_of) == ("NLT03", "wqm", 5, "", "2026-11-30")
    with pytest.raises(SettingsError, match="unknown report setting\\(s\\): colour, trust"):
        ReportSettings.from_parameters({"school_id": "NLT03", "trust": "T", "colour": "red"})
    g = GroupSettings.from_parameters({"trust": "T", "report_links": None, "summaries": "s.json"})
    assert (g.trust, g.report_links, g.summaries) == ("T", {}, "s.json")
    with pytest.raises(SettingsError, match="unknown group setting\\(s\\): school_id"):
        GroupSettings.from_parameters({"school_id": "NLT03"})
    assert ReportSettings.from_parameters(r.to_parameters()).to_parameters() == r.to_parameters()


def test_a_stand_in_is_read_in_place_of_its_parameter_while_it_exists(tmp_path):
    real, copy = tmp_path / "real.sqlite", tmp_path / "copy.sqlite"
    copy.write_bytes(b"")
    parameters = {
        "school_id": "NLT03",
        "data": str(real),
        "framework": "/elsewhere/custom.yaml",
        "data_cache": {"data": str(copy), "framework": str(tmp_path / "gone.yaml")},
    }
    read = ReportSettings.from_parameters(parameters)
    # the copy that exists is read; the framework's stand-in is gone, so the real file is named
    assert (read.data, read.framework, read.data_cache) == (str(copy), "/elsewhere/custom.yaml", {})
    copy.unlink()
    assert ReportSettings.from_parameters(parameters).data == str(real)  # a kept notebook re-runs from the real


def test_parameters_with_stand_ins_name_the_real_files_as_given(tmp_path):
    s = ReportSettings(
        school_id="S1",
        data="/srv/wqm.sqlite",
        framework="/srv/custom.yaml",
        data_cache={"data": str(tmp_path / "a.sqlite"), "framework": str(tmp_path / "f.yaml")},
    )
    params = s.to_parameters()  # /srv/custom.yaml is not on this machine: not looked for
    assert (params["data"], params["framework"]) == ("/srv/wqm.sqlite", "/srv/custom.yaml")
    assert params["data_cache"] == {"data": str(tmp_path / "a.sqlite"), "framework": str(tmp_path / "f.yaml")}
    with pytest.raises(SettingsError, match="no framework file at /srv/custom.yaml"):
        s.replace(data_cache={"data": str(tmp_path / "a.sqlite")}).to_parameters()


@pytest.mark.parametrize(
    "cache, message",
    [
        ({"output": "/tmp/x"}, "data_cache names 'output': a stand-in can replace data, framework, benchmarks"),
        ({"summaries": "/tmp/x"}, "data_cache names 'summaries'"),
        (["data"], "data_cache must be a mapping of parameter to path, got list"),
        ({"data": 3}, "data_cache\\['data'\\] must be text"),
    ],
)
def test_a_bad_data_cache_is_refused(cache, message):
    with pytest.raises(SettingsError, match=message):
        ReportSettings(school_id="S1", data_cache=cache)


def test_a_groups_summaries_can_be_a_stand_in(tmp_path):
    summaries = tmp_path / "s.json"
    summaries.write_text("[]")
    g = GroupSettings(data="/srv/wqm.sqlite", data_cache={"summaries": str(summaries)})
    assert g.to_parameters()["data"] == "/srv/wqm.sqlite" and g.reading().summaries == str(summaries)
