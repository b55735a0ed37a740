"""What happens to raw text before the NLU, and the tu/vous register."""

import pytest

from bot import settings
from bot.orientation.text import clean, register_of
from bot.wording import problem_reply


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        (None, "empty"),
        ("🙂🙂🙂", "no_letters"),
        ("12345 !!!", "no_letters"),
        ("مرحبا، أريد إنشاء جمعية", "not_latin"),
        ("Привет, как дела", "not_latin"),
        ("Hello, can you help me with my taxes?", "foreign"),
        ("Hola, necesito ayuda para encontrar trabajo", "foreign"),
        ("x" * (settings.MAX_MESSAGE_CHARS + 1), "too_long"),
    ],
    ids=[
        "empty",
        "spaces",
        "none",
        "emoji",
        "digits",
        "arabic",
        "cyrillic",
        "english",
        "spanish",
        "huge",
    ],
)
def test_unusable_messages_get_a_reason_and_a_polite_french_answer(raw, problem):
    result = clean(raw)
    assert result.problem == problem
    vous, tu = problem_reply(problem, "vous"), problem_reply(problem, "tu")
    assert vous.endswith((".", "?")) and tu.endswith((".", "?"))
    assert "vous" in vous.lower() or "votre" in vous.lower()
    assert not any(word in tu.lower().split() for word in ("vous", "votre", "pouvez-vous"))


def test_control_characters_and_spaces_are_cleaned():
    assert clean("on\x00 veut\u200b  créer\n\nune  SCOP\x1b").text == "on veut créer une SCOP"


@pytest.mark.parametrize(
    "text",
    [
        "On veut scaler notre business model et faire un roll-out dans d'autres villes",
        "je suis en master et je veux lancer ma start-up, j'ai besoin d'un incubator",
        "hello, on a un side project d'appli pour les assos, on cherche du funding",
    ],
)
def test_franglais_is_french(text):
    assert clean(text).problem is None


def test_markup_and_sql_are_just_text():
    assert clean("<script>alert(1)</script>").problem is None
    assert clean("'; DROP TABLE leads; --").problem is None


@pytest.mark.parametrize(
    "text, register",
    [
        ("salut tu peux m'aider ?", "tu"),
        ("Salut", "tu"),
        ("coucou !", "tu"),
        ("stp jveu créer ma boite", "tu"),
        ("t'as une idée ?", "tu"),
        ("Pourriez-vous m'aider ?", "vous"),
        ("Bonjour, notre association souhaite grandir", "vous"),
    ],
)
def test_register(text, register):
    assert register_of(text) == register


def test_the_register_stays_until_the_person_changes_it():
    assert register_of("ok merci", previous="tu") == "tu"
    assert register_of("ok merci") == "vous"


def test_markup_is_not_read_but_a_lone_angle_bracket_is_kept():
    from bot.orientation.text import without_markup

    assert without_markup("<b>bonjour</b> notre asso") == "bonjour notre asso"
    assert without_markup("<script>alert(1)</script> aide") == "alert(1) aide"
    assert without_markup("3 < 5 et 6 > 2") == "3 < 5 et 6 > 2"
    assert without_markup("<br/>") == "<br/>"  # nothing else: the text stays as it came
