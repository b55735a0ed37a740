"""Twilio SMS and WhatsApp end to end: signed webhook → real Rasa → fake Messages API."""

import sqlite3

import fake_platforms as fp
import httpx
import pytest

from .webhooks import log_text, offer_in, twilio

pytestmark = [pytest.mark.server, pytest.mark.model]


def test_unsigned_and_forged_requests_are_refused(rasa_server, platforms):
    before = len(platforms.calls)
    forged = twilio(rasa_server.url, "+33611111111", "bonjour", token="not-the-token")
    unsigned = httpx.post(
        f"{rasa_server.url}/webhooks/twilio/webhook",
        data={"From": "+33611111111", "To": fp.TWILIO_NUMBER, "Body": "x"},
    )
    assert forged.status_code == 403 and unsigned.status_code == 403
    assert len(platforms.calls) == before
    assert "twilio: request refused (bad signature)" in log_text(rasa_server)


def test_sms_with_numbered_choices_reaches_a_youth_offer_in_three_messages(rasa_server, platforms):
    phone = "+33612345678"
    answer = twilio(rasa_server.url, phone, "Salut")
    assert answer.status_code == 200 and "<Response>" in answer.text
    greeting = platforms.sent_to(phone)[-1]
    assert greeting.body["From"] == fp.TWILIO_NUMBER
    assert "4. J'ai 16–25 ans ou je suis étudiant·e" in greeting.text
    assert greeting.text.startswith("Salut !")  # tutoyé·e back
    twilio(rasa_server.url, phone, "4")
    assert "1. 16–18 ans" in platforms.sent_to(phone)[-1].text
    twilio(rasa_server.url, phone, "deux")
    card = platforms.sent_to(phone)[-1].text
    assert offer_in(card) == "reve-et-realise"
    assert "1. Être rappelé·e" in card
    assert all(len(c.text) <= 700 for c in platforms.sent_to(phone))


def test_whatsapp_is_answered_on_whatsapp(rasa_server, platforms):
    sender = "whatsapp:+33698765432"
    twilio(
        rasa_server.url,
        sender,
        "Bonjour, nous sommes une association d'insertion et nous "
        "voulons ouvrir un deuxième site dans une autre commune",
        to=fp.TWILIO_WHATSAPP,
    )
    reply = platforms.sent_to(sender)[-1]
    assert reply.body["From"] == fp.TWILIO_WHATSAPP
    assert offer_in(reply.text) or "?" in reply.text
    assert reply.text.startswith(("Je vous propose", "J'hésite", "Votre", "Quel", "Qu"))


def test_phone_numbers_stay_out_of_the_conversation_store(rasa_server, platforms):
    twilio(rasa_server.url, "+33655555555", "bonjour")
    db = rasa_server.tracker_url.removeprefix("sqlite:///")
    rows = sqlite3.connect(db).execute("SELECT sender_id, data FROM events").fetchall()
    assert not any("655555555" in (s + (d or "")) for s, d in rows)
    assert "655555555" not in log_text(rasa_server)


def test_a_failing_api_is_retried_a_bounded_number_of_times(rasa_server, platforms):
    phone = "+33644444444"
    platforms.trouble(phone, "500", "500", "500", "500")
    answer = twilio(rasa_server.url, phone, "bonjour")
    assert answer.status_code == 200  # Twilio is not made to retry
    assert platforms.sent_to(phone) == []
    assert "twilio: message not delivered after 3 attempts (HTTP 500)" in log_text(rasa_server)
    platforms.trouble(phone)  # back to normal: next one is answered
    twilio(rasa_server.url, phone, "bonjour")
    assert len(platforms.sent_to(phone)) == 1
