"""Telegram end to end: webhook → real Rasa server and actions → calls to a fake Bot API."""

import threading
import time

import fake_platforms as fp
import pytest

from .webhooks import YOUTH_OFFERS, log_text, offer_in, telegram

pytestmark = [pytest.mark.server, pytest.mark.model]


def test_a_young_person_reaches_a_youth_offer_in_three_messages(rasa_server, platforms):
    chat = 5001
    assert telegram(rasa_server.url, chat, "/start").status_code == 200
    greeting = platforms.sent_to(chat)[-1]
    keyboard = greeting.body["reply_markup"]["keyboard"]
    assert [row[0]["text"] for row in keyboard][3].startswith("J'ai 16–25 ans")

    telegram(rasa_server.url, chat, "J'ai 16–25 ans ou je suis étudiant·e")  # tapped, as text
    question = platforms.sent_to(chat)[-1]
    options = [row[0]["text"] for row in question.body["reply_markup"]["keyboard"]]
    assert "ressemble" in question.text and len(options) == 3

    telegram(rasa_server.url, chat, options[1])
    card = platforms.sent_to(chat)[-1]
    assert offer_in(card.text) in YOUTH_OFFERS
    assert len(platforms.sent_to(chat)) <= 4  # greeting, question, offer (+ intro)
    assert all(len(c.text) <= 700 for c in platforms.sent_to(chat)), "no walls of text"
    titles = [row[0]["text"] for row in card.body["reply_markup"]["keyboard"]]
    assert titles == ["Être rappelé·e", "Ce n'est pas ça", "Recommencer"]


def test_tutoiement_and_a_link_instead_of_a_long_card(rasa_server, platforms):
    chat = 5002
    telegram(
        rasa_server.url,
        chat,
        "slt jsuis etudiant a st etienne et jvoudrais creer ma boite dans l'ess tu peux m'aider",
    )
    card = platforms.sent_to(chat)[-1]
    assert offer_in(card.text) in YOUTH_OFFERS, card.text
    assert card.text.startswith("Je te propose")
    assert "•" not in card.text  # the benefits list stays on the web page
    assert card.body["disable_web_page_preview"] is True


def test_a_button_title_typed_back_is_the_button(rasa_server, platforms):
    chat = 5003
    telegram(
        rasa_server.url,
        chat,
        "Je voudrais reprendre l'entreprise de mon patron qui part "
        "à la retraite avec les autres salariés, en coopérative",
    )
    assert offer_in(platforms.sent_to(chat)[-1].text) == "reprise-cooperative"
    telegram(rasa_server.url, chat, "être rappelée")  # typed, without the mid-dot
    ask = platforms.sent_to(chat)[-1].text
    assert "prénom et votre nom" in ask


def test_wrong_secrets_are_refused_and_logged(rasa_server, platforms):
    before = len(platforms.calls)
    assert telegram(rasa_server.url, 5004, "bonjour", secret="guessed").status_code == 403
    assert telegram(rasa_server.url, 5004, "bonjour", header="forged").status_code == 403
    assert len(platforms.calls) == before
    assert "telegram: request refused (unknown webhook secret)" in log_text(rasa_server)
    assert "telegram: request refused (wrong secret token header)" in log_text(rasa_server)


def test_api_errors_are_retried_then_delivered(rasa_server, platforms):
    chat = 5005
    platforms.trouble(chat, "500", "500")
    telegram(rasa_server.url, chat, "bonjour")
    assert len(platforms.sent_to(chat)) == 1  # third attempt got through, once
    assert "telegram: send attempt 2/3 failed (HTTP 500)" in log_text(rasa_server)


def test_a_stalled_api_does_not_hold_up_other_conversations(rasa_server, platforms):
    stuck, other = 5006, 5007
    platforms.trouble(stuck, "stall", "stall", "stall")
    done = {}

    def send_stuck():
        telegram(rasa_server.url, stuck, "bonjour")
        done["stuck"] = time.monotonic()

    thread = threading.Thread(target=send_stuck)
    thread.start()
    time.sleep(0.3)
    telegram(rasa_server.url, other, "bonjour")
    answered = time.monotonic()
    assert platforms.sent_to(other), "the other conversation got its answer"
    thread.join(30)
    assert answered < done["stuck"], "answered while the stalled one was still retrying"
    assert platforms.sent_to(stuck) == []
    assert "telegram: message not delivered after 3 attempts (timeout)" in log_text(rasa_server)


def test_a_resent_update_is_answered_once(rasa_server, platforms):
    chat = 5008
    telegram(rasa_server.url, chat, "bonjour", update_id=777001)
    telegram(rasa_server.url, chat, "bonjour", update_id=777001)
    assert len(platforms.sent_to(chat)) == 1


def test_the_chat_id_is_not_the_conversation_id(rasa_server, platforms):
    import sqlite3

    telegram(rasa_server.url, 987654321, "bonjour")
    db = rasa_server.tracker_url.removeprefix("sqlite:///")
    senders = {row[0] for row in sqlite3.connect(db).execute("SELECT sender_id FROM events")}
    assert not any("987654321" in s for s in senders)
    assert any(s.startswith("telegram-") for s in senders)
    assert fp.TELEGRAM_TOKEN not in log_text(rasa_server)


def test_a_flood_from_one_chat_is_cut_without_hurting_others(rasa_server, platforms):
    from bot.rasa_ext.guarded_rest import RATE_LIMITED

    flood, other = 5009, 5010
    for _ in range(24):  # limit: 20 messages a minute (test settings)
        telegram(rasa_server.url, flood, "bonjour")
    answers = [c.text for c in platforms.sent_to(flood)]
    assert answers.count(RATE_LIMITED) == 1  # told once, not at every extra message
    assert len(answers) <= 21
    telegram(rasa_server.url, other, "bonjour")
    assert len(platforms.sent_to(other)) == 1 and platforms.sent_to(other)[0].text != RATE_LIMITED
    assert "telegram: message dropped, too many in this conversation" in log_text(rasa_server)
