"""The links of the person's messages: signed, expiring, one lead each, no account.

Two links: the satisfaction survey's, and « ne plus me contacter » at the foot of every
follow-up message. A token carries the lead's reference, signed with the workspace's secret key
(itsdangerous) under a salt of its own purpose, so that one link never opens the other page; a
forged or altered token fails the signature, an old one the age check. Reading takes the clock
as a parameter so that the follow-up loop's fake clock applies to it too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.settings import Settings

SALT = "boussole-satisfaction"
LIFETIME = timedelta(days=60)
STOP_SALT = "boussole-stop"
# Stopping the messages stays possible as long as a message may still come: the last one, the
# survey, is sent at most 40 days after closing; a year covers any lead's life.
STOP_LIFETIME = timedelta(days=365)


class InvalidToken(ValueError):
    """`reason` is "expired" or "invalid" (forged, altered, truncated)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _secret(settings: Settings) -> str:
    from bot.workspace.web.security import secret_key

    return secret_key(settings.secret_key, settings.var_dir)


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(settings), salt=salt)


def lead_token(reference: str, settings: Settings, salt: str = SALT) -> str:
    return _serializer(settings, salt).dumps(reference)


def read_lead_token(
    token: str,
    settings: Settings,
    now: datetime | None = None,
    lifetime: timedelta = LIFETIME,
    salt: str = SALT,
) -> str:
    """The lead reference a valid token names; InvalidToken otherwise."""
    try:
        reference, signed_at = _serializer(settings, salt).loads(token, return_timestamp=True)
    except BadSignature:
        raise InvalidToken("invalid") from None
    now = now or datetime.now(timezone.utc)
    if not isinstance(reference, str) or now - signed_at > lifetime:
        raise InvalidToken("expired" if isinstance(reference, str) else "invalid")
    return reference


def satisfaction_token(reference: str, settings: Settings) -> str:
    return lead_token(reference, settings)


def satisfaction_url(reference: str, settings: Settings) -> str:
    return f"{settings.public_url}/satisfaction/{satisfaction_token(reference, settings)}"


def read_satisfaction_token(
    token: str, settings: Settings, now: datetime | None = None, lifetime: timedelta = LIFETIME
) -> str:
    return read_lead_token(token, settings, now, lifetime)


def stop_token(reference: str, settings: Settings) -> str:
    return lead_token(reference, settings, STOP_SALT)


def stop_url(reference: str, settings: Settings) -> str:
    return f"{settings.public_url}/ne-plus-me-contacter/{stop_token(reference, settings)}"


def read_stop_token(token: str, settings: Settings, now: datetime | None = None) -> str:
    return read_lead_token(token, settings, now, STOP_LIFETIME, STOP_SALT)
