"""Rasa's REST channel for production: same URL and answers, plus three guards.

`python -m bot deploy` puts this class in place of `rest:` in the production credentials, so the
widget and REST clients keep posting to `/webhooks/rest/webhook` `{"sender", "message"}`.

- **Floods**: at most `limit` messages per `window` seconds per conversation (counted in Redis,
  shared by all replicas); beyond that the turn is refused with HTTP 429, a polite message and
  `Retry-After`, before it reaches the conversation lock. Other conversations are not affected.
- **Clear refusals**: when the lock store (Redis) or the tracker store (PostgreSQL, through
  `bot.trackers.StrictSQLTrackerStore`) cannot be reached, Rasa's own channel answers 200 with
  an empty list and logs the person's message; this one answers 503 with a message saying the
  conversation is kept and to try again, and logs only the error's type. A turn refused before its lock was taken changes nothing in the tracker.
- **No personal data in logs**: the message text is never logged.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.trackers import TrackerStoreUnavailable

log = logging.getLogger("boussole.rest")

RATE_LIMITED = ("Vous m'envoyez beaucoup de messages très vite : je ne peux pas tous les suivre. "
                "Attendez quelques secondes, puis renvoyez votre dernier message.")
UNAVAILABLE = ("L'assistant est momentanément indisponible. Votre conversation est conservée : "
               "réessayez dans un instant.")
FAILED = ("Désolé, je n'ai pas pu traiter ce message. Votre conversation est conservée : "
          "réessayez dans un instant.")


class RateLimiter:
    """Fixed-window counter per conversation in Redis (keys hold a hash, not the sender id)."""

    def __init__(self, redis_url: str, limit: int, window: float):
        import redis

        self.client = redis.Redis.from_url(redis_url, socket_timeout=2,
                                           socket_connect_timeout=2)
        self.limit, self.window = limit, window

    def check(self, sender: str) -> float:
        """0 when the message may go on, else the seconds to wait. Raises on Redis errors."""
        now = time.time()
        bucket = int(now // self.window)
        digest = hashlib.sha256(sender.encode("utf-8")).hexdigest()[:24]
        key = f"boussole:rate:{digest}:{bucket}"
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, int(self.window) + 1)
        count, _ = pipe.execute()
        if count <= self.limit:
            return 0.0
        return max(1.0, (bucket + 1) * self.window - now)


def _refusal(sender: Optional[str], text: str, status: int, retry_after: float) -> HTTPResponse:
    return response.json([{"recipient_id": sender, "text": text}], status=status,
                         headers={"Retry-After": str(int(round(retry_after)))})


def _is_unavailable(exc: BaseException) -> bool:
    """Errors that mean a store is unreachable (Redis lock store, SQL tracker store)."""
    from rasa.core.lock_store import LockError
    from rasa.shared.exceptions import ConnectionException

    names = {cls.__module__.split(".")[0] + "." + cls.__name__ for cls in type(exc).__mro__}
    return (isinstance(exc, (LockError, ConnectionException, ConnectionError, OSError))
            or "redis.RedisError" in names or "sqlalchemy.OperationalError" in names
            or "sqlalchemy.DBAPIError" in names or "sqlalchemy.InterfaceError" in names)


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self, limit: int = 20, window: float = 60.0, redis_url: str | None = None):
        self.limit, self.window = limit, window
        self.limiter = RateLimiter(redis_url, limit, window) if redis_url else None

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GuardedRestInput":
        credentials = credentials or {}
        from bot.logs import json_logs_wanted, take_over_rasa_logging

        if json_logs_wanted():
            take_over_rasa_logging()
        return cls(limit=int(credentials.get("limit", 20)),
                   window=float(credentials.get("window", 60)),
                   redis_url=os.environ.get("REDIS_URL") or credentials.get("redis_url"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "« sender » et « message » (texte) attendus."},
                                     status=400)
            started = time.perf_counter()
            if self.limiter is not None:
                try:
                    wait = self.limiter.check(sender)
                except Exception as exc:  # noqa: BLE001 - Redis down: refuse, touch nothing
                    log.error("turn refused: rate limiter unreachable",
                              extra={"event": "turn_refused", "reason": type(exc).__name__,
                                     "status": 503})
                    return _refusal(sender, UNAVAILABLE, 503, 5)
                if wait:
                    log.warning("turn refused: too many messages in this conversation",
                                extra={"event": "rate_limited", "status": 429,
                                       "retry_after": round(wait, 1)})
                    return _refusal(sender, RATE_LIMITED, 429, wait)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender,
                                                 input_channel=self.name(),
                                                 metadata=self.get_metadata(request)))
            except TrackerStoreUnavailable as exc:
                log.error("turn refused: the conversation store is unreachable",
                          extra={"event": "turn_failed", "reason": str(exc), "status": 503})
                return _refusal(sender, UNAVAILABLE, 503, 5)
            except asyncio.CancelledError:
                log.error("turn cancelled", extra={"event": "turn_failed",
                                                    "reason": "CancelledError", "status": 503})
                return _refusal(sender, UNAVAILABLE, 503, 5)
            except Exception as exc:  # noqa: BLE001 - say it clearly, never log the text
                unavailable = _is_unavailable(exc)
                status = 503 if unavailable else 500
                log.error("turn refused: %s", "a store is unreachable" if unavailable
                          else "unexpected error", extra={"event": "turn_failed",
                                                           "reason": type(exc).__name__,
                                                           "status": status})
                return _refusal(sender, UNAVAILABLE if unavailable else FAILED, status, 5)
            log.debug("turn", extra={"event": "turn", "status": 200, "duration_ms":
                                     round((time.perf_counter() - started) * 1000, 1)})
            return response.json(collector.messages)

        return webhook
