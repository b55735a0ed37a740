"""The call-back request: which details to ask, reading several at once, the lead.

Pure functions used by the contact form's actions; the lead itself is written by `bot.leads`,
the summary shown before sending by `bot.wording`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from bot.callback.validators import (
    check_commune,
    check_email,
    check_name,
    check_phone,
    format_phone,
)
from bot.leads.repository import confirmation_key
from bot.orientation.catalogue import get_catalogue
from bot.orientation.facts import is_young, legal_form_of
from bot.orientation.routing import intent_of_offer, offer_id_in

# The exact consent text; its version is stored with every lead (change both together).
CONSENT_VERSION = "2026-11-v1"
CONSENT_TEXT = (
    "J'accepte que Saint-Étienne Métropole et l'organisme qui accompagne ce type de projet "
    "conservent ces informations pour me recontacter au sujet de mon projet. Elles ne sont "
    "utilisées pour rien d'autre et je peux demander leur suppression à tout moment en "
    "écrivant « supprimer mes données »."
)

FORM_SLOTS = ("full_name", "contact", "commune", "structure_name", "project_summary", "consent")
HUMAN_FORM_SLOTS = ("full_name", "contact", "consent")
# What each correctable field resets (the form asks it again).
CORRECTABLE = {
    "full_name": ("full_name", "first_name", "last_name"),
    "contact": ("contact", "email", "phone", "phone_region"),
    "commune": ("commune", "commune_insee", "on_territory"),
    "structure_name": ("structure_name",),
    "project_summary": ("project_summary",),
}
STRUCTURE_PHASES = {"consolidation", "changement-echelle"}

_EMAIL = re.compile(r"[^\s,;<>()]+@[^\s,;<>()]+\.[^\s,;<>()]+")
_PHONE = re.compile(r"(?:\+|00)?\d[\d .\-()/]{7,18}\d")


def required_slots(offer_id: str | None, stage: str | None, human: bool) -> list[str]:
    """A person asking for a human gives the minimum; the structure only when one exists."""
    if human:
        return list(HUMAN_FORM_SLOTS)
    offer = get_catalogue().offers.get(offer_id or "")
    has_structure = stage == "existante" or (
        offer is not None
        and (offer.phase in STRUCTURE_PHASES or offer.id in ("creation", "reprise-cooperative"))
    )
    return [s for s in FORM_SLOTS if s != "structure_name" or has_structure]


def split_name(full: str) -> tuple[str, str] | None:
    words = full.split()
    if len(words) < 2:
        return None
    return words[0], " ".join(words[1:])


def read_details(text: str) -> dict[str, Any]:
    """Every contact detail found in one message:
    "Léa Martin, lea@x.org, 06 12 34 56 78, Firminy"."""
    found: dict[str, Any] = {}
    rest = str(text or "")
    email = _EMAIL.search(rest)
    if email and check_email(email.group()).ok:
        found["email"] = check_email(email.group()).value
        rest = rest.replace(email.group(), " ")
    phone = _PHONE.search(rest)
    if phone and check_phone(phone.group()).ok:
        checked = check_phone(phone.group())
        found["phone"], found["phone_region"] = checked.value, checked.extra["region"]
        rest = rest.replace(phone.group(), " ")
    for chunk in re.split(r"[,;\n]| et | à | a ", rest):
        chunk = chunk.strip(" .")
        if not chunk:
            continue
        commune = check_commune(chunk)
        if commune.ok and commune.extra.get("on_territory") and "commune" not in found:
            found.update(
                commune=commune.value, commune_insee=commune.extra["insee"], on_territory=True
            )
            continue
        parts = split_name(chunk)
        if (
            parts
            and "full_name" not in found
            and len(chunk.split()) <= 4
            and check_name(parts[0]).ok
            and check_name(parts[1], "nom").ok
        ):
            found.update(
                full_name=chunk,
                first_name=check_name(parts[0]).value,
                last_name=check_name(parts[1], "nom").value,
            )
    if found.get("email") or found.get("phone"):
        found["contact"] = " / ".join(
            v for v in (found.get("email"), format_phone(found.get("phone") or "")) if v
        )
    return found


def lead_draft(
    sender_id: str, session_started: str, slots: Mapping[str, Any], channel: str = "rest"
) -> dict[str, Any]:
    """The lead to write. Its key depends on the conversation session and the content, so a
    retried or repeated confirmation of the same request is written once."""
    last = slots.get("last_orientation") or {}
    ranking = last.get("ranking") or []
    content = {
        k: slots.get(k)
        for k in (
            "first_name",
            "last_name",
            "email",
            "phone",
            "commune",
            "structure_name",
            "project_summary",
            "offer",
        )
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    offer_id = slots.get("offer")
    alternatives = [
        {"offer": offer_id_in(n), "confidence": c}
        for n, c in ranking
        if offer_id_in(n) not in (None, offer_id)
    ][:3]
    confidence = next((c for n, c in ranking if offer_id and n == intent_of_offer(offer_id)), None)
    facts = {
        k: slots.get(k)
        for k in (
            "stage",
            "creation_step",
            "existing_goal",
            "youth_profile",
            "legal_form",
            "age",
            "student_status",
            "register",
        )
        if slots.get(k)
    }
    if slots.get("legal_form"):
        facts["legal_form"] = legal_form_of(str(slots["legal_form"])) or slots["legal_form"]
    facts["rule"] = last.get("rule")
    offer = get_catalogue().offers.get(offer_id or "")
    age = str(slots.get("age") or "")
    youth = (
        is_young(
            int(age[:2]) if age[:2].isdigit() else None, student=bool(slots.get("student_status"))
        )
        or slots.get("stage") == "jeune"
        or (offer is not None and offer.phase == "jeunesse")
    )
    return {
        "confirmation_key": confirmation_key(sender_id, f"{session_started}:{digest}"),
        "conversation_id": sender_id,
        "channel": channel,
        "first_name": slots.get("first_name"),
        "last_name": slots.get("last_name"),
        "email": slots.get("email"),
        "phone": slots.get("phone"),
        "phone_region": slots.get("phone_region"),
        "commune": slots.get("commune"),
        "commune_insee": slots.get("commune_insee"),
        "on_territory": slots.get("on_territory"),
        "structure_name": slots.get("structure_name"),
        "legal_form": facts.get("legal_form"),
        "project_summary": slots.get("project_summary"),
        "facts": facts,
        "offer_id": offer_id,
        "alternatives": alternatives,
        "confidence": 1.0 if offer_id and confidence is None else confidence,
        "explanation": (offer.why_tu if slots.get("register") == "tu" else offer.why)
        if offer
        else None,
        "consent_version": CONSENT_VERSION if slots.get("consent") == "yes" else None,
        "consent_at": datetime.now(timezone.utc).isoformat()
        if slots.get("consent") == "yes"
        else None,
        "youth": youth,
        "human_requested": bool(slots.get("human_requested")),
    }


# -- a form that always moves forward --------------------------------------------------------
FAQ_INTENTS = frozenset(
    {
        "faq_what_is_ess",
        "faq_figures",
        "faq_programme",
        "faq_scop",
        "faq_scic",
        "faq_esus",
        "faq_ptce",
        "faq_clauses_sociales",
        "faq_youth_programmes",
    }
)
# After this many failed answers to one question, the form accepts what it can or explains.
PATIENCE = 2
_QUESTION = re.compile(
    r"\b(c est quoi|qu est ce|est ce|quoi|comment|pourquoi|combien|quel|"
    r"quelle|quels|quelles|quand|ou trouver|que signifie|ca veut dire|"
    r"expliquer|explique|expliquez|difference)\b"
)


def is_question(text: str, intent: str | None, confidence: float) -> bool:
    """A question about the ESS asked in the middle of the form (answered, then the field is
    asked again) — not an answer that merely contains a word of one ("Tom Beelys")."""
    from bot.orientation.territory import normalise

    if intent not in FAQ_INTENTS or confidence < 0.5:
        return False
    return "?" in (text or "") or bool(_QUESTION.search(normalise(text or "")))
