"""Offer cards and questions as the person sees them (text, buttons, custom payload)."""

import json
import re

from bot.orientation.facts import Facts
from bot.orientation.routing import route
from bot.wording import offer_card, orientation_messages, question_message


def _route(*ranking, **kw):
    return route(Facts(intent=ranking[0][0], confidence=ranking[0][1], ranking=ranking, **kw))


def test_offer_card_carries_the_custom_payload_the_widget_reads(catalogue):
    orientation = _route(("situation_validation", 0.95))
    card = offer_card(orientation)
    assert card["custom"] == {
        "offer": {
            "id": "validation",
            "title": catalogue["validation"].title,
            "phase": "creation",
            "why": catalogue["validation"].why,
        }
    }
    text = card["text"]
    assert catalogue["validation"].title in text and catalogue["validation"].why in text
    assert "Idéation → [VALIDATION] → Modélisation → Création" in text
    assert all(b in text for b in catalogue["validation"].benefits)
    assert {"title": "Ce n'est pas ça", "payload": "/not_this"} in card["buttons"]


def test_offer_card_speaks_the_persons_register():
    card = offer_card(_route(("situation_cjs", 0.95), register="tu"), register="tu")
    assert card["text"].startswith("Je te propose") and "tu y trouveras" in card["text"]


def test_question_buttons_are_rasa_payloads_that_fill_the_question_slot():
    message = question_message(_route(("describe_project", 0.9)))
    assert message["text"] == "Pour vous orienter, dites-m'en un peu plus. Où en êtes-vous ?"
    values = []
    for button in message["buttons"]:
        match = re.fullmatch(r"/choose(\{.*\})", button["payload"])
        values.append(json.loads(match.group(1))["stage"])
    assert values == ["idee", "reprise", "existante", "jeune"]


def test_disambiguation_offers_the_titles_and_something_else(catalogue):
    orientation = _route(("situation_cooperation", 0.45), ("situation_mutualisation", 0.4))
    [message] = orientation_messages(orientation)
    titles = [b["title"] for b in message["buttons"]]
    assert titles == [
        catalogue["cooperation"].title,
        catalogue["mutualisation"].title,
        "Autre chose",
    ]


def test_nothing_to_say_for_small_talk():
    assert orientation_messages(_route(("greet", 0.99))) == []


def test_answers_leading_to_a_rejected_offer_are_not_proposed_again():
    from bot.orientation.routing import reorient

    orientation = reorient(
        Facts(
            intent="situation_reprise_cooperative",
            confidence=0.99,
            ranking=(("situation_reprise_cooperative", 0.99),),
            rejected=("reprise-cooperative",),
        )
    )
    [message] = orientation_messages(orientation)
    values = [b["payload"] for b in message["buttons"]]
    assert orientation.next_question == "stage" and len(values) == 3
    assert not any("reprise" in v for v in values)


def test_on_a_phone_the_offer_is_a_short_text_with_a_link(catalogue):
    from bot import settings

    card = offer_card(_route(("situation_cjs", 0.95), register="tu"), register="tu", compact=True)
    assert card["text"].startswith("Je te propose : " + catalogue["cjs"].title)
    assert card["text"].endswith(f"{settings.PUBLIC_URL}/offres/cjs")
    assert len(card["text"]) < 600 and "•" not in card["text"]
    assert card["custom"]["offer"]["id"] == "cjs"  # the widget's data is unchanged
