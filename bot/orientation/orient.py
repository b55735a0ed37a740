"""One-shot orientation: text → cleaned text → NLU → facts → routing → the `bot orient` JSON.

The chat's action_orient runs the same `facts_from_parse` and `route` on the tracker's parse
result, so a first message is oriented identically by the CLI and the chat.
"""

from __future__ import annotations

from typing import Any

from bot.orientation.facts import facts_from_parse
from bot.orientation.nlu import NLU
from bot.orientation.routing import route
from bot.orientation.text import clean, register_of
from bot.wording import problem_reply


def unusable(text: str, problem: str) -> dict[str, Any]:
    """The answer for a message with nothing to understand: no offer, a polite explanation."""
    return {
        "text": text,
        "offer": None,
        "confidence": 0.0,
        "phase": None,
        "alternatives": [],
        "explanation": problem_reply(problem, register_of(text)),
        "next_question": None,
        "intent": None,
    }


class Orienter:
    def __init__(self, nlu: NLU | None = None):
        self.nlu = nlu or NLU()

    def orient(self, text: object) -> dict[str, Any]:
        return self.parse_and_orient(text)[1]

    def parse_and_orient(self, text: object) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """The NLU's parse (None for an unusable message) and the `bot orient` JSON."""
        raw = text if isinstance(text, str) else ("" if text is None else str(text))
        cleaned = clean(raw)
        if cleaned.problem:
            return None, unusable(raw, cleaned.problem)
        parse = self.nlu.parse(cleaned.text)
        facts = facts_from_parse(parse, register=register_of(cleaned.text))
        return parse, route(facts).as_dict(raw)
