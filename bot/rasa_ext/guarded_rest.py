"""Rasa's REST channel with guards: same URL and answers, in local runs and in production.

`credentials.yml` names this class (`name()` is "rest"), so the widget and REST clients keep
posting to `/webhooks/rest/webhook` `{"sender", "message"}`; `python -m bot deploy` passes it
the production rate limit.

- **Malformed requests**: a body over `settings.MAX_INPUT_BYTES` gets 413 before any parsing;
  invalid JSON, anything but an object, a missing, empty, non-string or over-long `sender`, a
  non-string `message` get 400 with a French error (Rasa's channel answered 500, or put every
  sender-less request in one shared "default" conversation).
- **Over-long messages** (more than `settings.MAX_INPUT_CHARS` characters) get the polite
  `TOO_LONG` answer (200, like an answer of the assistant) and go no further: not parsed, not
  stored in the conversation, not logged.
- **Floods**: at most `limit` messages per `window` seconds per conversation, and
  BOUSSOLE_ADDRESS_RATE_LIMIT per client address (so that a new sender id per message does
  not escape it; X-Forwarded-For is read from trusted proxies only, see `AddressOf`). Counted
  in Redis when `REDIS_URL` is set (shared by all replicas), else in this process. Beyond that
  the turn is refused with HTTP 429, a polite message and `Retry-After`, before it reaches the
  conversation lock. Other conversations are not affected.
- **Overload**: a turn waits at most `settings.TURN_WAIT_SECONDS` for one of the process's
  places (`bot.rasa_ext.channels.limits.TurnGate`), then gets 503 `BUSY` with `Retry-After`.
- **Clear refusals**: when the lock store (Redis) or the tracker store (PostgreSQL, through
  `bot.rasa_ext.trackers.StrictSQLTrackerStore`) cannot be reached, Rasa's own channel answers 200
  with an empty list and logs the person's message; this one answers 503 with a message saying the
  conversation is kept and to try again, and logs only the error's type. A turn refused before
  its lock was taken changes nothing in the tracker.
- **No personal data in logs**: the message text is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.rasa_ext.channels.limits import (
    BUSY,
    RATE_LIMITED,
    TOO_LONG,
    AddressOf,
    Busy,
    LocalLimiter,
    RedisLimiter,
    french_number,
    is_heavy,
    parse_rate,
    too_long,
    turns,
)
from bot.rasa_ext.trackers import TrackerStoreUnavailable
from bot.settings import Settings

log = logging.getLogger("boussole.rest")

UNAVAILABLE = (
    "L'assistant est momentanément indisponible. Votre conversation est conservée : "
    "réessayez dans un instant."
)
FAILED = (
    "Désolé, je n'ai pas pu traiter ce message. Votre conversation est conservée : "
    "réessayez dans un instant."
)
BAD_BODY = (
    "Requête invalide : un objet JSON est attendu, "
    '{"sender": "identifiant de la conversation", "message": "texte"}.'
)
BAD_SENDER = (
    f"« sender » est obligatoire : l'identifiant de la conversation, un texte de 1 à "
    f"{settings.MAX_SENDER_CHARS} caractères."
)
BAD_MESSAGE = "« message » doit être un texte."
TOO_BIG = (
    f"Requête trop volumineuse ({french_number(settings.MAX_INPUT_BYTES)} octets au "
    f"plus) : un message compte {french_number(settings.MAX_INPUT_CHARS)} caractères "
    "au plus."
)

RateLimiter = RedisLimiter  # the name this class had before the other limits


def _refusal(sender: str | None, text: str, status: int, retry_after: float) -> HTTPResponse:
    return response.json(
        [{"recipient_id": sender, "text": text}],
        status=status,
        headers={"Retry-After": str(int(round(retry_after)))},
    )


def _bad_request(error: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": error}, status=status)


def read_body(request: Request) -> tuple[dict | None, HTTPResponse | None]:
    """The JSON object of a REST turn, or the 400/413 answer to send instead."""
    declared = request.headers.get("content-length", "")
    if (declared.isdigit() and int(declared) > settings.MAX_INPUT_BYTES) or len(
        request.body or b""
    ) > settings.MAX_INPUT_BYTES:
        return None, _bad_request(TOO_BIG, 413)
    try:
        body = json.loads(request.body or b"")
    except ValueError:  # empty, not JSON, not UTF-8
        return None, _bad_request(BAD_BODY)
    if not isinstance(body, dict):
        return None, _bad_request(BAD_BODY)
    sender, text = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > settings.MAX_SENDER_CHARS:
        return None, _bad_request(BAD_SENDER)
    if not isinstance(text, str):
        return None, _bad_request(BAD_MESSAGE)
    return body, None


def _is_unavailable(exc: BaseException) -> bool:
    """Errors that mean a store is unreachable (Redis lock store, SQL tracker store)."""
    from rasa.core.lock_store import LockError
    from rasa.shared.exceptions import ConnectionException

    names = {cls.__module__.split(".")[0] + "." + cls.__name__ for cls in type(exc).__mro__}
    return (
        isinstance(exc, (LockError, ConnectionException, ConnectionError, OSError))
        or "redis.RedisError" in names
        or "sqlalchemy.OperationalError" in names
        or "sqlalchemy.DBAPIError" in names
        or "sqlalchemy.InterfaceError" in names
    )


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(
        self,
        limit: int = 20,
        window: float = 60.0,
        redis_url: str | None = None,
        address_limit: tuple[int, float] | None = None,
        trusted_proxies: str | None = None,
    ):
        self.limit, self.window = limit, window
        address_limit = address_limit or parse_rate(
            settings.ADDRESS_RATE_LIMIT, "BOUSSOLE_ADDRESS_RATE_LIMIT"
        )
        if redis_url:
            self.limiter = RedisLimiter(redis_url, limit, window)
            self.address_limiter = RedisLimiter(redis_url, *address_limit, kind="addr")
        else:  # local runs: no Redis, counted in this process
            self.limiter = LocalLimiter(limit, window)
            self.address_limiter = LocalLimiter(*address_limit)
        self.address_of = AddressOf.from_setting(
            settings.TRUSTED_PROXIES if trusted_proxies is None else trusted_proxies
        )

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        """Rasa's way in: this process's settings are read from the environment here, once."""
        return cls.from_settings(credentials, Settings.from_env())

    @classmethod
    def from_settings(
        cls, credentials: dict[str, Any] | None, config: Settings
    ) -> GuardedRestInput:
        """credentials.yml's `limit`, `window` and `redis_url` (written by `python -m bot
        deploy`) win over BOUSSOLE_RATE_LIMIT; REDIS_URL wins over `redis_url`."""
        credentials = credentials or {}
        from bot.ops.logs import take_over_rasa_logging

        if config.json_logs:
            take_over_rasa_logging(config.service)
        limit, window = parse_rate(config.rate_limit, "BOUSSOLE_RATE_LIMIT")
        return cls(
            limit=int(credentials.get("limit", limit)),
            window=float(credentials.get("window", window)),
            redis_url=config.redis_url or credentials.get("redis_url"),
            address_limit=parse_rate(config.address_rate_limit, "BOUSSOLE_ADDRESS_RATE_LIMIT"),
            trusted_proxies=config.trusted_proxies,
        )

    def _limited(self, request: Request, sender: str) -> HTTPResponse | None:
        """The 429 (or 503, Redis unreachable) refusal of a flood, else None."""
        address = self.address_of(request.ip or "", request.headers.get("x-forwarded-for"))
        try:
            wait = self.limiter.check(sender)
            by_address = 0.0 if address is None else self.address_limiter.check(address)
        except Exception as exc:  # noqa: BLE001 - Redis down: refuse, touch nothing
            log.error(
                "turn refused: rate limiter unreachable",
                extra={"event": "turn_refused", "reason": type(exc).__name__, "status": 503},
            )
            return _refusal(sender, UNAVAILABLE, 503, 5)
        if wait or by_address:
            reason = "conversation" if wait else "address"
            log.warning(
                "turn refused: too many messages from this %s",
                reason,
                extra={
                    "event": "rate_limited",
                    "reason": reason,
                    "status": 429,
                    "retry_after": round(max(wait, by_address), 1),
                },
            )
            return _refusal(sender, RATE_LIMITED, 429, max(wait, by_address))
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body, refused = read_body(request)
            if refused is not None:
                log.debug(
                    "request refused: malformed",
                    extra={"event": "bad_request", "status": refused.status},
                )
                return refused
            sender, text = body["sender"], body["message"]
            refused = self._limited(request, sender)
            if refused is not None:
                return refused
            if too_long(text):
                log.info(
                    "message refused: too long",
                    extra={"event": "message_too_long", "count": len(text), "channel": "rest"},
                )
                return response.json([{"recipient_id": sender, "text": TOO_LONG}])
            metadata = body.get("metadata")
            started = time.perf_counter()
            collector = CollectingOutputChannel()
            try:
                async with turns().turn(sender, heavy=is_heavy(text)):
                    await on_new_message(
                        UserMessage(
                            text,
                            collector,
                            sender,
                            input_channel=self.name(),
                            metadata=metadata if isinstance(metadata, dict) else None,
                        )
                    )
            except Busy:
                log.warning(
                    "turn refused: no place within the wait",
                    extra={
                        "event": "turn_refused",
                        "reason": "busy",
                        "status": 503,
                        "retry_after": 5,
                    },
                )
                return _refusal(sender, BUSY, 503, 5)
            except TrackerStoreUnavailable as exc:
                log.error(
                    "turn refused: the conversation store is unreachable",
                    extra={"event": "turn_failed", "reason": str(exc), "status": 503},
                )
                return _refusal(sender, UNAVAILABLE, 503, 5)
            except asyncio.CancelledError:
                log.error(
                    "turn cancelled",
                    extra={"event": "turn_failed", "reason": "CancelledError", "status": 503},
                )
                return _refusal(sender, UNAVAILABLE, 503, 5)
            except Exception as exc:  # noqa: BLE001 - say it clearly, never log the text
                unavailable = _is_unavailable(exc)
                status = 503 if unavailable else 500
                log.error(
                    "turn refused: %s",
                    "a store is unreachable" if unavailable else "unexpected error",
                    extra={"event": "turn_failed", "reason": type(exc).__name__, "status": status},
                )
                return _refusal(sender, UNAVAILABLE if unavailable else FAILED, status, 5)
            log.debug(
                "turn",
                extra={
                    "event": "turn",
                    "status": 200,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response.json(collector.messages)

        return webhook
