"""Kept comments: a survey below the threshold shows only its safeguarding-flagged comments."""

from wqm_nb.disclosure.comments import comments_to_show


def test_a_small_survey_shows_only_flagged_comments_and_counts_the_rest():
    comments = [
        {"survey": "staff", "flags": "", "text": "a"},
        {"survey": "staff", "flags": "harm", "text": "b"},
        {"survey": "pupil", "flags": "", "text": "c"},
        {"survey": "staff", "flags": "", "text": "d"},
    ]
    shown, held = comments_to_show(comments, {"staff": 4, "pupil": 30}, 5)
    assert [c["text"] for c in shown] == ["b", "c"] and held == {"staff": 2}
    shown, held = comments_to_show(comments, {"staff": 5, "pupil": 30}, 5)
    assert len(shown) == 4 and held == {}
