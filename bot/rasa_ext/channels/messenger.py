"""Facebook Messenger: signed webhooks (X-Hub-Signature-256), quick replies for buttons.

Webhook: GET /webhooks/facebook/webhook answers Meta's verification challenge when
`hub.verify_token` matches FACEBOOK_VERIFY_TOKEN; POST carries messages signed with
FACEBOOK_APP_SECRET. Answers go to the Send API with the page token (FACEBOOK_PAGE_TOKEN).
"""

from __future__ import annotations

import hashlib
import hmac
import json
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
    same_secret,
)
from bot.rasa_ext.channels.render import numbered_choices, short_title, split_text

TEXT_LIMIT = 2000
QUICK_REPLIES = 13  # Send API maximum
TITLE_LIMIT = 20  # quick reply title maximum
GRAPH_VERSION = "v19.0"


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Meta signs the raw body with the app secret: `sha256=<hex HMAC>`."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :], expected)


class MessengerOutput(PlatformOutput):
    channel = "facebook"

    def __init__(self, page_token: str, api_url: str, psid: str, timeout: float = 5.0) -> None:
        super().__init__(timeout)
        self.endpoint = f"{api_url.rstrip('/')}/{GRAPH_VERSION}/me/messages"
        self.page_token = page_token
        self.psid = psid

    async def _send(self, text: str, quick_replies: list[dict] | None = None) -> None:
        parts = split_text(text, TEXT_LIMIT) or [""]
        for i, part in enumerate(parts):
            message: dict[str, Any] = {"text": part}
            if quick_replies and i == len(parts) - 1:
                message["quick_replies"] = quick_replies
            await self.post(
                self.endpoint,
                params={"access_token": self.page_token},
                json={
                    "recipient": {"id": self.psid},
                    "messaging_type": "RESPONSE",
                    "message": message,
                },
            )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict], **kwargs: Any
    ) -> None:
        buttons = buttons[:QUICK_REPLIES]
        titles = [b.get("title", "") for b in buttons]
        if any(len(t) > TITLE_LIMIT for t in titles):
            # Titles would be cut mid-word: list them in the text, numbers as quick replies.
            text = numbered_choices(text, buttons)
            titles = [str(i) for i in range(1, len(buttons) + 1)]
        replies = [
            {
                "content_type": "text",
                "title": short_title(t, TITLE_LIMIT),
                "payload": b.get("payload") or t,
            }
            for t, b in zip(titles, buttons, strict=False)
        ]
        await self._send(text, replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(image)


class MessengerInput(PlatformInput):
    """Rasa input channel for a Facebook page (replaces rasa.core.channels.facebook)."""

    channel = "facebook"
    required = ("verify_token", "app_secret", "page_token")

    def routes(self, hook, on_new_message, settings):
        verify, secret = settings["verify_token"], settings["app_secret"]
        page_token = settings["page_token"]
        api_url = settings.get("api_url") or "https://graph.facebook.com"

        @hook.route("/webhook", methods=["GET"])
        async def verify_webhook(request: Request):
            if request.args.get("hub.mode") == "subscribe" and same_secret(
                request.args.get("hub.verify_token"), verify
            ):
                return response.text(request.args.get("hub.challenge", ""))
            return forbidden("facebook", "wrong verify token", request)

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request):
            if not signature_ok(request.body, request.headers.get("X-Hub-Signature-256"), secret):
                return forbidden("facebook", "bad signature", request)
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                return response.text("bad request", status=400)
            for entry in payload.get("entry") or []:
                for event in entry.get("messaging") or []:
                    await self._handle(request, event, page_token, api_url, on_new_message)
            return response.text("success")

    async def _handle(
        self, request, event: dict, page_token: str, api_url: str, on_new_message
    ) -> None:
        psid = (event.get("sender") or {}).get("id")
        message = event.get("message") or {}
        if not psid or message.get("is_echo"):
            return
        if message.get("mid") and not self.seen.first_time(message["mid"]):
            return
        sender = pseudonym("facebook", psid, self.pseudonym_key(page_token))
        quick = (message.get("quick_reply") or {}).get("payload")
        postback = (event.get("postback") or {}).get("payload")
        if quick or postback:
            text = quick or postback
        elif "text" in message or message.get("attachments"):
            text = await as_payload(request, sender, message.get("text") or "")
        else:
            return  # delivery and read receipts
        output = MessengerOutput(page_token, api_url, psid, self.timeout)
        await self.handle(
            on_new_message, UserMessage(text, output, sender, input_channel=self.name())
        )
