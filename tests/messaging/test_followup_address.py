"""A call-back confirmed on Telegram: the channel keeps the chat on the lead for the follow-up
(and only there: not in the conversation store), through the real Rasa and action servers."""

import fake_platforms as fp
import pytest
from sqlalchemy import create_engine, text

from .webhooks import telegram

pytestmark = [pytest.mark.server, pytest.mark.model]


def _rows(url, query):
    engine = create_engine(url, future=True)
    with engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(text(query))]
    engine.dispose()
    return rows


def test_a_lead_confirmed_on_telegram_keeps_where_to_write_back(rasa_server, platforms):
    chat = 5090
    for message in (
        "je veux parler à un conseiller",
        "Paul Durand",
        "paul.durand@example.org",
        "oui",
    ):
        telegram(rasa_server.url, chat, message)
    telegram(rasa_server.url, chat, "C'est correct, envoyer")
    said = platforms.sent_to(chat)[-3:]
    reference = next(
        w for c in said for w in c.text.replace(".", " ").split() if w.startswith("ESS-")
    )
    [lead] = [
        row
        for row in _rows(rasa_server.database_url, "SELECT * FROM leads")
        if row["reference"] == reference
    ]
    assert lead["channel"] == "telegram" and lead["reply_address"] == f"telegram:{chat}"
    assert str(chat) not in lead["conversation_id"]
    # The conversation store holds the reference asked about, never the chat id.
    tracker = str(_rows(f"sqlite:///{rasa_server.tracker_db}", "SELECT * FROM events"))
    assert reference in tracker and f"telegram:{chat}" not in tracker
    assert fp.TELEGRAM_TOKEN not in tracker
