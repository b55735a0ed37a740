"""Session secret, CSRF tokens and a per-address login throttle."""
from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque

from bot import settings


def secret_key() -> str:
    """BOUSSOLE_SECRET_KEY, or a random key kept in var/ so sessions survive a restart."""
    key = os.environ.get("BOUSSOLE_SECRET_KEY")
    if key:
        return key
    path = settings.ROOT / "var" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, submitted: object) -> bool:
    expected = session.get("csrf")
    return bool(expected) and isinstance(submitted, str) and hmac.compare_digest(expected,
                                                                                  submitted)


class Throttle:
    """At most `limit` attempts per `window` seconds from one address."""

    def __init__(self, limit: int = 20, window: float = 300.0):
        self.limit, self.window = limit, window
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True
