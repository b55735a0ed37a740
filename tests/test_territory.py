"""Communes of the Métropole: recognised however people write them; others refused."""

import pytest

from bot.orientation.territory import get_territory, match_commune


@pytest.mark.parametrize(
    "text, name",
    [
        ("st etienne", "Saint-Étienne"),
        ("Saint-Etienne", "Saint-Étienne"),
        ("SAINT ÉTIENNE", "Saint-Étienne"),
        ("42000", "Saint-Étienne"),
        ("42100", "Saint-Étienne"),
        ("sainté", "Saint-Étienne"),
        ("Le Chambon", "Le Chambon-Feugerolles"),
        ("le chambon feugerolles", "Le Chambon-Feugerolles"),
        ("firminy", "Firminy"),
        ("firmini", "Firminy"),
        ("st chamond", "Saint-Chamond"),
        ("chamboeuf", "Chambœuf"),
        ("l'etrat", "L'Étrat"),
        ("andrezieux", "Andrézieux-Bouthéon"),
        ("j'habite à Rive de Gier depuis dix ans", "Rive-de-Gier"),
    ],
)
def test_a_commune_is_recognised_however_it_is_written(text, name):
    match = match_commune(text)
    assert match.commune is not None and match.commune.name == name
    assert match.on_territory is True


def test_each_of_the_53_communes_is_recognised_by_its_name():
    territory = get_territory()
    assert len(territory.communes) == 53
    for commune in territory.communes.values():
        assert match_commune(commune.name).commune == commune
        assert match_commune(commune.name.upper().replace("-", " ")).commune == commune


@pytest.mark.parametrize(
    "text", ["Lyon", "Montbrison", "Roanne", "Paris 75011", "69000", "bonjour", ""]
)
def test_places_off_the_territory_are_refused(text):
    match = match_commune(text)
    assert match.commune is None and not match.candidates and match.on_territory is False


@pytest.mark.parametrize("code", ["42140", "42160", "42330", "42380", "42410"])
def test_shared_postal_codes_do_not_decide_the_territory(code):
    match = match_commune(code)
    assert match.on_territory is None and match.shared_postal_code
    assert all(code in c.postal_codes for c in match.candidates)


def test_a_postal_code_of_several_communes_asks_which_one():
    match = match_commune("42800")
    assert match.ambiguous and "Rive-de-Gier" in {c.name for c in match.candidates}
