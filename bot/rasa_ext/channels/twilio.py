"""Twilio SMS and WhatsApp: signature-checked webhooks, numbered choices, REST API answers.

Webhook: POST /webhooks/twilio/webhook, form-encoded, signed by Twilio in `X-Twilio-Signature`
(HMAC-SHA1 of the public URL and the sorted parameters with the auth token). The URL Twilio
calls must be given in TWILIO_WEBHOOK_URL when a proxy sits in front (it is part of what is
signed). WhatsApp messages arrive with `whatsapp:` addresses and are answered the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import response
from sanic.request import Request

from bot.rasa_ext.channels.base import (
    PlatformInput,
    PlatformOutput,
    as_payload,
    forbidden,
    pseudonym,
)
from bot.rasa_ext.channels.render import numbered_choices, split_text

TEXT_LIMIT = 1600  # Twilio's maximum body for SMS and WhatsApp
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's request signature (the same computation as twilio.request_validator)."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioOutput(PlatformOutput):
    channel = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_url: str,
        sender: str,
        recipient: str,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(timeout)
        self.endpoint = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = (account_sid, auth_token)
        self.sender, self.recipient = sender, recipient
        self.reply_address = recipient if recipient.startswith("whatsapp:") else f"sms:{recipient}"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, TEXT_LIMIT):
            await self.post(
                self.endpoint,
                auth=self.auth,
                data={"From": self.sender, "To": self.recipient, "Body": part},
            )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, numbered_choices(text, buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)


class TwilioInput(PlatformInput):
    """Rasa input channel for Twilio numbers (replaces rasa.core.channels.twilio)."""

    channel = "twilio"
    required = ("account_sid", "auth_token")

    def routes(self, hook, on_new_message, settings):
        sid, token = settings["account_sid"], settings["auth_token"]
        api_url = settings.get("api_url") or "https://api.twilio.com"
        public_url = settings.get("webhook_url")

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request):
            params = {k: v[0] for k, v in request.form.items()}
            signed_url = public_url or request.url
            expected = twilio_signature(token, signed_url, params)
            given = request.headers.get("X-Twilio-Signature") or ""
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return forbidden("twilio", "bad signature", request)
            address, our_number = params.get("From"), params.get("To")
            if not address or not our_number or params.get("AccountSid", sid) != sid:
                return response.text("bad request", status=400)
            if params.get("MessageSid") and not self.seen.first_time(params["MessageSid"]):
                return response.text(EMPTY_TWIML, content_type="text/xml")
            sender = pseudonym("twilio", address, self.pseudonym_key(token))
            text = await as_payload(request, sender, params.get("Body") or "")
            output = TwilioOutput(sid, token, api_url, our_number, address, self.timeout)
            output.addresses = self.addresses
            await self.handle(
                on_new_message,
                UserMessage(
                    text,
                    output,
                    sender,
                    input_channel=self.name(),
                    metadata={"whatsapp": address.startswith("whatsapp:")},
                ),
            )
            return response.text(EMPTY_TWIML, content_type="text/xml")
