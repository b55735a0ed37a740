"""The Rasa SDK actions, run on tracker fixtures (no server): what the person gets, which slots."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.orientation import ActionFallback, ActionGreet, ActionOrient, ActionReorient


def tracker(text, intent, confidence=1.0, ranking=None, entities=None, **slots):
    ranking = ranking or [(intent, confidence)]
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": entities or [],
    }
    return Tracker("test-user", slots, latest, [], False, None, {}, "action_listen")


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker_, {})
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return dispatcher.messages, slots


def test_a_clear_description_gets_the_offer_card_and_the_offer_slot():
    messages, slots = run(
        ActionOrient(),
        tracker(
            "on voudrait reprendre la boîte de notre patron en SCOP",
            "situation_reprise_cooperative",
            0.95,
            [("situation_reprise_cooperative", 0.95), ("situation_forme_juridique", 0.03)],
        ),
    )
    [card] = messages
    assert card["custom"]["offer"]["id"] == "reprise-cooperative"
    assert "Reprise d'entreprise" in card["text"]
    assert slots["offer"] == "reprise-cooperative" and slots["pending_question"] is None
    assert slots["last_orientation"]["ranking"][0] == ["situation_reprise_cooperative", 0.95]


def test_a_vague_project_gets_the_stage_question_with_buttons():
    messages, slots = run(ActionOrient(), tracker("j'ai un projet", "describe_project", 0.9))
    [question] = messages
    assert len(question["buttons"]) == 4 and slots["pending_question"] == "stage"
    assert slots["offer"] is None


def test_buttons_lead_to_an_offer_in_two_answers():
    _, slots = run(
        ActionOrient(), tracker('/choose{"stage": "existante"}', "choose", stage="existante")
    )
    assert slots["pending_question"] == "existing_goal"
    messages, slots = run(
        ActionOrient(),
        tracker(
            '/choose{"existing_goal": "achats-responsables"}',
            "choose",
            stage="existante",
            existing_goal="achats-responsables",
        ),
    )
    assert messages[0]["custom"]["offer"]["id"] == "achats-responsables"
    assert slots["offer"] == "achats-responsables"


def test_a_new_description_forgets_the_answers_to_older_questions():
    messages, slots = run(
        ActionOrient(),
        tracker(
            "je suis étudiant et je veux créer ma start-up",
            "situation_beelys",
            0.97,
            stage="existante",
            existing_goal="competences",
            rejected_offers=["beelys"],
        ),
    )
    assert messages[0]["custom"]["offer"]["id"] == "beelys"
    assert slots["existing_goal"] is None and slots["rejected_offers"] == []


def test_the_person_who_tutoie_is_answered_with_tu():
    messages, slots = run(
        ActionOrient(),
        tracker(
            "salut, j'ai 17 ans, tu connais un job d'été en coopérative ?", "situation_cjs", 0.9
        ),
    )
    assert slots["register"] == "tu" and messages[0]["text"].startswith("Je te propose")


def test_not_this_proposes_the_other_likely_offers():
    last = {
        "ranking": [
            ["situation_cooperation", 0.6],
            ["situation_mutualisation", 0.3],
            ["greet", 0.1],
        ],
        "offer": "cooperation",
        "rule": "R2",
    }
    messages, slots = run(
        ActionReorient(),
        tracker("ce n'est pas ça", "not_this", offer="cooperation", last_orientation=last),
    )
    assert messages[0]["text"].startswith("D'accord")
    titles = [b["title"] for b in messages[1]["buttons"]]
    assert "Mutualisation" in titles and "Coopération" not in titles
    assert slots["rejected_offers"] == ["cooperation"]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "🙂🙂", "x" * 30000, "مرحبا"],
    ids=["empty", "spaces", "emoji", "huge", "arabic"],
)
def test_unusable_messages_get_a_clear_answer_and_no_orientation(text):
    messages, slots = run(ActionOrient(), tracker(text, "situation_cooperation", 0.9))
    assert len(messages) == 1 and messages[0]["text"] and not messages[0].get("custom")
    assert slots == {}


@pytest.fixture()
def database(leads_database):
    from bot.leads import service

    return service


def test_two_misunderstandings_in_a_row_offer_a_human(database):
    messages, slots = run(ActionFallback(), tracker("blablabla", "nlu_fallback", 0.3))
    assert messages[0]["response"] == "utter_please_rephrase"
    messages, _ = run(
        ActionFallback(),
        tracker("gnagna", "nlu_fallback", 0.3, misunderstood_count=slots["misunderstood_count"]),
    )
    assert messages[0]["response"] == "utter_offer_human"


def test_greeting_in_the_persons_register():
    messages, slots = run(ActionGreet(), tracker("slt", "greet"))
    assert messages[0]["response"] == "utter_greet_tu" and slots["register"] == "tu"
    messages, _ = run(ActionGreet(), tracker("Bonjour", "greet"))
    assert messages[0]["response"] == "utter_greet"


def test_misunderstood_messages_are_kept_for_review(database):
    from sqlalchemy import select

    from bot.leads.models import MisunderstoodMessage

    run(
        ActionFallback(),
        tracker("gloubiboulga", "nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("greet", 0.2)]),
    )
    with database.get_repository().sessions() as session:
        [kept] = session.scalars(select(MisunderstoodMessage)).all()
    assert kept.text == "gloubiboulga" and kept.ranking[1] == {"name": "greet", "confidence": 0.2}
