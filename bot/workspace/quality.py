"""Orientation quality as advisors measure it (their `OrientationReview` of a lead), the
persons' satisfaction answers, and the corrected first messages as Rasa NLU training data.

A lead is « oriented right the first time » when the advisor's right offer is the one the
assistant proposed. Everything is read for one organisation's leads (None: an admin, all).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, text

from bot.leads.models import Lead, OrientationReview, SatisfactionAnswer
from bot.leads.repository import LeadRepository
from bot.orientation.routing import intent_of_offer
from bot.workspace.privacy import tracker_engine
from bot.workspace.scrub import scrub

MIN_WORDS = 4  # "bonjour" is nobody's project: the first message that says something


@dataclass
class Share:
    reviewed: int = 0
    right: int = 0

    def add(self, right: bool) -> None:
        self.reviewed += 1
        self.right += right

    @property
    def percent(self) -> int | None:
        return round(100 * self.right / self.reviewed) if self.reviewed else None


@dataclass
class OrientationQuality:
    overall: Share = field(default_factory=Share)
    by_offer: dict[str, Share] = field(default_factory=lambda: defaultdict(Share))
    by_channel: dict[str, Share] = field(default_factory=lambda: defaultdict(Share))
    by_month: dict[str, Share] = field(default_factory=lambda: defaultdict(Share))
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    satisfaction: Counter = field(default_factory=Counter)


def _scoped(query, organisation_id: str | None):
    return (
        query if organisation_id is None else query.where(Lead.organisation_id == organisation_id)
    )


def title(repository: LeadRepository, offer_id: str | None) -> str:
    offer = repository.catalogue.offers.get(offer_id or "")
    return offer.title if offer else "aucune offre"


def orientation_quality(
    repository: LeadRepository, organisation_id: str | None
) -> OrientationQuality:
    result = OrientationQuality()
    pairs: Counter = Counter()
    with repository.sessions() as session:
        rows = session.execute(
            _scoped(
                select(OrientationReview, Lead.channel, Lead.created_at).join(
                    Lead, Lead.id == OrientationReview.lead_id
                ),
                organisation_id,
            )
        ).all()
        answers = session.scalars(
            _scoped(
                select(SatisfactionAnswer).join(Lead, Lead.id == SatisfactionAnswer.lead_id),
                organisation_id,
            )
        ).all()
    for review, channel, created_at in rows:
        right = review.right_offer_id == review.oriented_offer_id
        result.overall.add(right)
        result.by_offer[title(repository, review.oriented_offer_id)].add(right)
        result.by_channel[channel].add(right)
        result.by_month[created_at.strftime("%Y-%m")].add(right)
        if not right:
            pairs[
                (
                    title(repository, review.oriented_offer_id),
                    title(repository, review.right_offer_id),
                )
            ] += 1
    result.confusions = [
        (a, b, n) for (a, b), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    ]
    result.by_offer = dict(sorted(result.by_offer.items()))
    result.by_channel = dict(sorted(result.by_channel.items()))
    result.by_month = dict(sorted(result.by_month.items()))
    for answer in answers:
        result.satisfaction["Réponses"] += 1
        result.satisfaction["Contacté·e : oui" if answer.contacted else "Contacté·e : non"] += 1
        result.satisfaction[
            {True: "Aidé·e : oui", False: "Aidé·e : non", None: "Aidé·e : pas encore"}[
                answer.helpful
            ]
        ] += 1
    return result


def first_messages(conversation_ids: set[str], tracker_url: str | None) -> dict[str, str]:
    """The first message of each conversation that says something (not a button, not a
    greeting alone), from Rasa's tracker store; none when the store has no such events."""
    found: dict[str, str] = {}
    if not conversation_ids:
        return found
    query = text(
        "SELECT sender_id, data FROM events WHERE type_name = 'user' "
        "AND sender_id IN :ids ORDER BY id"
    ).bindparams(bindparam("ids", expanding=True))
    try:
        with tracker_engine(tracker_url).connect() as connection:
            rows = list(connection.execute(query, {"ids": sorted(conversation_ids)}))
    except Exception:  # noqa: BLE001 - no tracker table yet
        return found
    for sender, data in rows:
        body = " ".join(str(json.loads(data).get("text") or "").split())
        if sender not in found and not body.startswith("/") and len(body.split()) >= MIN_WORDS:
            found[sender] = body
    return found


def corrections_as_nlu_yaml(
    repository: LeadRepository, organisation_id: str | None, tracker_url: str | None = None
) -> str:
    """The first messages of the leads whose orientation an advisor corrected, contact details
    scrubbed, as examples of the right offer's intent: ready to add under data/nlu/."""
    with repository.sessions() as session:
        rows = session.execute(
            _scoped(
                select(Lead.conversation_id, OrientationReview.right_offer_id)
                .join(Lead, Lead.id == OrientationReview.lead_id)
                .where(
                    (OrientationReview.oriented_offer_id.is_(None))
                    | (OrientationReview.oriented_offer_id != OrientationReview.right_offer_id)
                )
                .order_by(OrientationReview.at),
                organisation_id,
            )
        ).all()
    messages = first_messages({conversation for conversation, _ in rows}, tracker_url)
    grouped: dict[str, list[str]] = defaultdict(list)
    for conversation, right in rows:
        line = " ".join(scrub(messages.get(conversation, "")).split())
        if line and right in repository.catalogue and line not in grouped[intent_of_offer(right)]:
            grouped[intent_of_offer(right)].append(line)
    lines = [
        'version: "3.1"',
        "# Premiers messages dont un·e conseiller·ère a corrigé l'orientation "
        "(espace conseil, coordonnées masquées).",
        "nlu:",
    ]
    for intent in sorted(grouped):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in grouped[intent]]
    return "\n".join(lines) + "\n"
