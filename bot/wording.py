"""The texts the assistant computes: offer cards, deciding questions, the call-back summary.

Fixed texts are responses of `domain.yml`, with a `tu` variation on the `register` slot; what
is built from the conversation (an offer, the details given) is written here, in the person's
register. Pure functions returning message dicts in Rasa's shape (`text`, `buttons`, `custom`),
so the actions only forward them and tests can read them without a Rasa server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot import settings
from bot.callback.form import CORRECTABLE
from bot.callback.validators import format_phone
from bot.orientation.catalogue import PHASES, Offer, get_catalogue
from bot.orientation.questions import get_question, payload
from bot.orientation.routing import Orientation

# Channels read on a phone: offer cards become a short text with a link to the offer's page.
MESSAGING_CHANNELS = frozenset({"telegram", "facebook", "twilio"})

CALLBACK = "/request_callback"
NOT_THIS = "/not_this"
RESTART = "/restart"


def _tu(register: str, vous: str, tu: str) -> str:
    return tu if register == "tu" else vous


PROGRAMME_PATH = ("creation", "consolidation", "changement-echelle")


def path_line(offer: Offer) -> str:
    """Where the offer sits in the programme, the person's own place in capitals."""

    def mark(label: str, here: bool) -> str:
        return f"[{label.upper()}]" if here else label

    if offer.step:
        steps = get_catalogue().creation_path()
        return "Parcours de création : " + " → ".join(
            mark(s.title.split(" — ")[0], s.id == offer.id) for s in steps
        )
    if offer.phase in PROGRAMME_PATH:
        return "Dans le programme : " + " → ".join(
            mark(PHASES[p], p == offer.phase) for p in PROGRAMME_PATH
        )
    return f"Dans le programme : axe 3, {PHASES[offer.phase].lower()}"


def offer_url(offer: Offer) -> str:
    return f"{settings.PUBLIC_URL}/offres/{offer.id}"


def offer_card(orientation: Orientation, register: str = "vous", compact: bool = False) -> dict:
    """The message recommending an offer: text, buttons and the `custom` payload the widget
    renders as an offer card (docs/conversation.md).

    `compact` is for messaging apps: the offer, why, and a link instead of the full card.
    """
    offer = orientation.offer
    assert offer is not None
    benefits = "\n".join(f"• {b}" for b in offer.benefits)
    more = _tu(register, "Pour en savoir plus", "Plus d'infos")
    text = (
        (
            f"{_tu(register, 'Je vous propose', 'Je te propose')} : {offer.title}.\n"
            f"{orientation.explanation}\n\n"
            f"{more} : {offer_url(offer)}"
        )
        if compact
        else (
            f"{_tu(register, 'Je vous propose', 'Je te propose')} : {offer.title}.\n"
            f"{offer.summary}\n\n"
            f"{orientation.explanation}\n\n"
            f"{_tu(register, 'Ce que vous y trouverez', 'Ce que tu y trouveras')} :\n{benefits}\n\n"
            f"{path_line(offer)}"
        )
    )
    return {
        "text": text,
        "buttons": [
            {"title": "Être rappelé·e", "payload": CALLBACK},
            {"title": "Ce n'est pas ça", "payload": NOT_THIS},
            {"title": "Recommencer", "payload": RESTART},
        ],
        "custom": {
            "offer": {
                "id": offer.id,
                "title": offer.title,
                "phase": offer.phase,
                "why": orientation.explanation,
            }
        },
    }


def question_message(orientation: Orientation, register: str = "vous") -> dict:
    """A deciding question with one button per possible answer."""
    question = get_question(
        orientation.next_question, list(orientation.options), orientation.rejected
    )
    return {
        "text": question.ask(register),
        "buttons": [
            {"title": o.label, "payload": payload(question.id, o.value)} for o in question.options
        ],
    }


def orientation_messages(
    orientation: Orientation, register: str = "vous", compact: bool = False
) -> list[dict]:
    if orientation.offer is not None:
        return [offer_card(orientation, register, compact)]
    if orientation.next_question:
        return [question_message(orientation, register)]
    return []


def look_elsewhere(register: str = "vous") -> str:
    """Said after "ce n'est pas ça", before the next offer or question. Written here rather
    than in domain.yml: the register is read from this very message."""
    return _tu(register, "D'accord, cherchons autre chose.", "OK, on cherche autre chose.")


# -- the call-back request -------------------------------------------------------------------
FIELD_LABELS = {
    "full_name": "nom",
    "contact": "contact",
    "commune": "commune",
    "structure_name": "structure",
    "project_summary": "projet",
}


def summary(slots: Mapping[str, Any], register: str = "vous") -> dict:
    """The summary shown before confirming, with a button per field to correct."""
    lines = []
    name = f"{slots.get('first_name') or ''} {slots.get('last_name') or ''}".strip()
    if name:
        lines.append(f"• Nom : {name}")
    if slots.get("email"):
        lines.append(f"• E-mail : {slots['email']}")
    if slots.get("phone"):
        lines.append(f"• Téléphone : {format_phone(slots['phone'])}")
    if slots.get("commune"):
        flag = (
            ""
            if slots.get("on_territory") is not False
            else " (hors du territoire de la Métropole)"
        )
        lines.append(f"• Commune : {slots['commune']}{flag}")
    if slots.get("structure_name"):
        lines.append(f"• Structure : {slots['structure_name']}")
    if slots.get("project_summary"):
        lines.append(f"• Projet : {slots['project_summary']}")
    offer = get_catalogue().offers.get(slots.get("offer") or "")
    if offer:
        lines.append(f"• Accompagnement : {offer.title}")
    intro = _tu(register, "Voici votre demande :", "Voici ta demande :")
    ask = _tu(
        register,
        "Je l'envoie ? Vous pouvez aussi corriger une information.",
        "C'est bon, j'envoie ? Tu peux aussi corriger une information.",
    )
    buttons = [{"title": "C'est correct, envoyer", "payload": "/confirm"}]
    for field in CORRECTABLE:
        if slots.get(field):
            buttons.append(
                {
                    "title": f"Corriger : {FIELD_LABELS[field]}",
                    "payload": "/correct" + json.dumps({"field": field}),
                }
            )
    return {"text": "\n".join([intro, *lines, "", ask]), "buttons": buttons}


# -- messages with nothing to understand (bot.orientation.text.clean's problems) --------------
_PROBLEMS = {
    "empty": (
        "Je n'ai rien reçu. Décrivez votre projet en quelques mots, par exemple : "
        "« nous voulons reprendre notre entreprise en SCOP ».",
        "Je n'ai rien reçu. Décris ton projet en quelques mots, par exemple : "
        "« j'ai une idée d'épicerie solidaire ».",
    ),
    "no_letters": (
        "Je n'ai pas trouvé de mots dans votre message. Décrivez votre projet en quelques "
        "mots, par exemple : « j'ai une idée d'épicerie solidaire ».",
        "Je n'ai pas trouvé de mots dans ton message. Décris ton projet en quelques mots, "
        "par exemple : « j'ai une idée d'épicerie solidaire ».",
    ),
    "too_long": (
        "Votre message est très long. Pouvez-vous résumer votre projet en quelques phrases ? "
        "Par exemple : « notre association veut créer une nouvelle activité ».",
        "Ton message est très long. Tu peux résumer ton projet en quelques phrases ? "
        "Par exemple : « notre asso veut lancer une nouvelle activité ».",
    ),
    "foreign": (
        "Je ne comprends que le français, désolé (sorry, I only understand French). "
        "Pouvez-vous décrire votre projet en français ? Un·e conseiller·ère peut aussi "
        "vous rappeler.",
        "Je ne comprends que le français, désolé (sorry, I only understand French). "
        "Tu peux décrire ton projet en français ? Un·e conseiller·ère peut aussi te rappeler.",
    ),
    "not_latin": (
        "Je ne comprends que le français, désolé. Pouvez-vous décrire votre projet en "
        "français ? Un·e conseiller·ère peut aussi vous rappeler.",
        "Je ne comprends que le français, désolé. Tu peux décrire ton projet en français ? "
        "Un·e conseiller·ère peut aussi te rappeler.",
    ),
}
PROBLEMS = frozenset(_PROBLEMS)


def problem_reply(problem: str, register: str = "vous") -> str:
    """What to do instead, for an empty, huge or unreadable message."""
    vous, tu = _PROBLEMS[problem]
    return _tu(register, vous, tu)


# -- the erase and restart commands (bot.orientation.commands decides, this words it) --------
def _requests(references: list[str], register: str) -> str:
    """ "votre demande de rappel ESS-2026-0042", "vos 2 demandes de rappel (…)"."""
    own = "ta" if register == "tu" else "votre"
    many = "tes" if register == "tu" else "vos"
    if len(references) == 1:
        return f"{own} demande de rappel {references[0]}"
    return f"{many} {len(references)} demandes de rappel ({', '.join(references)})"


def confirmation_question(command: str, references: list[str], register: str) -> str:
    tu = register == "tu"
    if command == "delete_my_data":
        what = (
            f"{_requests(references, register)} et notre conversation"
            if references
            else "notre conversation"
        )
        after = (
            (
                " Les conseiller·ères ne pourront plus te rappeler."
                if tu
                else " Les conseiller·ères ne pourront plus vous rappeler."
            )
            if references
            else ""
        )
        return (
            f"Tu veux vraiment effacer {what} ? C'est définitif.{after}"
            if tu
            else f"Voulez-vous vraiment effacer {what} ? C'est définitif.{after}"
        )
    return (
        "Tu veux tout recommencer ? Les réponses de ta demande de rappel en cours seront perdues."
        if tu
        else "Voulez-vous tout recommencer ? Les réponses de votre demande de rappel en cours "
        "seront perdues."
    )


def confirmation_buttons(command: str) -> list[dict[str, str]]:
    yes = "Oui, tout effacer" if command == "delete_my_data" else "Oui, recommencer"
    no = "Non, garder mes données" if command == "delete_my_data" else "Non, continuer"
    return [{"title": yes, "payload": "/affirm"}, {"title": no, "payload": "/deny"}]


def erased_message(leads: int, register: str) -> str:
    tu = register == "tu"
    if leads == 0:
        what = "notre conversation a été effacée"
    elif leads == 1:
        what = f"{'ta' if tu else 'votre'} demande de rappel et notre conversation ont été effacées"
    else:
        what = (
            f"{'tes' if tu else 'vos'} {leads} demandes de rappel et notre conversation ont "
            f"été effacées"
        )
    return (
        f"C'est fait : {what}. Tu peux repartir de zéro quand tu veux."
        if tu
        else f"C'est fait : {what}. Vous pouvez repartir de zéro quand vous voulez."
    )


def kept_message(command: str, references: list[str], register: str, resumed_form: bool) -> str:
    tu = register == "tu"
    if command == "delete_my_data":
        what = (
            f"{_requests(references, register)} et notre conversation sont conservées"
            if references
            else "notre conversation est conservée"
        )
        text = f"D'accord, je n'efface rien : {what}."
    else:
        text = "D'accord, on ne recommence pas : " + (
            "tes réponses sont conservées." if tu else "vos réponses sont conservées."
        )
    if resumed_form:
        text += " Reprenons ta demande de rappel." if tu else " Reprenons votre demande de rappel."
    return text
