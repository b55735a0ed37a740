"""What the assistant says about an orientation: offer cards and deciding questions.

Pure functions returning message dicts in Rasa's shape (`text`, `buttons`, `custom`), so the
actions only forward them and tests can read them without a Rasa server.
"""
from __future__ import annotations

from bot import settings
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
            mark(s.title.split(" — ")[0], s.id == offer.id) for s in steps)
    if offer.phase in PROGRAMME_PATH:
        return "Dans le programme : " + " → ".join(
            mark(PHASES[p], p == offer.phase) for p in PROGRAMME_PATH)
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
        f"{_tu(register, 'Je vous propose', 'Je te propose')} : {offer.title}.\n"
        f"{orientation.explanation}\n\n"
        f"{more} : {offer_url(offer)}"
    ) if compact else (
        f"{_tu(register, 'Je vous propose', 'Je te propose')} : {offer.title}.\n"
        f"{offer.summary}\n\n"
        f"{orientation.explanation}\n\n"
        f"{_tu(register, 'Ce que vous y trouverez', 'Ce que tu y trouveras')} :\n{benefits}\n\n"
        f"{path_line(offer)}"
    )
    return {
        "text": text,
        "buttons": [
            {"title": "Être rappelé·e", "payload": CALLBACK},
            {"title": "Ce n'est pas ça", "payload": NOT_THIS},
            {"title": "Recommencer", "payload": RESTART},
        ],
        "custom": {"offer": {"id": offer.id, "title": offer.title, "phase": offer.phase,
                             "why": orientation.explanation}},
    }


def question_message(orientation: Orientation, register: str = "vous") -> dict:
    """A deciding question with one button per possible answer."""
    question = get_question(orientation.next_question, list(orientation.options),
                            orientation.rejected)
    return {
        "text": question.ask(register),
        "buttons": [{"title": o.label, "payload": payload(question.id, o.value)}
                    for o in question.options],
    }


def orientation_messages(orientation: Orientation, register: str = "vous",
                         compact: bool = False) -> list[dict]:
    if orientation.offer is not None:
        return [offer_card(orientation, register, compact)]
    if orientation.next_question:
        return [question_message(orientation, register)]
    return []
