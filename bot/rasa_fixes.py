"""Two fixes to Rasa 3.6 itself, applied in every Rasa server process that serves Boussole ESS.

Rasa 3.6 open source has no start-up hook for project code; the modules it imports from our
configuration are the place. `bot.channels` (named in `credentials.yml`, embedded and
production alike) and `bot.trackers` (production tracker store) call `apply()`; it is
idempotent and changes no answer, only what each costs or logs.

1. **Validating the action server's answers.** `RemoteAction._validate_action_result` calls
   `jsonschema.validate()`, which first checks Rasa's large response schema against the JSON
   Schema meta-schema and builds a new validator — on every custom action and form validation.
   Measured here: 42 ms of CPU per call (2.2 ms with a validator built once), the largest single
   cost of a turn (33–38 % of a sampling profile of the Rasa server, see docs/performance.md).
   The replacement validates against the same schema and raises the same `ValidationError`.

2. **Button payloads logged as errors.** Rasa interpolates slot values into every string of a
   response, buttons' payloads included; a payload such as `/choose{"stage": "idee"}` is read
   as a placeholder named `"stage": "idee"`, and Rasa logs an exception with a full traceback
   for each such button of each answer (then sends the payload unchanged). Intent payloads
   (starting with "/") are never templates, so they are now left alone without the log.
"""
from __future__ import annotations

from typing import Any, Dict, Text

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    _compile_action_response_validator()
    _leave_intent_payloads_alone()


def _compile_action_response_validator() -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)   # once, instead of on every call
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except jsonschema.ValidationError as e:
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result


def _leave_intent_payloads_alone() -> None:
    from rasa.core.nlg import interpolator

    interpolate_text = interpolator.interpolate_text

    def interpolate_text_except_payloads(response: Text, values: Dict[Text, Text]) -> Text:
        if response.startswith("/"):
            return response
        return interpolate_text(response, values)

    # `interpolate()` looks `interpolate_text` up in its module at each call.
    interpolator.interpolate_text = interpolate_text_except_payloads
