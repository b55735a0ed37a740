"""Advisor accounts: create, list, disable, reset passwords; check a login.

Passwords are hashed with argon2; ten wrong passwords in a row lock the account for a while
(doubling each time), so guessing is slow whatever the source address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.callback.validators import check_email
from bot.leads.models import Advisor
from bot.leads.repository import LeadRepository

ROLES = ("admin", "conseiller")
MIN_PASSWORD = 10
LOCK_AFTER = 10
LOCK_BASE = timedelta(minutes=1)
_hasher = PasswordHasher()


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    organisation_id: str
    role: str
    active: bool
    session_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _account(a: Advisor) -> Account:
    return Account(
        a.id, a.email, a.name, a.organisation_id, a.role, a.active, a.session_version or 0
    )


_dummy_hash: list[str] = []


def _equalise(password: str, stored: str | None = None) -> None:
    """The work of a real check, for the paths that need none: unknown or locked account."""
    if stored is None:
        if not _dummy_hash:
            _dummy_hash.append(_hasher.hash("timing-equaliser"))
        stored = _dummy_hash[0]
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        pass


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"mot de passe trop court ({MIN_PASSWORD} caractères au moins)")


class Advisors:
    def __init__(self, repository: LeadRepository):
        self.repository = repository
        self.sessions = repository.sessions

    def add(self, email: str, name: str, organisation: str, role: str, password: str) -> Account:
        checked = check_email(email)
        if not checked.ok:
            raise AccountError(f"adresse e-mail invalide : {email}")
        if role not in ROLES:
            raise AccountError(f"rôle inconnu « {role} » (admin ou conseiller)")
        if organisation not in self.repository.catalogue.organisations:
            known = ", ".join(self.repository.catalogue.organisations)
            raise AccountError(f"organisation inconnue « {organisation} » (connues : {known})")
        if not name.strip():
            raise AccountError("nom manquant")
        _check_password(password)
        self.repository.sync_organisations()
        with self.sessions() as session:
            advisor = Advisor(
                email=checked.value.lower(),
                name=name.strip(),
                organisation_id=organisation,
                role=role,
                password_hash=_hasher.hash(password),
            )
            session.add(advisor)
            try:
                session.commit()
            except IntegrityError:
                raise AccountError(f"un compte existe déjà pour {checked.value}") from None
            return _account(advisor)

    def list(self) -> list[Account]:
        with self.sessions() as session:
            return [_account(a) for a in session.scalars(select(Advisor).order_by(Advisor.email))]

    def get(self, advisor_id: int) -> Account | None:
        if not isinstance(advisor_id, int) or not 0 < advisor_id < 2**63:
            return None  # not an id the database could hold
        with self.sessions() as session:
            advisor = session.get(Advisor, advisor_id)
            return _account(advisor) if advisor else None

    def _find(self, session, email: str) -> Advisor:
        advisor = session.scalar(select(Advisor).where(Advisor.email == email.strip().lower()))
        if advisor is None:
            raise AccountError(f"aucun compte pour {email}")
        return advisor

    def disable(self, email: str) -> None:
        with self.sessions() as session:
            advisor = self._find(session, email)
            advisor.active = False
            advisor.session_version = (advisor.session_version or 0) + 1
            session.commit()

    def end_sessions(self, advisor_id: int) -> None:
        """Every session cookie of this advisor stops working (logout: all devices)."""
        with self.sessions() as session:
            advisor = session.get(Advisor, advisor_id)
            if advisor is not None:
                advisor.session_version = (advisor.session_version or 0) + 1
                session.commit()

    def reset_password(self, email: str, password: str) -> None:
        _check_password(password)
        with self.sessions() as session:
            advisor = self._find(session, email)
            advisor.password_hash = _hasher.hash(password)
            advisor.failed_logins, advisor.locked_until = 0, None
            advisor.session_version = (advisor.session_version or 0) + 1
            session.commit()

    def authenticate(
        self, email: str, password: str, now: datetime | None = None
    ) -> Account | None:
        """The account if the password is right and the account usable; None otherwise.
        Every case does one argon2 check, so the answer time tells nothing."""
        now = now or datetime.now(timezone.utc)
        with self.sessions() as session:
            advisor = session.scalar(
                select(Advisor).where(Advisor.email == str(email or "").strip().lower())
            )
            if advisor is None:
                _equalise(password)
                return None
            locked = advisor.locked_until
            if locked is not None and locked.tzinfo is None:
                locked = locked.replace(tzinfo=timezone.utc)
            if locked and locked > now:
                _equalise(password, advisor.password_hash)  # the result is not used
                return None
            try:
                _hasher.verify(advisor.password_hash, password or "")
            except (VerificationError, InvalidHashError):
                advisor.failed_logins += 1
                if advisor.failed_logins >= LOCK_AFTER:
                    advisor.locked_until = now + LOCK_BASE * 2 ** (
                        advisor.failed_logins - LOCK_AFTER
                    )
                session.commit()
                return None
            if not advisor.active:
                return None
            advisor.failed_logins, advisor.locked_until = 0, None
            session.commit()
            return _account(advisor)
