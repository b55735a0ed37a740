"""From "bonjour" to a confirmed call-back over REST, with the lead found in the database."""

import json

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.server


def _texts(messages):
    return "\n".join(m.get("text", "") for m in messages)


def _leads(url):
    engine = create_engine(url, future=True)
    with engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(text("SELECT * FROM leads"))]
    engine.dispose()
    return rows


def test_whole_call_back_request_with_a_question_in_the_middle(rasa_server):
    say = lambda t: rasa_server.say("callback-1", t)  # noqa: E731
    say("bonjour")
    card = say("on voudrait reprendre la boîte de notre patron en SCOP")
    assert any(b["payload"] == "/request_callback" for m in card for b in m.get("buttons", []))
    assert "prénom et votre nom" in _texts(say("/request_callback"))
    # Several details in one message fill them all.
    after = say("Léa Martin, lea.martin@example.org, Firminy")
    assert "structure" in _texts(after)
    faq = say("c'est quoi une SCOP ?")
    assert "société coopérative et participative" in _texts(faq)
    assert "structure" in _texts(faq)  # back to the form's question
    assert "projet" in _texts(say("Menuiserie Dupont"))
    consent = say("Reprendre la menuiserie avec six collègues quand le patron part à la retraite")
    assert "Acceptez-vous" in _texts(consent)
    assert "accord explicite" in _texts(say("peut-être"))
    recap = say("oui")
    assert "Léa Martin" in _texts(recap) and "lea.martin@example.org" in _texts(recap)
    assert "Firminy" in _texts(recap)
    done = say("/confirm")
    reference = next(w for w in _texts(done).replace(".", " ").split() if w.startswith("ESS-"))
    again = say("/confirm")  # the same confirmation twice
    assert reference in _texts(again)
    [lead] = [
        lead for lead in _leads(rasa_server.database_url) if lead["conversation_id"] == "callback-1"
    ]
    assert lead["reference"] == reference and lead["offer_id"] == "reprise-cooperative"
    assert lead["first_name"] == "Léa" and lead["last_name"] == "Martin"
    assert lead["commune_insee"] == "42095" and lead["on_territory"] in (1, True)
    assert lead["structure_name"] == "Menuiserie Dupont" and lead["consent_version"]
    assert lead["level"] == "qualifié" and lead["conversation_id"] == "callback-1"
    assert json.loads(lead["facts"]) if isinstance(lead["facts"], str) else lead["facts"]


def test_bad_details_are_asked_again(rasa_server):
    say = lambda t: rasa_server.say("callback-2", t)  # noqa: E731
    say('/choose{"stage": "jeune"}')
    say('/choose{"youth_profile": "beelys"}')
    say("/request_callback")
    assert "lettres" in _texts(say("R2D2 " * 3))
    say("Sami Benali")
    assert "chiffres" in _texts(say("zéro six douze trente-quatre"))
    assert "valide" in _texts(say("<script>alert(1)</script>@"))
    say("06 12 34 56 78")
    assert "Laquelle" in _texts(say("42140"))
    say("Fontanès")
    say("Créer une application de covoiturage étudiant")
    say("oui")
    done = say("/confirm")
    assert "ESS-" in _texts(done)


def test_erasing_my_data_removes_lead_and_conversation(rasa_server):
    say = lambda t: rasa_server.say("callback-3", t)  # noqa: E731
    say("je veux parler à un conseiller")
    say("Paul Durand")
    say("paul.durand@example.org")
    say("oui")
    assert "ESS-" in _texts(say("/confirm"))
    assert any(lead["conversation_id"] == "callback-3" for lead in _leads(rasa_server.database_url))
    asked = say("supprimer mes données")
    assert "Voulez-vous vraiment effacer" in _texts(asked)
    assert any(lead["conversation_id"] == "callback-3" for lead in _leads(rasa_server.database_url))
    erased = say("oui")
    assert "ont été effacées" in _texts(erased)
    assert not any(
        lead["conversation_id"] == "callback-3" for lead in _leads(rasa_server.database_url)
    )


def test_contact_details_never_reach_the_logs(rasa_server):
    say = lambda t: rasa_server.say("callback-4", t)  # noqa: E731
    say("/request_callback")
    say("Nina Roux, nina.roux@example.org, 07 98 76 54 32, Sorbiers")
    logs = "".join(path.read_text(errors="replace") for path in rasa_server.logs)
    for secret in ("nina.roux@example.org", "07 98 76 54 32", "+33798765432", "Roux"):
        assert secret not in logs
