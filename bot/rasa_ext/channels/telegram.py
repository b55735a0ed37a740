"""Telegram: webhook on a secret path, answers with reply keyboards through the Bot API.

Webhook: POST /webhooks/telegram/webhook/<TELEGRAM_WEBHOOK_SECRET>, registered with
`setWebhook(url=..., secret_token=<same secret>)` so Telegram also sends the
`X-Telegram-Bot-Api-Secret-Token` header; a wrong path or header gets 403 and a log line.
"""

from __future__ import annotations

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
from bot.rasa_ext.channels.render import split_text

TEXT_LIMIT = 4096
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramOutput(PlatformOutput):
    channel = "telegram"

    def __init__(self, token: str, api_url: str, chat_id: int | str, timeout: float = 5.0) -> None:
        super().__init__(timeout)
        self.endpoint = f"{api_url.rstrip('/')}/bot{token}/sendMessage"
        self.chat_id = chat_id
        self.reply_address = f"telegram:{chat_id}"

    async def _send(self, text: str, reply_markup: dict | None = None) -> None:
        parts = split_text(text, TEXT_LIMIT) or [""]
        for i, part in enumerate(parts):
            body: dict[str, Any] = {
                "chat_id": self.chat_id,
                "text": part,
                "disable_web_page_preview": True,
            }
            if reply_markup and i == len(parts) - 1:
                body["reply_markup"] = reply_markup
            await self.post(self.endpoint, json=body)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict], **kwargs: Any
    ) -> None:
        keyboard = [[{"text": b.get("title", "")}] for b in buttons]
        await self._send(
            text, {"keyboard": keyboard, "one_time_keyboard": True, "resize_keyboard": True}
        )

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(image)


class TelegramInput(PlatformInput):
    """Rasa input channel for Telegram bots (replaces rasa.core.channels.telegram)."""

    channel = "telegram"
    required = ("access_token", "webhook_secret")

    def routes(self, hook, on_new_message, settings):
        token, secret = settings["access_token"], settings["webhook_secret"]
        api_url = settings.get("api_url") or "https://api.telegram.org"

        @hook.route("/webhook", methods=["GET", "POST"])
        async def no_secret(request: Request):
            return forbidden("telegram", "webhook path without secret", request)

        @hook.route("/webhook/<path_secret>", methods=["POST"])
        async def webhook(request: Request, path_secret: str):
            if not same_secret(path_secret, secret):
                return forbidden("telegram", "unknown webhook secret", request)
            header = request.headers.get(SECRET_HEADER)
            if header is not None and not same_secret(header, secret):
                return forbidden("telegram", "wrong secret token header", request)
            update = request.json if isinstance(request.json, dict) else {}
            message = update.get("message") or {}
            chat = message.get("chat") or {}
            if "update_id" not in update or not chat.get("id"):
                # Edited messages, channel posts, joins…: acknowledged, nothing to answer.
                return response.text("ok")
            if not self.seen.first_time(update["update_id"]):
                return response.text("ok")
            sender = pseudonym("telegram", str(chat["id"]), self.pseudonym_key(token))
            text = message.get("text") or ""
            if text.startswith("/start"):
                text = "bonjour"
            text = await as_payload(request, sender, text)
            output = TelegramOutput(token, api_url, chat["id"], self.timeout)
            output.addresses = self.addresses
            language = (message.get("from") or {}).get("language_code")
            await self.handle(
                on_new_message,
                UserMessage(
                    text, output, sender, input_channel=self.name(), metadata={"language": language}
                ),
            )
            return response.text("ok")
