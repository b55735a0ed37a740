"""Commands are read only from messages that are nothing but a command (no model needed)."""

import re
from pathlib import Path

import pytest
import yaml

from bot.orientation.commands import (
    COMMAND_INTENTS,
    is_command_message,
    is_explicit_yes,
    without_unsure_commands,
)
from bot.wording import confirmation_question, erased_message, kept_message

ROOT = Path(__file__).resolve().parent.parent


def _examples(intent):
    """Every training example of `intent`, whichever file of data/nlu holds it."""
    examples = []
    for path in sorted((ROOT / "data/nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if block.get("intent") == intent:
                examples += [
                    re.sub(r"^- ", "", line.strip())
                    for line in block["examples"].splitlines()
                    if line.strip()
                ]
    return examples


@pytest.mark.parametrize("intent", sorted(COMMAND_INTENTS))
def test_every_training_example_of_a_command_is_read_as_that_command(intent):
    examples = _examples(intent)
    assert len(examples) >= 20
    assert [e for e in examples if not is_command_message(intent, e, 0.9)] == []


@pytest.mark.parametrize(
    "intent,text",
    [
        ("delete_my_data", "effacer le tableau"),
        ("delete_my_data", "Nous voulons effacer nos dettes et relancer la coopérative"),
        (
            "delete_my_data",
            "Je monte un projet pour aider les seniors à supprimer leurs données "
            "des réseaux sociaux",
        ),
        (
            "delete_my_data",
            "Oubliez ce que j'ai dit sur le local, en fait nous voulons créer une SCOP",
        ),
        ("restart", "Je voudrais recommencer à zéro la comptabilité"),
        ("restart", "on veut reprendre la boîte de notre patron"),
        ("restart", "recommencer la saison avec de nouveaux bénévoles"),
        ("ask_human", "Tom Beelys"),
        ("not_this", "on veut ouvrir une épicerie solidaire"),
    ],
)
def test_project_messages_are_never_commands(intent, text):
    assert not is_command_message(intent, text, 0.99)


def test_an_unsure_or_long_reading_is_not_a_command():
    assert not is_command_message("delete_my_data", "supprimer mes données", 0.3)
    long = "je veux supprimer mes données " + "et mes infos " * 6
    assert not is_command_message("delete_my_data", long, 0.99)
    assert is_command_message("delete_my_data", "/delete_my_data", 0.2)  # a button


def test_a_rejected_command_gives_way_to_the_next_reading():
    parse = {
        "text": "Nous voulons effacer nos dettes et relancer la coopérative",
        "intent": {"name": "delete_my_data", "confidence": 0.91},
        "intent_ranking": [
            {"name": "delete_my_data", "confidence": 0.91},
            {"name": "situation_creation", "confidence": 0.05},
            {"name": "restart", "confidence": 0.02},
        ],
    }
    guarded = without_unsure_commands(parse)
    assert guarded["intent"] == {"name": "situation_creation", "confidence": 0.05}
    assert [r["name"] for r in guarded["intent_ranking"]] == ["situation_creation"]
    assert without_unsure_commands({**parse, "text": "supprimer mes données"}) is None


@pytest.mark.parametrize(
    "text",
    [
        "oui",
        "Oui, tout effacer",
        "ouais vas-y",
        "oui je confirme",
        "/affirm",
        "OK",
        "oui efface tout stp",
        "Oui, recommencer",
    ],
)
def test_explicit_yes(text):
    assert is_explicit_yes(text)


@pytest.mark.parametrize(
    "text",
    [
        "non",
        "/deny",
        "oui mais je veux garder ma demande",
        "",
        "peut-être",
        "je sais pas",
        "1",
        "oui nous voulons créer une SCOP avec mes collègues",
    ],
)
def test_anything_else_is_not_a_yes(text):
    assert not is_explicit_yes(text)


def test_french_agreement_of_what_was_erased():
    assert "notre conversation a été effacée" in erased_message(0, "vous")
    assert "votre demande de rappel et notre conversation ont été effacées" in erased_message(
        1, "vous"
    )
    assert "tes 2 demandes de rappel et notre conversation ont été effacées" in erased_message(
        2, "tu"
    )
    assert "(s)" not in erased_message(1, "vous") + erased_message(2, "vous")


def test_the_question_says_what_would_be_erased():
    one = confirmation_question("delete_my_data", ["ESS-2026-0042"], "vous")
    assert "votre demande de rappel ESS-2026-0042 et notre conversation" in one
    two = confirmation_question("delete_my_data", ["ESS-2026-0042", "ESS-2026-0043"], "tu")
    assert "tes 2 demandes de rappel (ESS-2026-0042, ESS-2026-0043)" in two
    assert "notre conversation est conservée" in kept_message("delete_my_data", [], "vous", False)
