"""E-mail to an organisation's advisors when a new qualified lead arrives.

Off when the settings name no mail server (`Settings.smtp`, from BOUSSOLE_SMTP_*: none unless
BOUSSOLE_SMTP_HOST is set). The message carries no contact details: advisors open
the workspace to see them (an e-mail box is not the place for personal data).
"""

from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage

from sqlalchemy import select

from bot.leads.models import Advisor
from bot.leads.qualification import QUALIFIED
from bot.leads.repository import LeadRepository
from bot.orientation.catalogue import get_catalogue
from bot.settings import SmtpSettings

log = logging.getLogger(__name__)


def message_for(
    repository: LeadRepository, reference: str, smtp: SmtpSettings
) -> EmailMessage | None:
    lead = repository.get(reference)
    if lead is None or lead.level != QUALIFIED:
        return None
    with repository.sessions() as session:
        to = list(
            session.scalars(
                select(Advisor.email).where(
                    Advisor.organisation_id == lead.organisation_id, Advisor.active.is_(True)
                )
            )
        )
    if not to:
        return None
    offer = get_catalogue().offers.get(lead.offer_id or "")
    message = EmailMessage()
    message["Subject"] = f"Nouvelle demande qualifiée {lead.reference}"
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    message.set_content(
        f"Bonjour,\n\nUne nouvelle demande qualifiée attend un rappel.\n\n"
        f"Référence : {lead.reference}\n"
        f"Accompagnement : {offer.title if offer else 'à préciser'}\n"
        f"Commune : {lead.commune or 'non précisée'}\n\n"
        f"Coordonnées et conversation : {smtp.workspace_url}/demandes/{lead.reference}\n\n"
        f"— Boussole ESS\n"
    )
    return message


def notify_new_lead(repository: LeadRepository, reference: str, smtp: SmtpSettings | None) -> bool:
    """Send the notification now through `smtp` (None: notifications off); True if an e-mail
    left. Never raises."""
    if smtp is None:
        return False
    try:
        message = message_for(repository, reference, smtp)
        if message is None:
            return False
        with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.user:
                client.login(smtp.user, smtp.password)
            client.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.warning("lead notification not sent", exc_info=True)
        return False


def notify_in_background(
    repository: LeadRepository, reference: str, smtp: SmtpSettings | None
) -> None:
    """Do not make the person wait for the mail server."""
    if smtp is not None:
        threading.Thread(
            target=notify_new_lead, args=(repository, reference, smtp), daemon=True
        ).start()
