"""A first conversation over Rasa's REST channel, with the real Rasa and action servers."""

import pytest

pytestmark = pytest.mark.server


def _texts(messages):
    return " ".join(m.get("text", "") for m in messages)


def test_greeting_orientation_reorientation_and_faq(rasa_server):
    greeting = rasa_server.say("conv-1", "bonjour")
    assert "Boussole ESS" in _texts(greeting) and len(greeting[0]["buttons"]) == 4

    card = rasa_server.say("conv-1", "on voudrait reprendre la boîte de notre patron en SCOP")
    offers = [m["custom"]["offer"] for m in card if m.get("custom")]
    assert offers and offers[0]["id"] == "reprise-cooperative"
    assert offers[0]["why"] and "Reprise d'entreprise" in _texts(card)

    again = rasa_server.say("conv-1", "ce n'est pas ça")
    assert "autre chose" in _texts(again) and any(m.get("buttons") for m in again)

    faq = rasa_server.say("conv-1", "c'est quoi une SCIC ?")
    assert "société coopérative d'intérêt collectif" in _texts(faq)


def test_buttons_orient_in_two_clicks(rasa_server):
    question = rasa_server.say("conv-2", '/choose{"stage": "existante"}')
    assert "structure" in _texts(question) and len(question[0]["buttons"]) == 9
    card = rasa_server.say("conv-2", '/choose{"existing_goal": "mutualisation"}')
    assert [m["custom"]["offer"]["id"] for m in card if m.get("custom")] == ["mutualisation"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "x" * 20000,
        "<script>alert(1)</script>",
        "'; DROP TABLE leads; --",
        "مرحبا كيف حالك",
    ],
    ids=["empty", "spaces", "emoji", "20kB", "html", "sql", "arabic"],
)
def test_bad_input_gets_an_answer_and_the_conversation_goes_on(rasa_server, text):
    sender = f"bad-{abs(hash(text))}"
    answer = rasa_server.say(sender, text)
    assert answer and all("custom" not in m for m in answer)
    card = rasa_server.say(
        sender, "notre asso veut répondre aux marchés publics avec des clauses sociales"
    )
    assert [m["custom"]["offer"]["id"] for m in card if m.get("custom")] == ["achats-responsables"]
