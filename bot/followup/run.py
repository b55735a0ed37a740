"""One run of the follow-up loop: what is due (bot/followup/rules.py) is recorded, sent and
marked, once per key. `python -m bot follow-up run`, every 15 minutes from a systemd timer.

A message is recorded `pending` before it is sent, claimed for the send, then marked `sent`;
a failed send goes back to `pending` with its error and is tried again by the next run while it
is still due. A dry run prints what would be sent and records nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bot.followup import messages, rules
from bot.followup.calendar import add_working_days
from bot.followup.senders import SendError, Senders
from bot.followup.tokens import satisfaction_url, stop_url
from bot.leads.repository import LeadRepository
from bot.leads.repository.followups import PENDING, SENDING
from bot.settings import Settings

CHANNEL_NAMES = {"email": "courriel", "sms": "SMS", "whatsapp": "WhatsApp", "telegram": "Telegram"}


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    flagged: int = 0
    stuck: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self, dry_run: bool) -> str:
        if dry_run:
            return (
                f"Simulation : {len(self.lines)} envoi(s) et signalement(s) prévus, rien "
                f"n'a été enregistré."
            )
        text = (
            f"{self.sent} message(s) envoyé(s), {self.failed} en échec (nouvel essai au "
            f"prochain passage), {self.flagged} demande(s) signalée(s) « sans suite »."
        )
        if self.stuck:
            text += (
                f" {self.stuck} message(s) interrompu(s) en cours d'envoi : ni renvoyé(s) "
                f"ni marqué(s) envoyé(s), à vérifier."
            )
        return text


class FollowUpRun:
    def __init__(
        self, repository: LeadRepository, settings: Settings, senders: Senders | None = None
    ):
        self.repository = repository
        self.settings = settings
        self.senders = senders or Senders(settings)
        self.catalogue = repository.catalogue

    # -- wording ---------------------------------------------------------------------------
    def _organisation(self, lead):
        return self.catalogue.organisations.get(lead.organisation_id or "")

    def text_for(self, due: rules.PersonDue, names: dict, now: datetime) -> messages.Text:
        return messages.with_stop_link(
            self._text(due, names, now), stop_url(due.lead.reference, self.settings)
        )

    def _text(self, due: rules.PersonDue, names: dict, now: datetime) -> messages.Text:
        lead = due.lead
        org = self._organisation(lead)
        org_name = org.name if org else "L'équipe d'accompagnement"
        if due.kind == "person_taken":
            who = names.get(lead.advisor_id) or names.get(due.change.actor)
            return messages.taken(lead, who, org_name)
        if due.kind == "person_unreachable":
            contact = (
                " ou ".join(v for v in (org.phone, org.email, org.website) if v) if org else ""
            ) or None
            return messages.unreachable(
                lead,
                org_name,
                contact,
                self.settings.public_url,
                due.channel in ("telegram", "whatsapp"),
            )
        if due.kind == "person_waiting":
            return messages.waiting(lead, org_name, add_working_days(now, rules.WAITING_DAYS))
        return messages.survey(lead, satisfaction_url(lead.reference, self.settings))

    def digest_for(self, organisation_id: str, items: list[rules.Reminder]) -> messages.Text:
        org = self.catalogue.organisations.get(organisation_id)
        rows = []
        for item in items:
            offer = self.catalogue.offers.get(item.lead.offer_id or "")
            rows.append((item.stage, item.lead.reference, offer.title if offer else "à préciser"))
        workspace = (
            self.settings.smtp.workspace_url
            if self.settings.smtp
            else f"{self.settings.public_url}/conseil"
        ).rstrip("/")
        return messages.digest(org.name if org else organisation_id, rows, workspace)

    # -- the run ---------------------------------------------------------------------------
    def run(self, now: datetime | None = None, dry_run: bool = False) -> Report:
        now = rules.aware(now or datetime.now(timezone.utc))
        report = Report()
        states = self.repository.followup_states()
        done = {key for key, row in states.items() if row.status != PENDING}
        report.stuck = sum(row.status == SENDING for row in states.values())
        plan = rules.plan(self.repository.followup_leads(), now, done, self.senders.available)
        for lead in plan.flags:
            report.lines.append(f"[sans suite] {lead.reference} : 45 jours ouvrés sans nouvelles")
        if not dry_run and plan.flags:
            self.repository.flag_without_news([lead.id for lead in plan.flags], now)
            report.flagged = len(plan.flags)
        if not rules.sending_hours(now):
            report.lines.append(
                "Hors des heures d'envoi (8 h – 20 h, heure de Paris) : aucun message maintenant."
            )
            return report
        names = self.repository.advisor_names()
        for due in plan.person:
            text = self.text_for(due, names, now)
            if dry_run:
                report.lines.append(
                    f"[{CHANNEL_NAMES[due.channel]}] {due.lead.reference} "
                    f"{due.kind} → {due.recipient}\n{text.body}"
                )
                continue
            ids = self._claim(
                states, due.key, due.kind, due.lead.id, due.channel, due.recipient, now
            )
            if ids:
                self._send(
                    ids,
                    report,
                    now,
                    self.senders.send,
                    due.channel,
                    due.recipient,
                    text.subject,
                    text.body,
                )
        self._digests(plan.reminders, states, now, dry_run, report)
        return report

    def _digests(self, reminders, states, now, dry_run: bool, report: Report) -> None:
        """One digest per recipient: a lead's assignee (while their account is active), else
        every active advisor of the lead's organisation."""
        by_org = self.repository.advisors_by_organisation()
        by_id = self.repository.active_advisor_emails()
        groups: dict[tuple[str, int], list[rules.Reminder]] = defaultdict(list)
        for item in reminders:
            assignee = item.advisor_id if item.advisor_id in by_id else 0  # 0: the organisation
            groups[(item.organisation_id, assignee)].append(item)
        for (org_id, assignee), items in sorted(groups.items()):
            to = [by_id[assignee]] if assignee else by_org.get(org_id)
            recipient = f"advisor:{assignee}" if assignee else f"organisation:{org_id}"
            if not to:
                continue  # nobody to remind; the lead is flagged at 45 days all the same
            if dry_run:
                text = self.digest_for(org_id, items)
                report.lines.append(f"[courriel] rappel {org_id} → {', '.join(to)}\n{text.body}")
                continue
            claimed = {
                item.key: self._claim(
                    states, item.key, rules.REMINDER, item.lead.id, "email", recipient, now
                )
                for item in items
            }
            ours = [item for item in items if claimed[item.key]]  # not another run's
            if ours:
                text = self.digest_for(org_id, ours)
                self._send(
                    [i for item in ours for i in claimed[item.key]],
                    report,
                    now,
                    self.senders.email,
                    to,
                    text.subject,
                    text.body,
                )

    def _claim(self, states, key, kind, lead_id, channel, recipient, now) -> list[int]:
        row = states.get(key)
        if row is None:
            id_ = self.repository.followup_record(key, kind, lead_id, channel, recipient, now)
            if id_ is None:
                return []
        elif row.status == PENDING:
            id_ = row.id
        else:
            return []
        return self.repository.followup_claim([id_])

    def _send(self, ids: list[int], report: Report, now: datetime, send, *args) -> None:
        try:
            send(*args)
        except SendError as error:
            self.repository.followup_done(ids, now, str(error))
            report.failed += 1
            report.lines.append(f"échec : {error}")
        else:
            self.repository.followup_done(ids, now)
            report.sent += 1


def run(
    repository: LeadRepository,
    settings: Settings,
    now: datetime | None = None,
    dry_run: bool = False,
) -> Report:
    return FollowUpRun(repository, settings).run(now, dry_run)
