"""The safeguarding list: the bundled file, the matching rules and validation errors."""

import re

import pytest

from wqm_nb.data.safeguarding import (
    SAFEGUARDING_FILE,
    SafeguardingList,
    load_safeguarding_list,
    parse_safeguarding,
    term_pattern,
)
from wqm_nb.errors import DataFileError


@pytest.fixture(scope="module")
def bundled() -> SafeguardingList:
    return load_safeguarding_list()


def categories_of(sg: SafeguardingList, text: str) -> set[str]:
    return {category for category, _ in sg.matches(text)}


# --------------------------------------------------------------------------
# the bundled list


def test_bundled_list_is_a_reviewable_size_and_covers_the_kcsie_categories(bundled):
    assert 60 <= bundled.terms <= 120
    assert {
        "harm_at_home",
        "abuse",
        "self_harm_suicide",
        "neglect",
        "bullying_threats",
        "sexual",
        "exploitation",
        "running_away_missing",
        "weapons_drugs",
    } <= set(bundled.categories)
    assert bundled.path == str(SAFEGUARDING_FILE)
    head = SAFEGUARDING_FILE.read_text(encoding="utf-8")[:4000]
    for words in (
        "Keeping Children Safe in Education",
        "not a classifier",
        "errs",
        "Designated Safeguarding Lead",
        "physical abuse",
        "emotional abuse",
        "sexual abuse",
        "neglect",
        "child-on-child",
        "self-harm",
    ):
        assert words.lower() in head.lower(), words


def test_loading_is_cached_per_path(bundled):
    assert load_safeguarding_list() is bundled
    assert load_safeguarding_list(SAFEGUARDING_FILE) is bundled


@pytest.mark.parametrize(
    "text, category",
    [
        ("My dad hits me when he is angry", "harm_at_home"),
        ("I am scared to go home", "harm_at_home"),
        ("I don't feel like anyone listens and I'm not safe at home", "harm_at_home"),
        ("sometimes I want to hurt myself", "self_harm_suicide"),
        ("I cut myself last week", "self_harm_suicide"),
        ("I want to kill myself", "self_harm_suicide"),
        ("I have had suicidal thoughts", "self_harm_suicide"),
        ("nobody feeds me at the weekend", "neglect"),
        ("a man touched me at the park", "sexual"),
        ("they keep picking on me at break", "bullying_threats"),
        ("my brother is in a gang and sells drugs", "exploitation"),
        ("I want to run away", "running_away_missing"),
        ("a boy brought a knife in", "weapons_drugs"),
    ],
)
def test_childrens_and_parents_wording_is_flagged(bundled, text, category):
    assert category in categories_of(bundled, text)


@pytest.mark.parametrize(
    "text",
    [
        "My therapist has really helped me",  # not "rapist"
        "We had grapes at lunch",  # not "rape"
        "The new stable block is lovely",  # not "stab"
        "I miss my friends from my old school",
        "Lessons are fun and the teachers are kind",
        "Thank you for everything",
    ],
)
def test_ordinary_comments_are_not_flagged(bundled, text):
    assert bundled.matches(text) == []


# --------------------------------------------------------------------------
# the matching rules


@pytest.fixture
def small() -> SafeguardingList:
    return SafeguardingList(
        {
            "self_harm": ("suicid*", "hurt myself", "self-harm*"),
            "home": ("don't want to go home", "hits me"),
            "sexual": ("rapist",),
        },
        "",
    )


def test_matches_return_category_and_phrase_as_written_in_order(small):
    text = "He HITS ME and I feel SUICIDAL; I want to Hurt  Myself"
    assert small.matches(text) == [("home", "HITS ME"), ("self_harm", "SUICIDAL"), ("self_harm", "Hurt  Myself")]
    assert small.flags(text) == ("self_harm", "home")  # once each, in the file's category order


@pytest.mark.parametrize("word", ["suicide", "suicidal", "Suicidally", "suicid"])
def test_wildcard_matches_any_word_ending(small, word):
    assert small.matches(f"thoughts of {word}.") == [("self_harm", word)]


def test_wildcard_still_needs_the_start_of_a_word(small):
    assert small.matches("antisuicide campaign") == []


def test_word_boundaries(small):
    assert small.matches("my therapist is good") == []
    assert small.matches("the rapist was caught") == [("sexual", "rapist")]
    assert small.matches("he whits mean") == []


@pytest.mark.parametrize(
    "text",
    ["I don’t want to go home", "I don‘t want to go home", "I dont want to go home", "I don't\twant to\n go   home"],
)
def test_curly_missing_apostrophes_and_extra_whitespace(small, text):
    assert [c for c, _ in small.matches(text)] == ["home"]


def test_curly_apostrophe_in_the_term_matches_a_straight_one():
    sg = SafeguardingList({"home": ("don\u2019t want to go home",)}, "")
    assert sg.flags("i don't want to go home") == ("home",)


@pytest.mark.parametrize("text", ["self-harm", "self harm", "selfharm", "self – harming", "Self-Harmed"])
def test_hyphen_matches_hyphen_space_or_nothing(small, text):
    assert small.flags(text) == ("self_harm",)


def test_term_pattern_is_anchored_on_word_boundaries():
    assert re.search(term_pattern("rapist"), "therapist") is None
    with pytest.raises(ValueError):
        term_pattern("hurt* myself")


# --------------------------------------------------------------------------
# validation


def load_text(tmp_path, text: str) -> SafeguardingList:
    path = tmp_path / "my_terms.yaml"
    path.write_text(text, encoding="utf-8")
    return load_safeguarding_list(path)


def failure(tmp_path, text: str) -> DataFileError:
    with pytest.raises(DataFileError) as err:
        load_text(tmp_path, text)
    assert err.value.file == "my_terms.yaml"
    return err.value


def test_a_custom_file_loads(tmp_path):
    sg = load_text(tmp_path, "categories:\n  home:\n    - hits   me\n    - 999\n")
    assert sg.categories == {"home": ("hits me", "999")}
    assert sg.flags("he hits me") == ("home",)


@pytest.mark.parametrize(
    "text, field, message",
    [
        (
            "categories:\n  self_harm:\n    - suicid*\n    - cut myself\n    - hurt myself\n    - ''\n",
            "categories.self_harm[3]",
            "must not be empty",
        ),
        ("categories:\n  self_harm:\n    - suicid*\n    -\n", "categories.self_harm[1]", "must not be empty"),
        ("categories:\n  self_harm: []\n", "categories.self_harm", "must not be empty"),
        ("categories:\n  self_harm: cut myself\n", "categories.self_harm", "expected a list, got text"),
        ("categories:\n  home:\n    - [a, b]\n", "categories.home[0]", "expected text, got a list"),
        ("categories:\n  home:\n    - true\n", "categories.home[0]", "expected text, got true/false"),
        ("categories:\n  Self Harm:\n    - suicid*\n", "categories.Self Harm", "lower_case_with_underscores"),
        ("categories:\n  home:\n    - hurt* me\n", "categories.home[0]", "only at the end"),
        ("categories:\n  home:\n    - ab*\n", "categories.home[0]", "at least 3 letters"),
        ("categories:\n  home:\n    - 'hurt *'\n", "categories.home[0]", "must end a word"),
        ("categories:\n  home:\n    - '!!'\n", "categories.home[0]", "letter or digit"),
        (
            "categories:\n  home:\n    - hits me\n  abuse:\n    - Hits  Me\n",
            "categories.abuse[0]",
            "duplicate term 'Hits  Me' (already at categories.home[0])",
        ),
        ("categories: {}\n", "categories", "must not be empty"),
        ("categories:\n", "categories", "required field is missing"),
        ("terms:\n  home: [hits me]\n", "terms", "unknown field"),
        ("- hits me\n", "", "expected a mapping, got a list"),
    ],
)
def test_validation_errors_name_the_file_and_field(tmp_path, text, field, message):
    err = failure(tmp_path, text)
    assert err.field == field
    assert message in err.message
    assert str(err).startswith("my_terms.yaml")


def test_invalid_yaml_and_missing_file(tmp_path):
    assert "invalid YAML" in failure(tmp_path, "categories: [\n").message
    with pytest.raises(DataFileError, match="cannot read file"):
        load_safeguarding_list(tmp_path / "absent.yaml")


def test_parse_names_only_the_file_not_its_folder():
    with pytest.raises(DataFileError) as err:
        parse_safeguarding({"categories": {"x": [None]}}, "/some/where/list.yaml")
    assert str(err.value) == "list.yaml: categories.x[0]: must not be empty"
