"""What the messaging channels share: settings from the environment, pseudonymous senders,
bounded input (bot/rasa_ext/channels/limits.py), bounded retries towards the platform, and reading
the buttons the person is answering.

Rasa creates each channel with `from_credentials`: that is where this process's
`bot.settings.Settings` is read from the environment, once per channel; everything below it
(the channel's own variables named in credentials.yml, the flood limit, the pseudonym key, the
platform timeout) is handed down from there, so tests build a `Settings` and call
`from_settings`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request

from bot import settings as app_settings
from bot.followup.addresses import REQUEST, ReplyAddresses
from bot.rasa_ext.channels.limits import (
    BUSY,
    RATE_LIMITED,
    TOO_LONG,
    Busy,
    LocalLimiter,
    is_heavy,
    parse_rate,
    too_long,
    turns,
)
from bot.rasa_ext.channels.render import choice_payload
from bot.settings import Settings

log = logging.getLogger("bot.channels")
# httpx logs every request URL at INFO: Telegram's holds the bot token, Meta's the page token.
logging.getLogger("httpx").setLevel(logging.WARNING)

ATTEMPTS = 3  # one call and two retries, then the failure is logged and given up
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt


def settings_from_env(
    channel: str, credentials: dict | None, required: Iterable[str], environ: Mapping[str, str]
) -> dict[str, str] | None:
    """Read each `<key>_env` entry of credentials.yml as the name of a variable of `environ`
    (the environment, as `Settings.environ` holds it).

    Returns the values, or None (channel off) when a required one is unset — with a log line
    saying which variable is missing, never its value.
    """
    values: dict[str, str] = {}
    for entry, variable in (credentials or {}).items():
        if entry.endswith("_env") and variable:
            values[entry[:-4]] = environ.get(str(variable), "").strip()
    missing = [k for k in required if not values.get(k)]
    if missing:
        names = ", ".join(str((credentials or {}).get(f"{k}_env", k)) for k in missing)
        log.info("channel %s off: %s not set", channel, names)
        return None
    return values


def pseudonym(channel: str, address: str, key: str) -> str:
    """The conversation id of a platform user: stable, but not their phone number or account id.

    Tracker rows and logs then hold no platform identifier; the address needed to answer stays
    in the output channel of the request being handled. `key` is BOUSSOLE_PSEUDONYM_KEY when
    set, else the platform's token (see `PlatformInput.pseudonym_key`).
    """
    digest = hmac.new(key.encode(), f"{channel}:{address}".encode(), hashlib.sha256)
    return f"{channel}-{digest.hexdigest()[:24]}"


def same_secret(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def forbidden(channel: str, reason: str, request: Request):
    log.warning("channel %s: request refused (%s) from %s", channel, reason, request.ip)
    return response.text("forbidden", status=403)


class FloodGuard(LocalLimiter):
    """At most `limit` messages per `window` seconds per conversation, counted in this process.

    Beyond that the messages are dropped (the platforms would deliver them all, one after the
    other, holding the conversation's lock) and the person is told once per window. Other
    conversations are untouched. With several replicas each counts its own share.
    """

    def __init__(self, limit: int, window: float, size: int = 20000):
        super().__init__(limit, window, size)

    @classmethod
    def from_settings(cls, config: Settings) -> FloodGuard:
        return cls(*parse_rate(config.rate_limit, "BOUSSOLE_RATE_LIMIT"))

    def check(self, sender: str) -> int:
        """The message's rank beyond the limit in this window: 0 when it may go on.

        A conversation's window opens with its first message (not on the clock's minute), so
        a burst is never split in two windows.
        """
        return max(0, self.hit(sender)[0] - self.limit)


class PlatformInput(InputChannel):
    """A messaging platform's webhook: on when its settings are in the environment, else off.

    Subclasses name their `channel`, the `required` settings, and add their routes in `routes`.
    """

    channel = "platform"
    required: tuple[str, ...] = ()

    @classmethod
    def name(cls) -> str:
        return cls.channel

    @classmethod
    def from_credentials(cls, credentials: dict | None) -> InputChannel:
        """Rasa's way in: the settings of this process are the environment's."""
        return cls.from_settings(credentials, Settings.from_env())

    @classmethod
    def from_settings(cls, credentials: dict | None, config: Settings) -> InputChannel:
        return cls(
            settings_from_env(cls.channel, credentials, cls.required, config.environ), config
        )

    def __init__(self, settings: dict[str, str] | None, config: Settings | None = None) -> None:
        """`settings`: the channel's own (None: off); `config`: the process's."""
        config = config or Settings()
        self.settings = settings
        self.seen = SeenIds()
        self.flood = FloodGuard.from_settings(config)
        self.timeout = config.channel_timeout
        self._pseudonym_key = config.pseudonym_key
        self.addresses = ReplyAddresses(config)

    def pseudonym_key(self, token: str) -> str:
        """The key of this channel's pseudonyms: BOUSSOLE_PSEUDONYM_KEY, else the platform's
        token."""
        return self._pseudonym_key or token

    async def handle(self, on_new_message, message: UserMessage) -> None:
        """Pass a message to Rasa, unless its conversation floods, it is too long or no place
        frees up in time (then the person is told); never raise to the platform."""
        beyond = self.flood.check(message.sender_id)
        if beyond:
            log.warning("channel %s: message dropped, too many in this conversation", self.channel)
            if beyond == 1:
                await message.output_channel.send_text_message(message.sender_id, RATE_LIMITED)
            return
        if too_long(message.text):
            log.info(
                "channel %s: message refused, too long",
                self.channel,
                extra={
                    "event": "message_too_long",
                    "count": len(message.text),
                    "channel": self.channel,
                },
            )
            await message.output_channel.send_text_message(message.sender_id, TOO_LONG)
            return
        try:
            async with turns().turn(message.sender_id, heavy=is_heavy(message.text)):
                await on_new_message(message)
        except Busy:
            log.warning(
                "channel %s: message refused, no place within the wait",
                self.channel,
                extra={"event": "turn_refused", "reason": "busy"},
            )
            await message.output_channel.send_text_message(message.sender_id, BUSY)
        except Exception:  # noqa: BLE001 - the platform would resend it forever
            log.exception("channel %s: message not handled", self.channel)

    def blueprint(self, on_new_message):
        on = bool(self.settings)
        hook = Blueprint(
            f"{self.channel}_webhook" if on else f"{self.channel}_webhook_off", __name__
        )

        @hook.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok" if on else "off"})

        @hook.middleware("request")
        async def bounded_body(request: Request):
            """No platform sends kilobytes of webhook: refuse before verifying or parsing."""
            declared = request.headers.get("content-length") or "0"
            size = max(len(request.body or b""), int(declared) if declared.isdigit() else 0)
            if size > app_settings.MAX_INPUT_BYTES:
                log.warning(
                    "channel %s: webhook body too large, refused",
                    self.channel,
                    extra={"event": "turn_refused", "reason": "body_too_large", "status": 413},
                )
                return response.text("payload too large", status=413)
            return None

        if on:
            self.routes(hook, on_new_message, self.settings)
        else:

            @hook.route("/webhook", methods=["GET", "POST"])
            async def webhook(_: Request):
                return response.text(f"{self.channel}: canal désactivé", status=404)

        return hook

    def routes(self, hook: Blueprint, on_new_message, settings: dict[str, str]) -> None:
        raise NotImplementedError


class SeenIds:
    """Platforms resend a webhook they think was lost; the same id is handled once per process."""

    def __init__(self, size: int = 5000):
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: Any) -> bool:
        key = str(key)
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


async def pending_buttons(request: Request, sender_id: str) -> list[dict]:
    """The buttons of the assistant's last messages, if the person has not answered since."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return []
    try:
        tracker = await agent.tracker_store.retrieve(sender_id)
    except Exception:  # noqa: BLE001 - a reply still goes through as plain text
        log.warning("buttons of the last message unavailable", exc_info=True)
        return []
    if tracker is None:
        return []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return event.data["buttons"]
    return []


async def as_payload(request: Request, sender_id: str, text: str) -> str:
    """A number or a button title typed as an answer becomes that button's payload.

    Anything else is the person's own words: a leading "/" is dropped so that nobody can type
    an intent payload (Rasa reads "/intent" as an intent, not as text).
    """
    if text and len(text) <= 60:
        buttons = await pending_buttons(request, sender_id)
        payload = choice_payload(text, buttons)
        if payload:
            return payload
    return (text or "").lstrip("/ ")


class PlatformOutput(OutputChannel):
    """Sends through a platform's HTTP API with a fresh client per conversation turn.

    A new `httpx.AsyncClient` per turn is the fix for Rasa's Telegram defect (one session bound
    to the event loop that created it: "Event loop is closed"). Failures are retried
    `ATTEMPTS` times on 5xx, 429 and timeouts, then logged; other conversations are never waiting
    on them because each webhook request runs in its own task.
    """

    channel = "platform"
    reply_address: str | None = None  # where a follow-up can reach this person (subclasses)
    addresses: ReplyAddresses | None = None  # given by the input channel

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout  # seconds per call (BOUSSOLE_CHANNEL_TIMEOUT)
        self.sent = 0
        self.failed = 0

    @classmethod
    def name(cls) -> str:
        return cls.channel

    async def post(self, url: str, **kwargs: Any) -> httpx.Response | None:
        delay = BACKOFF_SECONDS
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for attempt in range(1, ATTEMPTS + 1):
                problem = ""
                try:
                    result = await client.post(url, **kwargs)
                    if result.status_code < 300:
                        self.sent += 1
                        return result
                    problem = f"HTTP {result.status_code}"
                    if result.status_code < 500 and result.status_code != 429:
                        break
                except httpx.TimeoutException:
                    problem = "timeout"
                except httpx.HTTPError as error:
                    problem = type(error).__name__
                log.warning(
                    "channel %s: send attempt %d/%d failed (%s)",
                    self.channel,
                    attempt,
                    ATTEMPTS,
                    problem,
                )
                if attempt < ATTEMPTS:
                    await asyncio.sleep(delay)
                    delay *= 2
        self.failed += 1
        log.error(
            "channel %s: message not delivered after %d attempts (%s)",
            self.channel,
            ATTEMPTS,
            problem,
        )
        return None

    async def send_custom_json(self, recipient_id: str, json_message: dict, **kwargs) -> None:
        """The widget's offer card data: on a phone the text already says it, with a link.

        The one custom message acted on: a confirmed lead asking to keep this person's address
        for its follow-up (bot/followup/addresses.py); nothing is sent to the person."""
        reference = json_message.get(REQUEST) if isinstance(json_message, dict) else None
        if reference and self.reply_address and self.addresses is not None:
            try:
                await asyncio.to_thread(
                    self.addresses.record, str(reference), recipient_id, self.reply_address
                )
            except Exception:  # noqa: BLE001 - the conversation goes on; only e-mail is left
                log.warning("channel %s: reply address not kept", self.channel, exc_info=True)
        return None
