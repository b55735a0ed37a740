"""Nothing lost on a misunderstanding: erasing asks first, commands are never read from project
messages, and the call-back form always moves forward. Real Rasa and action servers over REST."""

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.server

# Messages about a project that mention erasing, forgetting or starting over: after a confirmed
# call-back request, none of them may erase or restart anything.
TRAPS = [
    "Oubliez ce que j'ai dit sur le local, en fait nous voulons créer une SCOP avec mes "
    "collègues quand notre patron partira à la retraite",
    "Nous voulons effacer nos dettes et relancer la coopérative avec un nouveau modèle",
    "Je monte un projet pour aider les seniors du quartier à supprimer leurs données des "
    "réseaux sociaux",
    "effacer le tableau",
    "Je voudrais recommencer à zéro la comptabilité de notre association",
    "Bonjour, j'ai aussi un autre projet : une épicerie solidaire dans mon quartier, je veux "
    "vérifier que les habitants en ont vraiment besoin",
    "Notre asso existe depuis dix ans et on veut tout reprendre depuis le début pour lancer une "
    "nouvelle activité de réparation de vélos",
    "oublie pas mon rappel stp",
]


def _texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


def _rows(url, query, **params):
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(text(query), params)]
    engine.dispose()
    return rows


def _leads_of(server, sender):
    return _rows(
        server.database_url, "SELECT reference FROM leads WHERE conversation_id = :s", s=sender
    )


def _confirmed_lead(server, sender):
    """A conversation that ends on a confirmed call-back request; returns its reference."""
    say = lambda t: server.say(sender, t)  # noqa: E731
    say("bonjour")
    say("on voudrait reprendre la boîte de notre patron en SCOP")
    say("/request_callback")
    say("Léa Martin, lea.martin@example.org, Firminy")
    say("Menuiserie Dupont")
    say("Reprendre la menuiserie avec six collègues quand le patron part à la retraite")
    say("oui")
    done = _texts(say("/confirm"))
    [lead] = _leads_of(server, sender)
    assert lead["reference"] in done
    return lead["reference"]


def test_project_messages_after_a_lead_never_erase_or_restart_it(rasa_server):
    sender = "safe-traps"
    reference = _confirmed_lead(rasa_server, sender)
    for trap in TRAPS:
        answer = _texts(rasa_server.say(sender, trap))
        assert "effacé" not in answer and "C'est reparti" not in answer, (trap, answer)
        assert "Voulez-vous vraiment effacer" not in answer, (trap, answer)
        assert _leads_of(rasa_server, sender) == [{"reference": reference}], trap


def test_a_second_project_gets_a_second_orientation_and_keeps_the_first_lead(rasa_server):
    sender = "safe-second"
    reference = _confirmed_lead(rasa_server, sender)
    answer = rasa_server.say(
        sender,
        "Oubliez ce que j'ai dit sur le local : en fait avec mes "
        "collègues nous voulons reprendre l'imprimerie en SCOP, "
        "le patron vend l'an prochain.",
    )
    assert any(
        m.get("custom", {}).get("offer", {}).get("id") == "reprise-cooperative"
        or "reprise" in (m.get("text") or "").lower()
        for m in answer
    ), answer
    assert _leads_of(rasa_server, sender) == [{"reference": reference}]
    # A call-back for this second project: its own summary and consent, a second lead.
    asked = _texts(rasa_server.say(sender, "/request_callback"))
    assert "structure" in asked or "projet" in asked
    for _ in range(3):
        if "Acceptez-vous" in asked:
            break
        asked = _texts(
            rasa_server.say(
                sender,
                "Imprimerie Vidal"
                if "structure" in asked
                else "Reprendre l'imprimerie en SCOP avec quatre collègues",
            )
        )
    assert "Acceptez-vous" in asked
    rasa_server.say(sender, "oui")
    rasa_server.say(sender, "/confirm")
    references = [row["reference"] for row in _leads_of(rasa_server, sender)]
    assert len(references) == 2 and references[0] == reference


def test_typed_erase_asks_what_it_will_erase_and_no_keeps_everything(rasa_server):
    sender = "safe-erase-no"
    reference = _confirmed_lead(rasa_server, sender)
    question = rasa_server.say(sender, "supprimer mes données")
    assert f"votre demande de rappel {reference} et notre conversation" in _texts(question)
    buttons = [b["title"] for m in question for b in m.get("buttons") or []]
    assert buttons == ["Oui, tout effacer", "Non, garder mes données"]
    assert _leads_of(rasa_server, sender) == [{"reference": reference}]
    kept = _texts(rasa_server.say(sender, "non"))
    assert "je n'efface rien" in kept and reference in kept
    assert _leads_of(rasa_server, sender) == [{"reference": reference}]


def test_an_unclear_answer_to_the_erase_question_keeps_everything(rasa_server):
    sender = "safe-erase-unclear"
    reference = _confirmed_lead(rasa_server, sender)
    rasa_server.say(sender, "supprimer mes données")
    kept = _texts(rasa_server.say(sender, "oui mais je voudrais garder ma demande"))
    assert "je n'efface rien" in kept
    assert _leads_of(rasa_server, sender) == [{"reference": reference}]


def test_an_explicit_yes_erases_and_the_erasure_is_recorded(rasa_server):
    sender = "safe-erase-yes"
    _confirmed_lead(rasa_server, sender)
    before = _rows(rasa_server.database_url, "SELECT count(*) AS n FROM erasures")[0]["n"]
    rasa_server.say(sender, "supprimer mes données")
    done = _texts(rasa_server.say(sender, "/affirm"))
    assert "votre demande de rappel et notre conversation ont été effacées" in done
    assert _leads_of(rasa_server, sender) == []
    erasures = _rows(rasa_server.database_url, "SELECT * FROM erasures ORDER BY id")
    assert len(erasures) == before + 1
    last = erasures[-1]
    assert last["leads"] == 1 and last["rows"] >= 2 and last["channel"] == "rest"
    assert last["requested_by"] == "person" and last["tracker_events"] > 0
    # Counts only: nothing that identifies the person.
    assert sender not in " ".join(str(v) for v in last.values())


def test_erasing_without_a_lead_says_the_conversation_was_erased(rasa_server):
    sender = "safe-erase-nolead"
    rasa_server.say(sender, "bonjour")
    question = _texts(rasa_server.say(sender, "supprimer mes données"))
    assert "Voulez-vous vraiment effacer notre conversation" in question
    assert "notre conversation a été effacée" in _texts(rasa_server.say(sender, "oui"))


def test_restart_during_the_form_asks_and_no_resumes_the_form(rasa_server):
    sender = "safe-restart"
    say = lambda t: _texts(rasa_server.say(sender, t))  # noqa: E731
    say("on voudrait reprendre la boîte de notre patron en SCOP")
    say("/request_callback")
    assert "Comment vous joindre" in say("Léa Martin")
    question = say("recommencer")
    assert "Voulez-vous tout recommencer" in question
    resumed = say("non")
    assert "on ne recommence pas" in resumed and "Comment vous joindre" in resumed
    assert "Dans quelle commune" in say("lea.martin@example.org")
    say("recommencer")
    assert "C'est reparti de zéro" in say("/affirm")


def test_a_name_that_looks_like_a_programme_is_a_name(rasa_server):
    sender = "safe-tom"
    say = lambda t: _texts(rasa_server.say(sender, t))  # noqa: E731
    say("je veux parler à un conseiller")
    assert "Comment vous joindre" in say("Tom Beelys")


def test_a_question_in_the_form_is_answered_then_the_form_goes_on(rasa_server):
    sender = "safe-faq"
    say = lambda t: _texts(rasa_server.say(sender, t))  # noqa: E731
    say("je veux parler à un conseiller")
    faq = say("c'est quoi une SCOP ?")
    assert "société coopérative et participative" in faq and "prénom" in faq
    assert "Comment vous joindre" in say("Sami Benali")


def test_the_form_offers_help_after_two_failed_answers_instead_of_looping(rasa_server):
    sender = "safe-loop"
    say = lambda t: _texts(rasa_server.say(sender, t))  # noqa: E731
    say("je veux parler à un conseiller")
    say("Tom")  # one word: asked once for the full name
    assert "Comment vous joindre" in say("Tom")  # second time: a first name is enough
    first = say("je sais pas")
    assert "e-mail" in first
    second = say("bof")
    assert "Par exemple" in second and "écrivez « recommencer »" in second
    assert "accord" in say("tom@example.org").lower()


def test_on_sms_the_erase_question_has_numbered_choices_and_2_keeps_everything(
    rasa_server, platforms
):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "messaging"))
    from webhooks import twilio  # noqa: E402

    phone = "+33633333333"
    twilio(rasa_server.url, phone, "bonjour")
    twilio(rasa_server.url, phone, "supprimer mes données")
    question = platforms.sent_to(phone)[-1].text
    assert "Voulez-vous vraiment effacer notre conversation" in question
    assert "1. Oui, tout effacer" in question and "2. Non, garder mes données" in question
    twilio(rasa_server.url, phone, "2")
    assert "je n'efface rien" in platforms.sent_to(phone)[-1].text
    twilio(rasa_server.url, phone, "supprimer mes données")
    twilio(rasa_server.url, phone, "1")
    assert "notre conversation a été effacée" in platforms.sent_to(phone)[-1].text


def test_consent_asked_again_keeps_its_buttons_and_says_how_to_stop(rasa_server):
    sender = "safe-consent"
    say = lambda t: rasa_server.say(sender, t)  # noqa: E731
    say("je veux parler à un conseiller")
    say("Paul Durand")
    say("paul.durand@example.org")
    first = say("peut-être")
    assert "accord explicite" in _texts(first)
    second = say("je ne sais pas trop")
    assert "écrivez « recommencer »" in _texts(second)
    assert [b["title"] for m in second for b in m.get("buttons") or []] == ["Oui, j'accepte", "Non"]
