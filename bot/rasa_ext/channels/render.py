"""How the assistant's messages fit a phone: short parts, numbered choices, quick-reply titles.

Pure functions, shared by the channels and testable without a server.
"""

from __future__ import annotations

import re

from bot.orientation.text import fold_accents

NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
}


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into parts of at most `limit` characters, at paragraph, line or word ends."""
    text = (text or "").strip()
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut < limit // 3:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 3:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def short_title(title: str, limit: int) -> str:
    """A button title cut to a platform's limit (Messenger: 20 characters)."""
    title = title.strip()
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def numbered_choices(text: str, buttons: list[dict]) -> str:
    """Buttons as a numbered list under the text, for SMS and WhatsApp."""
    lines = [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1)]
    hint = "(répondre par le numéro)"
    return "\n".join([text.strip(), "", *lines, hint]) if text else "\n".join([*lines, hint])


def _key(text: str) -> str:
    text = fold_accents(text.casefold())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def choice_payload(text: str, buttons: list[dict]) -> str | None:
    """The payload of the button a reply designates: its number ("2", "2.", "deux") or its title."""
    if not buttons or not text:
        return None
    key = _key(text)
    number = int(key) if key.isdigit() else NUMBER_WORDS.get(key)
    if number is not None:
        return buttons[number - 1].get("payload") if 1 <= number <= len(buttons) else None
    for button in buttons:
        if key and _key(button.get("title", "")) == key:
            return button.get("payload")
    return None
