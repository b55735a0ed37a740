"""Call-back actions: the contact form, the summary, the lead, privacy and feedback.

What they say is a response of domain.yml (picked here, worded there in the person's register)
or, for the summary, built by `bot.wording`.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.callback.form import (
    CONSENT_TEXT,
    CORRECTABLE,
    PATIENCE,
    is_question,
    lead_draft,
    read_details,
    required_slots,
    split_name,
)
from bot.callback.validators import (
    check_commune,
    check_consent,
    check_email,
    check_name,
    check_phone,
    check_summary,
)
from bot.followup.addresses import request as reply_address_request
from bot.leads.outbox import submit
from bot.leads.service import get_outbox, get_repository, get_settings
from bot.orientation.text import register_of
from bot.wording import summary
from bot.workspace.notify import notify_in_background

log = logging.getLogger(__name__)
# The channels whose people a follow-up can write back to (bot/followup/addresses.py).
MESSAGING_APPS = frozenset({"telegram", "twilio"})


def _register(tracker: Tracker) -> str:
    return "tu" if tracker.get_slot("register") == "tu" else "vous"


def _session_started(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return str(event.get("timestamp"))
    return "0"


class ValidateContactForm(FormValidationAction):
    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        return required_slots(
            tracker.get_slot("offer"),
            tracker.get_slot("stage"),
            bool(tracker.get_slot("human_requested")),
        )

    def _details(self, tracker: Tracker, field: str) -> dict[str, Any]:
        """Details given in the same message ("Léa Martin, lea@x.org, Firminy"): the field
        being asked, and the others not known yet."""
        found = read_details(tracker.latest_message.get("text") or "")
        own = set(CORRECTABLE.get(field, (field,)))
        return {k: v for k, v in found.items() if k in own or not tracker.get_slot(k)}

    def _reask(
        self,
        dispatcher: CollectingDispatcher,
        response: str,
        slot: str,
        tracker: Tracker,
        values: dict | None = None,
        help_response: str = "utter_form_stop_hint",
    ) -> dict[str, Any]:
        """Say what to type instead (a response of domain.yml) and count the failed try (see
        `_tries`); from the second failed try on, also say how to stop without losing
        anything (`help_response`), instead of looping."""
        retries = (tracker.get_slot("form_retries") or 0.0) + 1
        dispatcher.utter_message(response=response, **(values or {}))
        if retries >= PATIENCE:
            dispatcher.utter_message(response=help_response)
        return {slot: None, "form_retries": retries}

    def _refuse(
        self, dispatcher: CollectingDispatcher, checked, slot: str, tracker: Tracker
    ) -> dict[str, Any]:
        return self._reask(dispatcher, checked.error, slot, tracker, checked.values)

    @staticmethod
    def _tries(tracker: Tracker) -> int:
        """Failed tries so far at the current question (reset by every accepted answer)."""
        return int(tracker.get_slot("form_retries") or 0)

    async def run(self, dispatcher, tracker, domain):
        """A question about the ESS is answered, and the field asked again; anything else is
        an answer, whatever intent the NLU guessed ("Tom Beelys" is a name)."""
        message = tracker.latest_message
        intent = message.get("intent") or {}
        requested = tracker.get_slot("requested_slot")
        if requested and is_question(
            message.get("text") or "", intent.get("name"), float(intent.get("confidence") or 0.0)
        ):
            dispatcher.utter_message(response=f"utter_{intent.get('name')}")
            tracker.slots[requested] = None
            events = [SlotSet(requested, None)]
            following = await self.next_requested_slot(dispatcher, tracker, domain)
            return events + ([following] if following else [])
        events = await super().run(dispatcher, tracker, domain)
        filled = [
            e
            for e in events
            if e.get("event") == "slot"
            and e.get("name") == requested
            and e.get("value") is not None
        ]
        if filled:
            events.append(SlotSet("form_retries", 0.0))
        return events

    def validate_full_name(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        details = self._details(tracker, "full_name")
        if "full_name" in details:
            return {**details, "form_retries": 0.0}
        text = " ".join(str(value or "").split())
        parts = split_name(text)
        if not parts:
            single = check_name(text)
            if single.ok and self._tries(tracker) >= 1:
                # Second try with one word: a first name is enough to call someone back.
                return {
                    "full_name": single.value,
                    "first_name": single.value,
                    "last_name": None,
                    "form_retries": 0.0,
                }
            return self._reask(dispatcher, "utter_invalid_full_name", "full_name", tracker)
        first, last = check_name(parts[0]), check_name(parts[1], "nom")
        for checked in (first, last):
            if not checked.ok:
                return self._refuse(dispatcher, checked, "full_name", tracker)
        return {
            **details,
            "full_name": f"{first.value} {last.value}",
            "first_name": first.value,
            "last_name": last.value,
            "form_retries": 0.0,
        }

    def validate_contact(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        details = self._details(tracker, "contact")
        if "contact" in details:
            return details
        text = str(value or "")
        checked = check_email(text) if "@" in text else check_phone(text)
        if not checked.ok:
            # The help says why a contact is needed, and how to stop without giving one.
            return self._reask(
                dispatcher,
                checked.error,
                "contact",
                tracker,
                checked.values,
                help_response="utter_contact_help",
            )
        if "@" in text:
            return {"contact": checked.value, "email": checked.value}
        return {
            "contact": checked.value,
            "phone": checked.value,
            "phone_region": checked.extra["region"],
        }

    def validate_commune(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        checked = check_commune(str(value or ""))
        if not checked.ok and self._tries(tracker) + 1 >= PATIENCE and str(value or "").strip():
            # Third answer still unclear: keep it as typed, an advisor will sort it out.
            typed = " ".join(str(value).split())[:80]
            dispatcher.utter_message(response="utter_commune_noted", typed=typed)
            return {"commune": typed, "commune_insee": None, "on_territory": None}
        if not checked.ok:
            return self._refuse(dispatcher, checked, "commune", tracker)
        if not checked.extra["on_territory"]:
            dispatcher.utter_message(response="utter_commune_off_territory", place=checked.value)
        return {
            "commune": checked.value,
            "commune_insee": checked.extra["insee"],
            "on_territory": checked.extra["on_territory"],
        }

    def validate_structure_name(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        name = " ".join(str(value or "").split())
        if not name or len(name) > 200:
            return self._reask(
                dispatcher, "utter_invalid_structure_name", "structure_name", tracker
            )
        return {"structure_name": name}

    def validate_project_summary(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        checked = check_summary(str(value or ""))
        typed = " ".join(str(value or "").split())
        if not checked.ok and self._tries(tracker) + 1 >= PATIENCE and typed:
            return {"project_summary": typed[:600]}
        if not checked.ok:
            return self._refuse(dispatcher, checked, "project_summary", tracker)
        return {"project_summary": checked.value}

    def validate_consent(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or str(value or "")
        checked = check_consent(text)
        if not checked.ok:
            return self._refuse(dispatcher, checked, "consent", tracker)
        return {"consent": checked.value}


class ActionAskConsent(Action):
    """Asks for consent with the exact, versioned text stored with the lead."""

    def name(self) -> str:
        return "action_ask_consent"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_consent_question", consent_text=CONSENT_TEXT)
        return []


class ActionSummary(Action):
    """After the form: the summary to confirm, or what happens without consent."""

    def name(self) -> str:
        return "action_summary"

    def run(self, dispatcher, tracker, domain):
        if tracker.get_slot("consent") != "yes":
            dispatcher.utter_message(response="utter_no_consent")
            return [
                SlotSet(s, None)
                for s in (
                    "consent",
                    "full_name",
                    "first_name",
                    "last_name",
                    "contact",
                    "email",
                    "phone",
                )
            ]
        message = summary(tracker.current_slot_values(), _register(tracker))
        dispatcher.utter_message(text=message["text"], buttons=message["buttons"])
        return []


class ActionCorrect(Action):
    """ "Corriger le nom": forget that field; the form asks it again, then the summary."""

    def name(self) -> str:
        return "action_correct"

    def run(self, dispatcher, tracker, domain):
        field = tracker.get_slot("field")
        if field not in CORRECTABLE:
            dispatcher.utter_message(response="utter_which_field")
            return []
        return [SlotSet(s, None) for s in CORRECTABLE[field]] + [SlotSet("field", None)]


class ActionSubmitLead(Action):
    """Write the lead once, and tell the truth: saved with its reference, or queued."""

    def name(self) -> str:
        return "action_submit_lead"

    def run(self, dispatcher, tracker, domain):
        slots = tracker.current_slot_values()
        if slots.get("consent") != "yes" or not (slots.get("email") or slots.get("phone")):
            dispatcher.utter_message(response="utter_lead_incomplete")
            return []
        channel = tracker.get_latest_input_channel() or "rest"
        draft = lead_draft(tracker.sender_id, _session_started(tracker), slots, channel)
        repository = get_repository()
        result = submit(draft, repository, get_outbox())
        if result.status == "saved" and result.created:
            notify_in_background(repository, result.reference, get_settings().smtp)
        if result.status == "saved":
            if channel in MESSAGING_APPS:
                # The channel keeps its address on this lead for the follow-up messages.
                dispatcher.utter_message(json_message=reply_address_request(result.reference))
            dispatcher.utter_message(response="utter_lead_saved", reference=result.reference)
        else:
            dispatcher.utter_message(response="utter_lead_queued")
        dispatcher.utter_message(response="utter_ask_feedback")
        return [SlotSet("lead_reference", result.reference or "en attente")]


class ActionAskHuman(Action):
    def name(self) -> str:
        return "action_ask_human"

    def run(self, dispatcher, tracker, domain):
        # Often the first message ("tu peux me mettre en contact avec quelqu'un ?"): its register
        # is set here, and Rasa renders this turn's response with the slots of before the action.
        register = register_of(
            tracker.latest_message.get("text") or "", tracker.get_slot("register")
        )
        dispatcher.utter_message(
            response="utter_human_callback_tu" if register == "tu" else "utter_human_callback"
        )
        return [SlotSet("register", register), SlotSet("human_requested", True)]


class ActionFeedback(Action):
    def name(self) -> str:
        return "action_feedback"

    def run(self, dispatcher, tracker, domain):
        useful = {"oui": True, "non": False}.get(str(tracker.get_slot("useful") or ""))
        try:
            get_repository().record_feedback(tracker.sender_id, useful, tracker.get_slot("offer"))
        except Exception:  # noqa: BLE001 - feedback is optional, never break the conversation
            log.warning("feedback not recorded", exc_info=True)
        dispatcher.utter_message(response="utter_feedback_thanks")
        return []
