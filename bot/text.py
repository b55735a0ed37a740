"""Incoming text: clean it, judge whether it can be understood, and read the person's register.

Anything can arrive from a chat box: nothing, kilobytes, emoji, control characters, markup,
another script. This module decides what the NLU gets and what to answer when it gets nothing.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot import settings

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanText:
    text: str            # what the NLU gets
    problem: str | None  # None, or why there is nothing to understand (key of PROBLEM_REPLIES)
    truncated: bool = False


PROBLEM_REPLIES = {
    "empty": "Je n'ai rien reçu. Décrivez votre projet en quelques mots, par exemple : "
             "« nous voulons reprendre notre entreprise en SCOP ».",
    "no_letters": "Je n'ai pas trouvé de mots dans votre message. Décrivez votre projet en "
                  "quelques mots, par exemple : « j'ai une idée d'épicerie solidaire ».",
    "too_long": "Votre message est très long. Pouvez-vous résumer votre projet en quelques "
                "phrases ? Par exemple : « notre association veut créer une nouvelle activité ».",
    "not_latin": "Je ne comprends que le français, désolé. Pouvez-vous décrire votre projet en "
                 "français ? Un·e conseiller·ère peut aussi vous rappeler.",
}


def clean(text: object) -> CleanText:
    """Normalise a raw message for the NLU; never raises."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > settings.MAX_MESSAGE_CHARS:
        return CleanText(text[: settings.MAX_MESSAGE_CHARS], "too_long", truncated=True)
    truncated = False
    if not text:
        return CleanText("", "empty")
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return CleanText(text, "no_letters", truncated)
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    if latin / len(letters) < 0.5:
        return CleanText(text, "not_latin", truncated)
    return CleanText(text, None, truncated)


_TU = re.compile(
    r"\b(tu|toi|te|ton|ta|tes|t'|t’|peux[- ]tu|sais[- ]tu|stp|tkt|wesh|slt|jsui|jsais|chui)\b"
    r"|\bt'(?:es|as|aurais|pourrais)\b|\bt(?:es|as)\b",
    re.IGNORECASE)
_VOUS = re.compile(r"\b(vous|votre|vos|pourriez|auriez|svp|s'il vous pla[iî]t)\b", re.IGNORECASE)


def register_of(text: str, previous: str | None = None) -> str:
    """'tu' or 'vous': answer people in the register they use; 'vous' until they tutoient."""
    if _VOUS.search(text or ""):
        return "vous"
    if _TU.search(text or ""):
        return "tu"
    return previous or "vous"
