"""Contact form actions on tracker fixtures, with a real SQLite database."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rendering import texts

from actions.callback import ActionCorrect, ActionSubmitLead, ActionSummary, ValidateContactForm
from bot.leads import service


def tracker(text="", slots=None, intent="inform", sender="form-user"):
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    events = [{"event": "session_started", "timestamp": 1700000000.0}]
    return Tracker(
        sender, slots or {}, latest, events, False, None, {"name": "contact_form"}, "action_listen"
    )


@pytest.fixture(autouse=True)
def database(leads_database):
    """Each test writes its leads to a database and an outbox of its own."""


def validate(slot, text, slots=None):
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateContactForm(), f"validate_{slot}")
    # As in Rasa, the requested slot already holds the raw text when it is validated.
    result = method(text, dispatcher, tracker(text, {**(slots or {}), slot: text}), {})
    return result, texts(dispatcher.messages)


def test_several_details_in_one_message_fill_them_all():
    result, said = validate("full_name", "Léa Martin, lea.martin@example.org, Firminy")
    assert result["first_name"] == "Léa" and result["last_name"] == "Martin"
    assert result["email"] == "lea.martin@example.org" and result["contact"]
    assert result["commune"] == "Firminy" and result["commune_insee"] == "42095"
    assert said == []


def test_a_ten_kilobyte_name_is_asked_again():
    result, said = validate("full_name", "A" * 10000)
    assert result["full_name"] is None and said


@pytest.mark.parametrize(
    "text, word", [("zéro six", "chiffres"), ("lea@", "valide"), ("<script>@x", "valide")]
)
def test_bad_contact_is_asked_again(text, word):
    result, said = validate("contact", text)
    assert result["contact"] is None and word in said[0]


def test_phone_contact_is_stored_normalised():
    result, _ = validate("contact", "+33 6 12 34 56 78")
    assert result["phone"] == "+33612345678" and result["phone_region"]


def test_off_territory_commune_is_kept_and_said():
    result, said = validate("commune", "Montbrison")
    assert result["on_territory"] is False and "n'est pas sur le territoire" in said[0]


def test_consent_maybe_is_asked_again():
    result, said = validate("consent", "peut-être")
    assert result["consent"] is None and "oui" in said[0]
    assert validate("consent", "oui j'accepte")[0] == {"consent": "yes"}


SLOTS = {
    "first_name": "Léa",
    "last_name": "Martin",
    "full_name": "Léa Martin",
    "email": "lea@example.org",
    "contact": "lea@example.org",
    "commune": "Firminy",
    "commune_insee": "42095",
    "on_territory": True,
    "project_summary": "Reprendre notre menuiserie en SCOP",
    "consent": "yes",
    "offer": "reprise-cooperative",
    "last_orientation": {"ranking": [["situation_reprise_cooperative", 0.9]], "rule": "R2"},
}


def test_summary_lists_the_details_with_correction_buttons():
    dispatcher = CollectingDispatcher()
    ActionSummary().run(dispatcher, tracker(slots=SLOTS), {})
    [message] = dispatcher.messages
    assert "Léa Martin" in message["text"] and "Firminy" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[0] == "/confirm" and '/correct{"field": "commune"}' in payloads


def test_correction_forgets_only_that_field():
    events = ActionCorrect().run(
        CollectingDispatcher(), tracker(slots={**SLOTS, "field": "contact"}), {}
    )
    assert {e["name"] for e in events if e["value"] is None} == {
        "contact",
        "email",
        "phone",
        "phone_region",
        "field",
    }


def test_submitting_twice_writes_one_lead_and_gives_its_reference():
    said = []
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        ActionSubmitLead().run(dispatcher, tracker(slots=SLOTS), {})
        said.append(texts(dispatcher.messages)[0])
    assert "ESS-" in said[0] and said[0] == said[1]
    [lead] = service.get_repository().list()
    assert lead.offer_id == "reprise-cooperative" and lead.consent_version
    assert lead.facts["rule"] == "R2" and lead.explanation.startswith("Parce que")


def test_the_lead_carries_clean_facts():
    from bot.callback.form import lead_draft

    draft = lead_draft("u", "1", {**SLOTS, "legal_form": "scop", "age": "17 ans"})
    assert draft["legal_form"] == "SCOP" and draft["youth"] is True
    assert draft["confidence"] == 0.9 and draft["consent_version"]


def test_database_down_tells_the_truth_and_keeps_the_lead(tmp_path, monkeypatch):
    from bot.leads.repository import LeadRepository
    from bot.settings import Settings

    broken = Settings(database_url=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    monkeypatch.setattr(service, "_repository", LeadRepository(settings=broken))
    dispatcher = CollectingDispatcher()
    ActionSubmitLead().run(dispatcher, tracker(slots=SLOTS), {})
    [queued, _] = texts(dispatcher.messages)
    assert "ne répond pas" in queued and "ESS-" not in queued
    assert (tmp_path / "outbox" / "leads.jsonl").read_text().count("\n") == 1
