"""Contact details: clean values, or a French re-ask that says what to type."""

import pytest
from rendering import render

from bot.callback.validators import (
    check_commune,
    check_consent,
    check_email,
    check_name,
    check_phone,
    check_summary,
    format_phone,
)


def said(checked, register="vous"):
    """The re-ask a person reads: the validator names a response of domain.yml."""
    return render(checked.error, register, **(checked.values or {}))["text"]


@pytest.mark.parametrize(
    "text, value",
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("04 77 12 34 56", "+33477123456"),
        ("0692 12 34 56", "+262692123456"),
        ("+262 692 12 34 56", "+262692123456"),
        ("0696 11 22 33", "+596696112233"),
        ("+689 87 12 34 56", "+68987123456"),
    ],
)
def test_french_and_overseas_phone_numbers(text, value):
    assert check_phone(text).value == value


def test_overseas_numbers_carry_their_region():
    assert check_phone("0692 12 34 56").extra["region"] == "La Réunion / Mayotte"
    assert check_phone("06 12 34 56 78").extra["region"] == "France métropolitaine"


@pytest.mark.parametrize(
    "text", ["zéro six douze", "06 12 34", "12345678901234", "+1 555 0100", "", "06-12-34-56-7a"]
)
def test_bad_phone_numbers_are_asked_again(text):
    result = check_phone(text)
    assert result.value is None and result.error


def test_a_phone_in_letters_is_asked_in_digits():
    assert "chiffres" in said(check_phone("zéro six douze trente-quatre"))


def test_phone_is_shown_the_french_way():
    assert format_phone("+33612345678") == "06 12 34 56 78"


@pytest.mark.parametrize(
    "text, value",
    [
        ("lea.martin@example.org", "lea.martin@example.org"),
        ("  Lea.Martin@Example.ORG ", "Lea.Martin@example.org"),
    ],
)
def test_email(text, value):
    assert check_email(text).value == value


@pytest.mark.parametrize(
    "text", ["lea.martin", "lea@", "<script>@x.fr", "lea martin@example.org", "a@b", ""]
)
def test_bad_email_is_asked_again(text):
    assert check_email(text).error


@pytest.mark.parametrize("text", ["Léa", "jean-pierre", "N'Diaye", "Marie Anne", "Zoë"])
def test_names(text):
    assert check_name(text).ok


@pytest.mark.parametrize("text", ["R2D2", "<b>Léa</b>", "x" * 10000, "", "Léa; DROP TABLE"])
def test_bad_names_are_asked_again(text):
    result = check_name(text)
    assert result.value is None and result.error


@pytest.mark.parametrize("text", ["oui", "Oui, j'accepte", "ok", "d'accord", "je suis d'accord"])
def test_consent_only_on_an_explicit_yes(text):
    assert check_consent(text).value == "yes"


@pytest.mark.parametrize("text", ["peut-être", "je sais pas", "bof", "", "oui mais non"])
def test_unclear_consent_is_asked_again(text):
    result = check_consent(text)
    assert result.value is None and "oui" in said(result)


def test_refused_consent():
    assert check_consent("non merci").value == "no"


def test_commune_on_and_off_the_territory():
    assert check_commune("firminy").extra == {"insee": "42095", "on_territory": True}
    off = check_commune("Montbrison")
    assert off.value == "Montbrison" and off.extra["on_territory"] is False


def test_an_ambiguous_postal_code_asks_which_commune():
    result = check_commune("42140")
    assert result.error and "Fontanès" in said(result) and "hors de la Métropole" in said(result)


def test_summary_length():
    assert check_summary("court").error
    assert check_summary("Une épicerie solidaire à Firminy").ok
    assert check_summary("x " * 1000).error
