"""Kept survey comments: name redaction, the staff list, safeguarding flags."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wqm_nb.data.safeguarding import SafeguardingList
from wqm_nb.errors import DataFileError
from wqm_nb.intake.comments import Comment, name_parts, prepare_comments, read_staff_list, redact_names

STAFF = ["Mrs Anna Patel", "Will Hughes", "Jean-Luc Picard", "Siobhan O'Neill", "Peter van Dijk"]


# --------------------------------------------------------------------------
# rule 1: a title and the name after it


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mrs Patel is kind", "[name] is kind"),
        ("mrs Patel is kind", "[name] is kind"),
        ("MRS Patel is kind", "[name] is kind"),
        ("Mr. O'Neill helps", "[name] helps"),
        ("Mr.Smith helps", "[name] helps"),
        ("Mr O\u2019Neill helps", "[name] helps"),
        ("Dr Jean-Luc Smith came", "[name] came"),
        ("Ms Smith and Mx Jones", "[name] and [name]"),
        ("thanks to Miss Brown, Sir Clive and Dame Edna!", "thanks to [name], [name] and [name]!"),
        ("Prof. Stone, Rev Green, Fr Ted, Sr Mary", "[name], [name], [name], [name]"),
        ("Mrs P is great", "[name] is great"),
        ("Miss Smith I think is lovely", "[name] I think is lovely"),
        ("Mr Smith said so", "[name] said so"),
    ],
)
def test_title_and_capitalised_name(text, expected):
    assert redact_names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I miss my friends",
        "I really MISS my old school",
        "sir is kind and miss is funny",
        "Mr is a title",
        "Dr. who? mrs. nobody",
    ],
)
def test_a_title_before_a_lower_case_word_is_not_a_name(text):
    assert redact_names(text) == text


def test_a_title_is_not_a_name_word():
    assert redact_names("I miss Mr Smith") == "I miss [name]"


# --------------------------------------------------------------------------
# rule 2: the staff list


def test_full_staff_names_in_any_case():
    assert redact_names("anna patel and WILL HUGHES and jean luc picard", STAFF) == "[name] and [name] and [name]"


def test_title_with_staff_name_is_one_name_longest_first():
    assert redact_names("Mrs Anna Patel teaches us", STAFF) == "[name] teaches us"
    assert redact_names("mrs anna patel teaches us", STAFF) == "[name] teaches us"
    assert redact_names("mrs patel teaches us", STAFF) == "[name] teaches us"


def test_capitalised_parts_only():
    assert redact_names("Will we get more time? It will rain.", STAFF) == "[name] we get more time? It will rain."
    assert redact_names("Anna helped and so did Patel", STAFF) == "[name] helped and so did [name]"
    assert redact_names("anna helped", STAFF) == "anna helped"
    assert redact_names("Siobhan and Neill and Luc", STAFF) == "[name] and [name] and [name]"


def test_parts_need_three_letters_and_skip_titles_and_particles():
    assert name_parts("Mrs Jo van Dijk-Ng") == ["Dijk-Ng", "Dijk"]
    assert redact_names("Van Dijk drove the Van", ["Peter van Dijk"]) == "Van [name] drove the Van"


def test_whole_words_only():
    assert redact_names("Annabel and Willow", STAFF) == "Annabel and Willow"


def test_no_staff_list_and_blank_names():
    assert redact_names("Anna is nice", ["", "  "]) == "Anna is nice"
    assert redact_names("") == ""


# --------------------------------------------------------------------------
# rule 3: emails and phone numbers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to anna.patel@school.org.uk.", "write to [email]."),
        ("Anna.Patel+x@school.org", "[email]"),
        ("ring 07700 900123 today", "ring [phone] today"),
        ("ring 07700900123", "ring [phone]"),
        ("on +44 7700 900123", "on [phone]"),
        ("on +44 (0)20 7946 0018", "on [phone]"),
        ("on (020) 7946 0018", "on [phone]"),
        ("on 0161-496-0000", "on [phone]"),
        ("on 0044 161 496 0000", "on [phone]"),
    ],
)
def test_email_and_phone(text, expected):
    assert redact_names(text, STAFF) == expected


@pytest.mark.parametrize("text", ["in 2024 we", "on 01/02/2024", "at 09:30", "ref 12345678901", "0123", "00000000000"])
def test_numbers_that_are_not_phone_numbers_stay(text):
    assert redact_names(text) == text


# --------------------------------------------------------------------------
# property: no staff full name survives

_letters = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéöñł")
_word = st.one_of(
    st.text(_letters, min_size=1, max_size=7),
    st.sampled_from(["Ann", "ann", "Lee", "Bo", "Mr", "Mrs", "miss", "Will", "I", "Jean-Luc"]),
)
_name_word = st.builds(
    lambda a, sep, b: a + sep + b if b else a, _word, st.sampled_from(["-", "'"]), st.one_of(st.just(""), _word)
)
_staff_name = st.lists(_name_word, min_size=1, max_size=3).map(" ".join)
_filler = st.sampled_from(
    [
        "",
        " ",
        ", ",
        ". ",
        " and ",
        " Mrs ",
        " mr. ",
        " miss ",
        " I ",
        "\n",
        " 07700 900123 ",
        " x@y.org ",
        "-",
        "'",
        "(",
        "Sir",
    ]
)


def _vary(name: str, how: int) -> str:
    return [name, name.upper(), name.lower(), name.title(), name.swapcase()][how % 5]


@settings(max_examples=300, deadline=None)
@given(names=st.lists(_staff_name, min_size=1, max_size=4), data=st.data())
def test_no_staff_full_name_survives_redaction(names, data):
    pieces = []
    for _ in range(data.draw(st.integers(1, 6))):
        pieces.append(data.draw(_filler))
        pieces.append(_vary(data.draw(st.sampled_from(names)), data.draw(st.integers(0, 4))))
    pieces.append(data.draw(_filler))
    out = redact_names("".join(pieces), names)
    bare = re.sub(r"\[(name|email|phone)\]", "\x00", out)
    for name in names:
        assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", bare, re.IGNORECASE) is None, (name, out)


@pytest.mark.parametrize(
    "names, text",
    [
        (["Ann", "ann Mr"], "ann Mr AnnAnn"),  # a shorter name at the same place as a longer one
        (["Mrs"], "Mrs Mrs MrsMrs"),  # a name that is also a title
    ],
)
def test_counterexamples_found_by_the_property(names, text):
    out = redact_names(text, names)
    assert not any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", out, re.IGNORECASE) for n in names), out


# --------------------------------------------------------------------------
# the staff list file


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "staff.txt"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_plain_list_with_comments_and_blank_lines(tmp_path):
    path = write(tmp_path, "# staff 2025\nMrs Anna Patel\n\n  Will   Hughes  # head\nAnna Patel\nMrs Anna Patel\n")
    assert read_staff_list(path) == ["Mrs Anna Patel", "Will Hughes", "Anna Patel"]


def test_csv_with_name_column(tmp_path):
    path = write(tmp_path, '\ufeffRole,Name\nHead,Anna Patel\n# ignored\nTA,"O\'Neill, Siobhan"\n,\n', name="s.csv")
    assert read_staff_list(path) == ["Anna Patel", "O'Neill, Siobhan"]


def test_csv_with_first_and_last_names_cp1252(tmp_path):
    path = write(tmp_path, "First Name;Last_Name\nZoë;Brontë\nRenée;\n", encoding="cp1252", name="s.csv")
    assert read_staff_list(path) == ["Zoë Brontë", "Renée"]


def test_utf8_with_bom(tmp_path):
    path = write(tmp_path, "\ufeffSiân Jones\r\nŁukasz Nowak\r\n")
    assert read_staff_list(path) == ["Siân Jones", "Łukasz Nowak"]


def test_unreadable_staff_lists(tmp_path):
    with pytest.raises(DataFileError, match="cannot read file"):
        read_staff_list(tmp_path / "absent.txt")
    with pytest.raises(DataFileError, match="not a text file"):
        read_staff_list(write(tmp_path, "Anna", encoding="utf-16"))
    assert read_staff_list(write(tmp_path, "\n# nobody\n")) == []


# --------------------------------------------------------------------------
# prepared comments


SAFE = SafeguardingList({"harm_at_home": ("hits me", "scared to go home"), "self_harm": ("hurt myself",)}, "")


def test_prepare_skips_blanks_redacts_and_puts_flagged_first():
    comments = prepare_comments(
        [
            ("Q1", "Mrs Patel is lovely"),
            ("Q2", "  "),
            ("Q3", None),
            ("Q1", "Will Hughes hits me"),
            ("Q2", float("nan")),
            ("Q3", "More clubs please"),
            ("Q4", "I want to hurt myself"),
        ],
        STAFF,
        SAFE,
    )
    assert comments == [
        Comment("Q1", "[name] hits me", ("harm_at_home",)),
        Comment("Q4", "I want to hurt myself", ("self_harm",)),
        Comment("Q1", "[name] is lovely", ()),
        Comment("Q3", "More clubs please", ()),
    ]
    assert comments[0].flagged and not comments[2].flagged


def test_flags_are_checked_on_the_original_text():
    # the staff part "Scared" would redact the phrase; the flag must still be raised
    comments = prepare_comments([("Q1", "I am Scared to go home")], ["Ann Scared"], SAFE)
    assert comments == [Comment("Q1", "I am [name] to go home", ("harm_at_home",))]


def test_curly_apostrophes_in_comments_are_flagged_with_the_bundled_list():
    (comment,) = prepare_comments([("Q9", "I don\u2019t want to go home")])
    assert "harm_at_home" in comment.flags


def test_comments_carry_no_respondent_or_subgroup():
    assert set(Comment.__dataclass_fields__) == {"item_id", "text", "flags"}
