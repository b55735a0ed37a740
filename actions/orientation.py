"""Orientation actions: read the tracker, ask `bot.orientation.routing`, say what
`bot.wording` renders."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.orientation.facts import facts_from_parse
from bot.orientation.questions import ANSWER_SLOTS
from bot.orientation.routing import Orientation, reorient, route
from bot.orientation.text import clean, register_of
from bot.wording import (
    MESSAGING_CHANNELS,
    look_elsewhere,
    orientation_messages,
    problem_reply,
)

# Intents whose message is an answer to a question (the answers given so far still count).
ANSWER_INTENTS = {"choose", "inform"}
# What a second call-back request in the same conversation asks again (the contact stays).
SECOND_REQUEST_RESETS = ("project_summary", "structure_name", "consent", "lead_reference")


def _register(tracker: Tracker) -> str:
    return register_of(tracker.latest_message.get("text") or "", tracker.get_slot("register"))


def _compact(tracker: Tracker) -> bool:
    """On a phone (messaging apps) offer cards are short, with a link."""
    return tracker.get_latest_input_channel() in MESSAGING_CHANNELS


def _utter(dispatcher: CollectingDispatcher, messages: list[dict]) -> None:
    for message in messages:
        dispatcher.utter_message(
            text=message.get("text"),
            buttons=message.get("buttons"),
            json_message=message.get("custom"),
        )


def _unusable(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Answer an empty, huge or unreadable message with what to do instead; True if it was."""
    problem = clean(tracker.latest_message.get("text")).problem
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if problem and intent != "choose":
        dispatcher.utter_message(text=problem_reply(problem, _register(tracker)))
        return True
    return False


def _remember(orientation: Orientation, ranking: list, register: str) -> list[dict[str, Any]]:
    return [
        SlotSet("register", register),
        SlotSet("offer", orientation.offer.id if orientation.offer else None),
        SlotSet("pending_question", orientation.next_question),
        SlotSet(
            "last_orientation",
            {
                "ranking": ranking,
                "offer": orientation.offer.id if orientation.offer else None,
                "rule": orientation.rule,
            },
        ),
        SlotSet("misunderstood_count", 0.0),
    ]


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher, tracker, domain):
        register = _register(tracker)
        dispatcher.utter_message(response="utter_greet_tu" if register == "tu" else "utter_greet")
        return [SlotSet("register", register)]


class ActionOrient(Action):
    """Orient from the latest message and the answers given so far."""

    def name(self) -> str:
        return "action_orient"

    def run(self, dispatcher, tracker, domain):
        if _unusable(dispatcher, tracker):
            return []
        register = _register(tracker)
        parse = tracker.latest_message
        intent = (parse.get("intent") or {}).get("name")
        events: list[dict[str, Any]] = []
        if intent in ANSWER_INTENTS:
            answers = {s: tracker.get_slot(s) for s in ANSWER_SLOTS if tracker.get_slot(s)}
            rejected = tracker.get_slot("rejected_offers") or []
        else:
            # A new description: earlier answers and rejections belong to an older question.
            answers, rejected = {}, []
            events += [SlotSet(s, None) for s in ANSWER_SLOTS] + [SlotSet("rejected_offers", [])]
            if tracker.get_slot("lead_reference"):
                # A new project after a confirmed request: the first lead stays as it is; a
                # second request describes this project and asks for consent again.
                events += [SlotSet(s, None) for s in SECOND_REQUEST_RESETS]
        facts = facts_from_parse(parse, answers, rejected, register)
        orientation = route(facts)
        messages = orientation_messages(orientation, register, _compact(tracker))
        if not messages:
            dispatcher.utter_message(response="utter_please_rephrase")
        _utter(dispatcher, messages)
        ranking = (
            [[name, conf] for name, conf in facts.ranking]
            if intent not in ANSWER_INTENTS
            else (tracker.get_slot("last_orientation") or {}).get("ranking", [])
        )
        return events + _remember(orientation, ranking, register)


class ActionReorient(Action):
    """ "Ce n'est pas ça": set the offer aside and propose the next best, or ask."""

    def name(self) -> str:
        return "action_reorient"

    def run(self, dispatcher, tracker, domain):
        register = _register(tracker)
        last = tracker.get_slot("last_orientation") or {}
        rejected = list(tracker.get_slot("rejected_offers") or [])
        offer = tracker.get_slot("offer")
        if offer and offer not in rejected:
            rejected.append(offer)
        answers = {s: tracker.get_slot(s) for s in ANSWER_SLOTS if tracker.get_slot(s)}
        answers.pop("disambiguate", None)
        ranking = last.get("ranking") or []
        parse = {
            "text": "",
            "intent": {
                "name": ranking[0][0] if ranking else None,
                "confidence": ranking[0][1] if ranking else 0.0,
            },
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        }
        facts = facts_from_parse(parse, answers, rejected, register)
        orientation = reorient(facts)
        dispatcher.utter_message(text=look_elsewhere(register))
        _utter(dispatcher, orientation_messages(orientation, register, _compact(tracker)))
        return [SlotSet("rejected_offers", rejected), SlotSet("disambiguate", None)] + _remember(
            orientation, ranking, register
        )


def _keep_for_review(tracker: Tracker) -> None:
    """Every misunderstood message is kept for advisors to label (page « Messages incompris »),
    read by the organisation of the offer the conversation was routed to (none yet: admins only)."""
    from bot.leads.service import get_repository
    from bot.orientation.catalogue import get_catalogue

    message = tracker.latest_message
    try:
        offer = get_catalogue().offers.get(str(tracker.get_slot("offer") or ""))
        get_repository().record_misunderstood(
            tracker.sender_id,
            message.get("text") or "",
            [
                {"name": r.get("name"), "confidence": r.get("confidence")}
                for r in message.get("intent_ranking") or []
            ],
            organisation_id=offer.organisation if offer else None,
        )
    except Exception:  # noqa: BLE001 - never break the conversation for a review queue
        logging.getLogger(__name__).warning("misunderstood message not kept", exc_info=True)


class ActionFallback(Action):
    """A misunderstood message: ask to rephrase; after two in a row, offer a human."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher, tracker, domain):
        if _unusable(dispatcher, tracker):
            return []
        _keep_for_review(tracker)
        count = (tracker.get_slot("misunderstood_count") or 0.0) + 1
        if count >= 2:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return [SlotSet("misunderstood_count", count)]
