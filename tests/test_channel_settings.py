"""Messaging channels without a server: what they render, and that they stay off unconfigured."""

import asyncio
import logging

import pytest

from bot.rasa_ext.channels.messenger import MessengerInput, signature_ok
from bot.rasa_ext.channels.render import choice_payload, numbered_choices, split_text
from bot.rasa_ext.channels.telegram import TelegramInput
from bot.rasa_ext.channels.twilio import TwilioInput, twilio_signature
from bot.settings import Settings

BUTTONS = [
    {"title": "Être rappelé·e", "payload": "/request_callback"},
    {"title": "Ce n'est pas ça", "payload": "/not_this"},
    {"title": "Recommencer", "payload": "/restart"},
]
CREDENTIALS = {"access_token_env": "TEST_TG_TOKEN", "webhook_secret_env": "TEST_TG_SECRET"}


@pytest.mark.parametrize(
    "reply, payload",
    [
        ("1", "/request_callback"),
        (" 2. ", "/not_this"),
        ("trois", "/restart"),
        ("etre rappelee", None),
        ("Être rappelé·e", "/request_callback"),
        ("ce n’est pas ça !", "/not_this"),
        ("4", None),
        ("0", None),
        ("je voudrais créer une asso", None),
    ],
)
def test_a_reply_designates_a_button_by_number_or_title(reply, payload):
    assert choice_payload(reply, BUTTONS) == payload


def test_numbered_choices_list_every_button_under_the_text():
    text = numbered_choices("On fait quoi ?", BUTTONS)
    assert text.splitlines()[:5] == [
        "On fait quoi ?",
        "",
        "1. Être rappelé·e",
        "2. Ce n'est pas ça",
        "3. Recommencer",
    ]


def test_long_texts_are_cut_at_paragraphs_and_lose_nothing():
    paragraphs = [f"Paragraphe {i} : " + "mot " * 60 for i in range(8)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 700)
    assert all(len(p) <= 700 for p in parts) and len(parts) > 1
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert all(p.startswith("Paragraphe") for p in parts)
    assert split_text("x" * 2500, 1000) == ["x" * 1000, "x" * 1000, "x" * 500]


def test_a_channel_without_its_variables_is_off_and_says_which(caplog):
    environment = Settings.from_env({"TEST_TG_SECRET": "abc"})
    with caplog.at_level(logging.INFO, logger="bot.channels"):
        channel = TelegramInput.from_settings(CREDENTIALS, environment)
    assert channel.settings is None
    assert "channel telegram off: TEST_TG_TOKEN not set" in caplog.text
    assert "abc" not in caplog.text
    webhook = next(r for r in channel.blueprint(None)._future_routes if r.uri == "/webhook")
    answer = asyncio.run(webhook.handler(None))
    assert answer.status == 404 and "désactivé" in answer.body.decode()


def test_a_channel_with_its_variables_is_on():
    environment = Settings.from_env(
        {
            "TEST_TG_TOKEN": "123:abc",
            "TEST_TG_SECRET": "s3cret",
            "BOUSSOLE_CHANNEL_TIMEOUT": "2",
            "BOUSSOLE_RATE_LIMIT": "7/30",
        }
    )
    channel = TelegramInput.from_settings(CREDENTIALS, environment)
    assert channel.settings == {"access_token": "123:abc", "webhook_secret": "s3cret"}
    assert channel.timeout == 2.0 and (channel.flood.limit, channel.flood.window) == (7, 30.0)
    # Rasa's way in (from_credentials) reads the process's environment: nothing there.
    assert MessengerInput.from_credentials({}).settings is None
    assert TwilioInput.from_credentials(None).settings is None


def test_pseudonyms_use_the_configured_key_else_the_platform_token():
    from bot.rasa_ext.channels.base import pseudonym

    keyed = TelegramInput.from_settings(CREDENTIALS, Settings(pseudonym_key="k"))
    plain = TelegramInput.from_settings(CREDENTIALS, Settings())
    assert keyed.pseudonym_key("token") == "k" and plain.pseudonym_key("token") == "token"
    assert pseudonym("telegram", "42", "k") == pseudonym("telegram", "42", "k")
    assert pseudonym("telegram", "42", "k") != pseudonym("telegram", "42", "token")


def test_the_guarded_rest_channel_takes_its_limits_from_the_settings():
    from bot.rasa_ext.guarded_rest import GuardedRestInput

    config = Settings(rate_limit="9/10", address_rate_limit="3/60")
    rest = GuardedRestInput.from_settings({}, config)
    assert (rest.limit, rest.window) == (9, 10.0)
    assert (rest.address_limiter.limit, rest.address_limiter.window) == (3, 60.0)
    written = GuardedRestInput.from_settings({"limit": 5, "window": 30}, config)
    assert (written.limit, written.window) == (5, 30.0)  # python -m bot deploy's wins


def test_signatures_match_the_platforms_own_computation():
    from twilio.request_validator import RequestValidator

    params = {"From": "+33612345678", "Body": "Bonjour é", "To": "+33700000000"}
    url = "https://ess.example.org/webhooks/twilio/webhook"
    assert twilio_signature("tok", url, params) == RequestValidator("tok").compute_signature(
        url, params
    )
    body = b'{"object":"page"}'
    good = "sha256=4a1f8e4c3b2e1d0f"  # wrong on purpose
    assert not signature_ok(body, good, "secret")
    assert not signature_ok(body, None, "secret")


def test_the_flood_guard_counts_each_conversation_on_its_own(monkeypatch):
    import time

    from bot.rasa_ext.channels.base import FloodGuard

    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    guard = FloodGuard(limit=3, window=60)
    assert [guard.check("a") for _ in range(5)] == [0, 0, 0, 1, 2]
    assert guard.check("b") == 0
    clock[0] += 59
    assert guard.check("a") == 3
    clock[0] += 2  # 61 s after a's first message
    assert guard.check("a") == 0
