"""Incoming text: clean it, judge whether it can be understood, and read the person's register.

Anything can arrive from a chat box: nothing, kilobytes, emoji, control characters, markup,
another script. This module decides what the NLU gets and what to answer when it gets nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot import settings

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


def fold_accents(text: str) -> str:
    """The text without accents or ligatures ("Chambon-Feugerolles", "cœur" → "coeur"); case
    is kept. The one way communes, lookups and button titles are compared."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in text if not unicodedata.combining(c))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanText:
    text: str  # what the NLU gets
    problem: str | None  # None, or why there is nothing to understand (bot.wording.problem_reply)
    truncated: bool = False


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
    if _looks_foreign(text):
        return CleanText(text, "foreign", truncated)
    return CleanText(text, None, truncated)


# Function words: a message made of English (or Spanish) ones is not French, even when its
# content words ("job", "business") look like franglais.
_FOREIGN_WORDS = frozenset(
    "the you can could would help me my with please find is are what how i to an in for of and "
    "this that do does want need where looking hello hi it we our your el la los las por favor "
    "quiero necesito ayuda trabajo como que es una".split()
)
_FRENCH_WORDS = frozenset(
    "je j tu il elle on nous vous le la les l de des du un une et pour avec mon ma mes notre "
    "nos votre est sont pas que qui dans sur en au aux ce cette c ai as a veux voudrais "
    "bonjour salut merci suis jsuis jveux".split()
)


def _looks_foreign(text: str) -> bool:
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    foreign = sum(w in _FOREIGN_WORDS and w not in _FRENCH_WORDS for w in words)
    french = sum(w in _FRENCH_WORDS for w in words)
    return foreign >= 3 and foreign > 2 * french


_TU = re.compile(
    r"\b(tu|toi|te|ton|ta|tes|t'|t’|peux[- ]tu|sais[- ]tu|stp|tkt|wesh|wsh|slt|jsui|jsais|chui"
    r"|salut|coucou|yo)\b"
    r"|\bt'(?:es|as|aurais|pourrais)\b|\bt(?:es|as)\b",
    re.IGNORECASE,
)
_VOUS = re.compile(r"\b(vous|votre|vos|pourriez|auriez|svp|s'il vous pla[iî]t)\b", re.IGNORECASE)


def register_of(text: str, previous: str | None = None) -> str:
    """'tu' or 'vous': answer people in the register they use; 'vous' until they tutoient."""
    if _VOUS.search(text or ""):
        return "vous"
    if _TU.search(text or ""):
        return "tu"
    return previous or "vous"


_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>")


def without_markup(text: str) -> str:
    """Text without HTML tags: "<b>bonjour</b>" is read as "bonjour" (markup means nothing
    about a project, and is never displayed as such: the widget escapes everything)."""
    if "<" not in text:
        return text
    return _SPACES.sub(" ", _MARKUP.sub(" ", text)).strip() or text
