"""Irreversible commands (erase my data, start over during a form): ask, then act on a yes."""

from __future__ import annotations

from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import ActiveLoop, FollowupAction, Restarted, SlotSet

from bot.leads.service import get_repository, get_settings
from bot.orientation.commands import DESTRUCTIVE, is_explicit_yes
from bot.orientation.routing import SITUATION_PREFIX
from bot.wording import confirmation_buttons, confirmation_question, erased_message, kept_message
from bot.workspace.privacy import erase_conversation

# After "no", a message that was really a project is oriented at once.
PROJECT_INTENTS_PREFIX = (SITUATION_PREFIX, "describe_project")


def _register(tracker) -> str:
    return "tu" if tracker.get_slot("register") == "tu" else "vous"


def _references(tracker) -> list[str]:
    try:
        return get_repository().references(tracker.sender_id)
    except Exception:  # noqa: BLE001 - the question still makes sense without the count
        return []


class ActionPrepareCommand(Action):
    """Remember which command waits for a yes, and which form to resume on a no."""

    def name(self) -> str:
        return "action_prepare_command"

    def run(self, dispatcher, tracker, domain):
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        command = intent if intent in DESTRUCTIVE else "delete_my_data"
        return [
            SlotSet("pending_command", command),
            SlotSet("resume_form", tracker.active_loop.get("name")),
        ]


class ActionAskCommandConfirmation(Action):
    def name(self) -> str:
        return "action_ask_command_confirmation"

    def run(self, dispatcher, tracker, domain):
        command = tracker.get_slot("pending_command") or "delete_my_data"
        dispatcher.utter_message(
            text=confirmation_question(command, _references(tracker), _register(tracker)),
            buttons=confirmation_buttons(command),
        )
        return []


class ValidateConfirmCommandForm(FormValidationAction):
    """Every answer ends the question: "yes" only when it is explicit."""

    def name(self) -> str:
        return "validate_confirm_command_form"

    def validate_command_confirmation(self, value, dispatcher, tracker, domain):
        if value is None:  # not answered yet (the form is being activated)
            return {"command_confirmation": None}
        return {"command_confirmation": "yes" if is_explicit_yes(str(value)) else "no"}


class ActionRunCommand(Action):
    def name(self) -> str:
        return "action_run_command"

    def run(self, dispatcher, tracker, domain):
        command = tracker.get_slot("pending_command")
        register = _register(tracker)
        done = [
            SlotSet("pending_command", None),
            SlotSet("command_confirmation", None),
            SlotSet("resume_form", None),
        ]
        if tracker.get_slot("command_confirmation") == "yes" and command == "delete_my_data":
            leads = erase_conversation(
                tracker.sender_id,
                url=get_settings().trackers_url,
                channel=tracker.get_latest_input_channel() or "rest",
            )
            dispatcher.utter_message(text=erased_message(leads, register))
            return [Restarted()]
        if tracker.get_slot("command_confirmation") == "yes" and command == "restart":
            dispatcher.utter_message(response="utter_restart")
            return [Restarted()]
        resume = tracker.get_slot("resume_form")
        dispatcher.utter_message(
            text=kept_message(
                command or "delete_my_data",
                _references(tracker),
                register,
                resumed_form=bool(resume),
            )
        )
        if resume:
            return done + [FollowupAction(resume)]
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        if intent.startswith(PROJECT_INTENTS_PREFIX):
            return done + [FollowupAction("action_orient")]
        return done


class ActionRestart(Action):
    """Rasa's restart, except that a form under way is not thrown away on a word: ask first."""

    def name(self) -> str:
        return "action_restart"

    def run(self, dispatcher, tracker, domain):
        form = tracker.active_loop.get("name")
        if form and form != "confirm_command_form":
            return [
                SlotSet("pending_command", "restart"),
                SlotSet("resume_form", form),
                ActiveLoop(None),
                SlotSet("requested_slot", None),
                FollowupAction("confirm_command_form"),
            ]
        dispatcher.utter_message(response="utter_restart")
        return [Restarted()]
