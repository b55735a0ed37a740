"""The satisfaction survey's links: signed, expiring, one lead each, no account.

A token carries the lead's reference, signed with the workspace's secret key (itsdangerous);
a forged or altered token fails the signature, an old one the age check. Reading takes the
clock as a parameter so that the follow-up loop's fake clock applies to it too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.settings import Settings

SALT = "boussole-satisfaction"
LIFETIME = timedelta(days=60)


class InvalidToken(ValueError):
    """`reason` is "expired" or "invalid" (forged, altered, truncated)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _secret(settings: Settings) -> str:
    from bot.workspace.web.security import secret_key

    return secret_key(settings.secret_key, settings.var_dir)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(settings), salt=SALT)


def satisfaction_token(reference: str, settings: Settings) -> str:
    return _serializer(settings).dumps(reference)


def satisfaction_url(reference: str, settings: Settings) -> str:
    return f"{settings.public_url}/satisfaction/{satisfaction_token(reference, settings)}"


def read_satisfaction_token(
    token: str, settings: Settings, now: datetime | None = None, lifetime: timedelta = LIFETIME
) -> str:
    """The lead reference a valid token names; InvalidToken otherwise."""
    try:
        reference, signed_at = _serializer(settings).loads(token, return_timestamp=True)
    except BadSignature:
        raise InvalidToken("invalid") from None
    now = now or datetime.now(timezone.utc)
    if not isinstance(reference, str) or now - signed_at > lifetime:
        raise InvalidToken("expired" if isinstance(reference, str) else "invalid")
    return reference
