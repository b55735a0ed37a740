"""Contact details taken out of free text kept for review: people write their phone number or
e-mail address to the assistant, and advisors of any organisation may read what is kept."""

from __future__ import annotations

import re

EMAIL = "[e-mail]"
PHONE = "[téléphone]"

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_SEP = r"[ .\-\u00a0]?"
# French numbers: 0 then nine digits, or +33 / 0033 (optionally "(0)") then nine digits.
_FRENCH = re.compile(
    r"(?<![\w+])(?:(?:\+|00)"
    + _SEP
    + r"33"
    + _SEP
    + r"(?:\(0\)"
    + _SEP
    + r")?|0)[1-9](?:"
    + _SEP
    + r"\d{2}){4}(?!\d)"
)
# Other international numbers: + or 00, a country code, then groups of digits (7 to 15 in all).
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)[1-9][\d \.\-\u00a0()]{5,22}\d(?!\d)")


def _international(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group())
    return PHONE if 8 <= digits <= 17 else match.group()


def scrub(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text or "")
    text = _FRENCH.sub(PHONE, text)
    return _INTERNATIONAL.sub(_international, text)
