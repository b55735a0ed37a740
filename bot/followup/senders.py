"""Sending one follow-up message: e-mail through the SMTP settings (as bot/workspace/notify.py),
Telegram and Twilio (SMS, WhatsApp) through the channels' own client code, credentials and API
base URLs (bot/rasa_ext/channels/, the variables named in credentials.yml).

A failure raises `SendError`: the run keeps the message pending and tries again next time.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import yaml

from bot import settings as layout
from bot.settings import Settings

TELEGRAM = "bot.rasa_ext.channels.telegram.TelegramInput"
TWILIO = "bot.rasa_ext.channels.twilio.TwilioInput"
# The numbers messages leave from: a Twilio number able to send SMS, and the WhatsApp sender
# ("whatsapp:+33…"). Replies in a conversation leave from the number written to; a follow-up
# starts the exchange, so it needs its own.
SMS_FROM = "TWILIO_SMS_FROM"
WHATSAPP_FROM = "TWILIO_WHATSAPP_FROM"


class SendError(RuntimeError):
    pass


def _credentials() -> dict:
    try:
        return yaml.safe_load((layout.ROOT / "credentials.yml").read_text("utf-8")) or {}
    except OSError:
        return {}


class Senders:
    """The channels this process can write on, from its settings."""

    def __init__(self, settings: Settings, credentials: dict | None = None):
        credentials = _credentials() if credentials is None else credentials
        env = settings.environ
        self.smtp = settings.smtp
        self.timeout = settings.channel_timeout
        self.telegram = self._channel(TELEGRAM, credentials, env)
        self.twilio = self._channel(TWILIO, credentials, env)
        self.sms_from = env.get(SMS_FROM, "").strip()
        self.whatsapp_from = env.get(WHATSAPP_FROM, "").strip()

    @staticmethod
    def _channel(path: str, credentials: dict, env) -> dict[str, str] | None:
        """The channel's settings, read by the channel's own code; Rasa (slow to import) is
        imported only when the environment sets one of the channel's variables."""
        section = credentials.get(path) or {}
        if not any(env.get(str(v), "").strip() for k, v in section.items() if k.endswith("_env")):
            return None
        import importlib

        from bot.rasa_ext.channels.base import settings_from_env

        module, name = path.rsplit(".", 1)
        channel = getattr(importlib.import_module(module), name)
        return settings_from_env(channel.channel, section, channel.required, env)

    @property
    def available(self) -> set[str]:
        channels = set()
        if self.smtp is not None:
            channels.add("email")
        if self.telegram:
            channels.add("telegram")
        if self.twilio and self.sms_from:
            channels.add("sms")
        if self.twilio and self.whatsapp_from:
            channels.add("whatsapp")
        return channels

    def send(self, channel: str, recipient: str, subject: str, body: str) -> None:
        if channel not in self.available:
            raise SendError(f"canal {channel} non configuré")
        if channel == "email":
            self.email([recipient], subject, body)
        elif channel == "telegram":
            from bot.rasa_ext.channels.telegram import TelegramOutput

            output = TelegramOutput(
                self.telegram["access_token"],
                self.telegram.get("api_url") or "https://api.telegram.org",
                recipient,
                self.timeout,
            )
            self._platform(output, recipient, body)
        else:
            from bot.rasa_ext.channels.twilio import TwilioOutput

            sender = self.sms_from if channel == "sms" else self.whatsapp_from
            output = TwilioOutput(
                self.twilio["account_sid"],
                self.twilio["auth_token"],
                self.twilio.get("api_url") or "https://api.twilio.com",
                sender,
                recipient,
                self.timeout,
            )
            self._platform(output, recipient, body)

    @staticmethod
    def _platform(output, recipient: str, body: str) -> None:
        asyncio.run(output.send_text_message(recipient, body))
        if output.failed or not output.sent:
            raise SendError(f"{output.channel} : message non remis")

    def email(self, to: list[str], subject: str, body: str) -> None:
        smtp = self.smtp
        if smtp is None:
            raise SendError("aucun serveur de courriel configuré")
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = smtp.sender
        message["To"] = ", ".join(to)
        message.set_content(body)
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
                if smtp.starttls:
                    client.starttls()
                if smtp.user:
                    client.login(smtp.user, smtp.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise SendError(f"courriel : {type(error).__name__}: {error}"[:300]) from None
