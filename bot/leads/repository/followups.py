"""The follow-up loop's aggregate: its messages (`FollowUp`, one row per key), the leads it
reads, the « sans suite » flag, the person's reply address and their withdrawal of consent.

Sending is claimed row by row (pending → sending → sent, or back to pending with the error,
`failed` after MAX_ATTEMPTS), so that two runs at once never send the same message twice; a
run that dies in the middle of a send leaves the row `sending`: never sent twice, shown by
`python -m bot follow-up run`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from bot.leads.models import Advisor, FollowUp, Lead
from bot.leads.repository.base import RepositoryBase

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# A message still failing after a day of runs every 15 minutes is given up (`failed`): an
# address the server refuses, a person who blocked the bot… An outage is shorter than that.
MAX_ATTEMPTS = 96


class FollowUpStore(RepositoryBase):
    def followup_leads(self) -> list[Lead]:
        """Every lead with its status history (the retention period bounds their number)."""
        with self.sessions() as session:
            return list(
                session.scalars(select(Lead).options(selectinload(Lead.history)).order_by(Lead.id))
            )

    def followup_states(self) -> dict[str, FollowUp]:
        with self.sessions() as session:
            return {row.key: row for row in session.scalars(select(FollowUp))}

    def followup_record(
        self, key: str, kind: str, lead_id: int | None, channel: str, recipient: str, now: datetime
    ) -> int | None:
        """A pending message of this key (its id); None when another run recorded it first."""
        with self.sessions() as session:
            row = FollowUp(
                key=key,
                kind=kind,
                lead_id=lead_id,
                channel=channel,
                recipient=recipient[:254],
                status=PENDING,
                created_at=now,
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return None
            return row.id

    def followup_claim(self, ids: list[int]) -> list[int]:
        """The ids of these pending messages this run now holds (the others: another run's)."""
        claimed = []
        with self.sessions() as session:
            for id_ in ids:
                result = session.execute(
                    update(FollowUp)
                    .where(FollowUp.id == id_, FollowUp.status == PENDING)
                    .values(status=SENDING)
                )
                if result.rowcount == 1:
                    claimed.append(id_)
            session.commit()
        return claimed

    def followup_done(self, ids: list[int], now: datetime, error: str | None = None) -> None:
        """Sent (no error), or back to pending with the error, for the next run (given up
        after MAX_ATTEMPTS)."""
        with self.sessions() as session:
            for row in session.scalars(select(FollowUp).where(FollowUp.id.in_(ids))):
                row.attempts += 1
                if error is None:
                    row.status, row.sent_at, row.last_error = SENT, now, None
                else:
                    row.status = PENDING if row.attempts < MAX_ATTEMPTS else FAILED
                    row.last_error = error[:1000]
            session.commit()

    def flag_without_news(self, lead_ids: list[int], now: datetime) -> None:
        with self.sessions() as session:
            session.execute(
                update(Lead)
                .where(Lead.id.in_(lead_ids), Lead.flagged_at.is_(None))
                .values(flagged_at=now)
            )
            session.commit()

    def advisors_by_organisation(self) -> dict[str, list[str]]:
        """The e-mails of each organisation's active advisors."""
        result: dict[str, list[str]] = defaultdict(list)
        with self.sessions() as session:
            for org, email in session.execute(
                select(Advisor.organisation_id, Advisor.email)
                .where(Advisor.active.is_(True))
                .order_by(Advisor.email)
            ):
                result[org].append(email)
        return dict(result)

    def active_advisor_emails(self) -> dict[int, str]:
        """The e-mail of each active advisor account, by id (a lead's assignee)."""
        with self.sessions() as session:
            rows = session.execute(
                select(Advisor.id, Advisor.email).where(Advisor.active.is_(True))
            )
            return {id_: email for id_, email in rows}

    def advisor_names(self) -> dict[object, str]:
        """Advisors' names by account id and by e-mail (the actor of a status change)."""
        with self.sessions() as session:
            names: dict[object, str] = {}
            for id_, email, name in session.execute(
                select(Advisor.id, Advisor.email, Advisor.name)
            ):
                names[id_] = names[email] = name
            return names

    def set_reply_address(self, reference: str, conversation_id: str, address: str) -> bool:
        """Keep where a messaging-app person can be written back to, on their own lead only
        (the lead of this conversation) and only when they consented to be contacted."""
        with self.sessions() as session:
            lead = session.scalar(select(Lead).where(Lead.reference == reference))
            if lead is None or lead.conversation_id != conversation_id or not lead.consent_version:
                return False
            lead.reply_address = address[:128]
            session.commit()
            return True

    def withdraw_contact(self, reference: str, now: datetime) -> None:
        """The person no longer wants to be contacted: no follow-up message, ever."""
        with self.sessions() as session:
            lead = self._lead(session, reference)
            lead.contact_withdrawn_at = lead.contact_withdrawn_at or now
            lead.reply_address = None
            session.commit()
