"""What the platforms send to our webhooks, signed the way each platform signs."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json

import fake_platforms as fp
import httpx
from twilio.request_validator import RequestValidator

_ids = itertools.count(1000)
YOUTH_OFFERS = {"cjs", "reve-et-realise", "beelys"}


def telegram(
    url: str,
    chat_id: int,
    text: str,
    *,
    update_id: int | None = None,
    secret: str = fp.TELEGRAM_SECRET,
    header: str | None = fp.TELEGRAM_SECRET,
    timeout: float = 60,
) -> httpx.Response:
    update = {
        "update_id": update_id or next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": 1764000000,
            "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Léa", "language_code": "fr"},
            "chat": {"id": chat_id, "type": "private", "first_name": "Léa"},
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header else {}
    return httpx.post(
        f"{url}/webhooks/telegram/webhook/{secret}", json=update, headers=headers, timeout=timeout
    )


def messenger(
    url: str,
    psid: str,
    text: str | None = None,
    *,
    quick_reply: str | None = None,
    app_secret: str = fp.FACEBOOK_SECRET,
) -> httpx.Response:
    message: dict = {"mid": f"m_{next(_ids)}"}
    if text is not None:
        message["text"] = text
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "page",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "recipient": {"id": "page"},
                            "timestamp": 1,
                            "message": message,
                        }
                    ],
                }
            ],
        }
    ).encode()
    signature = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{url}/webhooks/facebook/webhook",
        content=body,
        timeout=60,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


def twilio(
    url: str, sender: str, body: str, *, to: str = fp.TWILIO_NUMBER, token: str = fp.TWILIO_TOKEN
) -> httpx.Response:
    """An incoming SMS (or WhatsApp message when `sender` starts with whatsapp:), signed with
    Twilio's own validator library — not with the code under test."""
    webhook = f"{url}/webhooks/twilio/webhook"
    params = {
        "AccountSid": fp.TWILIO_SID,
        "MessageSid": f"SM{next(_ids):032d}",
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(token).compute_signature(webhook, params)
    return httpx.post(webhook, data=params, headers={"X-Twilio-Signature": signature}, timeout=60)


def offer_in(text: str) -> str | None:
    """The offer id of the link an offer message carries, if any."""
    marker = "https://ess.example.org/offres/"
    if marker not in text:
        return None
    return text.split(marker, 1)[1].split()[0].rstrip(".")


def log_text(server) -> str:
    """What the Rasa and action servers have logged so far."""
    return "".join(path.read_text(errors="replace") for path in server.logs)
