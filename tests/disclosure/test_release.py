"""A school year's release: every framework's view of it is the same release."""


def test_every_framework_view_of_a_school_year_reads_one_release(sample_db):
    from wqm_nb.data import available_frameworks, load_framework, load_mapping
    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.disclosure.release import release_of
    from wqm_nb.store import Store

    bank = load_question_bank()
    with Store.open(sample_db, read_only=True) as store:
        data = store.survey_data(store.school_year("NLT03", "2023-24")["school_year_id"], bank)
    respondents = {"staff": 6, "pupil": 21, "parent": 4, "staff_audit": 0}
    views = []
    for framework_id in available_frameworks():
        fw = load_framework(framework_id)
        views.append(release_of(data, bank, 5, respondents, fw, load_mapping(fw, bank)).reasons)
    views.append(release_of(data, bank, 5, respondents).reasons)
    assert all(view == views[0] for view in views[1:])
    assert any(views[0].values())  # something is hidden in it


def test_a_release_round_trips_through_the_ledgers_json_with_its_measures(sample_db):
    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.disclosure.release import Release, release_of
    from wqm_nb.model.figures import survey_totals
    from wqm_nb.store import Store

    bank = load_question_bank()
    with Store.open(sample_db, read_only=True) as store:
        data = store.survey_data(store.school_year("NLT03", "2025-26")["school_year_id"], bank)
    release = release_of(data, bank, 5, survey_totals(data, bank))
    assert any(release.measures.values())  # the pupils' measures have a hidden year group
    again = Release.from_json(release.to_json())
    assert again == release and again.release_id == release.release_id
    assert again.measure_reasons() == release.measure_reasons()


def test_a_school_year_whose_release_cannot_be_cleared_publishes_no_survey_figure(sample_db):
    """NLT07 2025-26: the staff audit (one leader) cannot be cleared, so it is withheld; the school year's
    other surveys are withheld with it, every cell, rather than published beside it."""
    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.disclosure.release import WITHHELD, release_of
    from wqm_nb.disclosure.tables import UNSAID
    from wqm_nb.model.figures import survey_totals
    from wqm_nb.store import Store

    bank = load_question_bank()
    with Store.open(sample_db, read_only=True) as store:
        data = store.survey_data(store.school_year("NLT07", "2025-26")["school_year_id"], bank)
    release = release_of(data, bank, 5, survey_totals(data, bank))
    assert set(release.reasons["staff_audit"].values()) == {WITHHELD}
    with_cells = [s for s, cells in release.published.items() if cells]
    assert {"pupil", "staff", "parent"} <= set(with_cells)
    for survey in with_cells:
        assert set(release.reasons[survey].values()) == {WITHHELD}, survey
        assert {c.hidden for c in release.published[survey]} == {UNSAID}, survey
    # and every validated measure of the year with them
    assert all(set(v.values()) <= {WITHHELD} for v in release.measures.values())


def test_a_school_year_whose_surveys_all_clear_keeps_them(sample_db):
    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.disclosure.release import WITHHELD, release_of
    from wqm_nb.model.figures import survey_totals
    from wqm_nb.store import Store

    bank = load_question_bank()
    with Store.open(sample_db, read_only=True) as store:
        data = store.survey_data(store.school_year("NLT07", "2024-25")["school_year_id"], bank)
    release = release_of(data, bank, 5, survey_totals(data, bank))
    assert not any(WITHHELD in v.values() for v in release.reasons.values())
    assert any(not c.hidden for c in release.published["pupil"])
