"""Messenger end to end: signed webhook → real Rasa server and actions → fake Send API."""

import fake_platforms as fp
import httpx
import pytest

from .webhooks import YOUTH_OFFERS, log_text, messenger, offer_in

pytestmark = [pytest.mark.server, pytest.mark.model]


def test_meta_verification_challenge(rasa_server):
    url = f"{rasa_server.url}/webhooks/facebook/webhook"
    ok = httpx.get(
        url,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": fp.FACEBOOK_VERIFY,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = httpx.get(
        url,
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1158201444"},
    )
    assert wrong.status_code == 403


def test_unsigned_or_badly_signed_webhooks_are_refused(rasa_server, platforms):
    before = len(platforms.calls)
    assert messenger(rasa_server.url, "psid-x", "bonjour", app_secret="forged").status_code == 403
    plain = httpx.post(
        f"{rasa_server.url}/webhooks/facebook/webhook", json={"object": "page", "entry": []}
    )
    assert plain.status_code == 403
    assert len(platforms.calls) == before
    assert "facebook: request refused (bad signature)" in log_text(rasa_server)


def test_quick_replies_lead_a_young_person_to_a_youth_offer(rasa_server, platforms):
    psid = "psid-7001"
    assert messenger(rasa_server.url, psid, "bonjour").status_code == 200
    greeting = platforms.sent_to(psid)[-1]
    replies = greeting.body["message"]["quick_replies"]
    assert len(replies) == 4 and all(len(r["title"]) <= 20 for r in replies)
    # Titles longer than Messenger's 20 characters: numbered in the text, numbers as replies.
    assert "4. J'ai 16–25 ans ou je suis étudiant·e" in greeting.text
    messenger(rasa_server.url, psid, "4", quick_reply=replies[3]["payload"])
    question = platforms.sent_to(psid)[-1]
    options = question.body["message"]["quick_replies"]
    assert len(options) == 3
    messenger(rasa_server.url, psid, "3", quick_reply=options[2]["payload"])
    card = platforms.sent_to(psid)[-1]
    assert offer_in(card.text) in YOUTH_OFFERS
    assert [r["title"] for r in card.body["message"]["quick_replies"]] == [
        "Être rappelé·e",
        "Ce n'est pas ça",
        "Recommencer",
    ]
    assert card.body["messaging_type"] == "RESPONSE"


def test_a_number_typed_instead_of_tapped_is_the_choice(rasa_server, platforms):
    psid = "psid-7002"
    messenger(rasa_server.url, psid, "bonjour")
    messenger(rasa_server.url, psid, "2")  # typed: "Je veux reprendre…"
    text = platforms.sent_to(psid)[-1].text
    assert offer_in(text) == "reprise-cooperative" or "reprendre" in text.lower(), text


def test_echoes_and_receipts_are_not_answered(rasa_server, platforms):
    import hashlib
    import hmac
    import json

    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "p",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": "psid-7003"},
                            "recipient": {"id": "p"},
                            "message": {"mid": "m_echo", "text": "hello", "is_echo": True},
                        },
                        {
                            "sender": {"id": "psid-7003"},
                            "recipient": {"id": "p"},
                            "delivery": {"mids": ["m_1"], "watermark": 1},
                        },
                    ],
                }
            ],
        }
    ).encode()
    signature = "sha256=" + hmac.new(fp.FACEBOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = httpx.post(
        f"{rasa_server.url}/webhooks/facebook/webhook",
        content=body,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    assert platforms.sent_to("psid-7003") == []


def test_send_api_errors_are_retried(rasa_server, platforms):
    psid = "psid-7004"
    platforms.trouble(psid, "500")
    messenger(rasa_server.url, psid, "bonjour")
    assert len(platforms.sent_to(psid)) == 1
    assert "facebook: send attempt 1/3 failed (HTTP 500)" in log_text(rasa_server)
    assert fp.FACEBOOK_PAGE_TOKEN not in log_text(rasa_server)
