"""What a person reads, rendered the way Rasa renders it: `domain.yml`'s responses through
Rasa's own NLG (conditional variations on the `register` slot, `{variables}` filled in), so
action tests read text without a Rasa server."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What rasa_sdk's dispatcher puts in a message besides the response's variables.
_NOT_VALUES = frozenset(
    {
        "response",
        "template",
        "text",
        "buttons",
        "image",
        "elements",
        "attachment",
        "custom",
        "json_message",
    }
)


@lru_cache(maxsize=1)
def _domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml"))


def render(response: str, register: str | None = "vous", **values) -> dict:
    """One response of domain.yml as Rasa sends it to someone whose register is `register`."""
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = _domain()
    assert response in domain.responses, f"{response} is not a response of domain.yml"
    events = [SlotSet("register", register)] if register else []
    tracker = DialogueStateTracker.from_events("rendering", events, slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    message = asyncio.run(nlg.generate(response, tracker, "rest", **values))
    message.pop("condition", None)
    return message


def rendered(messages: list[dict], register: str | None = "vous") -> list[dict]:
    """A dispatcher's messages as the person reads them: a response name becomes its text."""
    out = []
    for message in messages:
        if message.get("response"):
            values = {k: v for k, v in message.items() if k not in _NOT_VALUES and v is not None}
            shown = render(message["response"], register, **values)
            shown["buttons"] = shown.get("buttons", []) + (message.get("buttons") or [])
            out.append(shown)
        else:
            out.append(message)
    return out


def texts(messages: list[dict], register: str | None = "vous") -> list[str]:
    return [m.get("text") or "" for m in rendered(messages, register)]
