"""Validation of the contact details a person gives for a call-back.

Each validator takes what the person typed and returns a `Checked`: the clean value to store, or
the name of the `domain.yml` response that says exactly what to type instead (with a `tu`
variation), and the values its text needs. Nothing here talks to the network (e-mail domains
are not resolved).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError
from email_validator import validate_email as _validate_email

from bot.orientation.territory import CommuneMatch, match_commune, normalise

MAX_NAME = 60
MAX_SUMMARY = 600


@dataclass(frozen=True)
class Checked:
    value: str | None = None
    error: str | None = None  # a response of domain.yml, e.g. "utter_invalid_email"
    extra: dict | None = None
    values: dict | None = None  # the variables of the error's text, e.g. {"what": "nom"}

    @property
    def ok(self) -> bool:
        return self.error is None


_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*\.?$")


def check_name(text: str, what: str = "prénom") -> Checked:
    """A first or last name: letters, spaces, hyphens, apostrophes; no digits, no markup."""
    value = " ".join(unicodedata.normalize("NFC", str(text or "")).split())
    if not value:
        return Checked(error="utter_invalid_name_empty", values={"what": what})
    if len(value) > MAX_NAME:
        return Checked(
            error="utter_invalid_name_too_long", values={"what": what, "limit": MAX_NAME}
        )
    if not _NAME.match(value):
        return Checked(error="utter_invalid_name_letters", values={"what": what})
    return Checked(value=value[:1].upper() + value[1:])


def check_email(text: str) -> Checked:
    value = str(text or "").strip()
    if not value:
        return Checked(error="utter_ask_contact")
    try:
        result = _validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return Checked(error="utter_invalid_email")
    return Checked(value=result.normalized)


# Overseas departments and territories: country calling code → (name, digits after the code);
# national prefixes of their numbers (0 + 3 digits) → calling code.
OVERSEAS_CODES = {
    "262": ("La Réunion / Mayotte", 9),
    "269": ("Mayotte", 9),
    "590": ("Guadeloupe", 9),
    "594": ("Guyane", 9),
    "596": ("Martinique", 9),
    "508": ("Saint-Pierre-et-Miquelon", 6),
    "681": ("Wallis-et-Futuna", 6),
    "687": ("Nouvelle-Calédonie", 6),
    "689": ("Polynésie française", 8),
}
OVERSEAS_PREFIXES = {
    "0262": "262",
    "0692": "262",
    "0693": "262",
    "0269": "262",
    "0639": "262",
    "0590": "590",
    "0690": "590",
    "0691": "590",
    "0594": "594",
    "0694": "594",
    "0596": "596",
    "0696": "596",
    "0697": "596",
}


def check_phone(text: str) -> Checked:
    """A French number (06 12 34 56 78, +33 6…, 0033…) or an overseas one; stored as E.164."""
    raw = str(text or "").strip()
    if not raw:
        return Checked(error="utter_ask_contact")
    if re.search(r"[a-zA-Z]", raw):
        return Checked(error="utter_invalid_phone_letters")
    digits = re.sub(r"[\s.\-()/]", "", raw)
    bad = Checked(error="utter_invalid_phone")
    if not re.fullmatch(r"\+?\d+", digits):
        return bad
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        for code, (region, length) in OVERSEAS_CODES.items():
            if digits.startswith("+" + code) and len(digits) == 1 + len(code) + length:
                return Checked(value=digits, extra={"region": region})
        if digits.startswith("+33"):
            national = digits[3:]
            if national.startswith("0"):
                national = national[1:]
            if re.fullmatch(r"[1-9]\d{8}", national):
                return _french("0" + national)
        return bad
    if re.fullmatch(r"0[1-9]\d{8}", digits):
        return _french(digits)
    return bad


def _french(national: str) -> Checked:
    code = OVERSEAS_PREFIXES.get(national[:4])
    if code:
        return Checked(value=f"+{code}{national[1:]}", extra={"region": OVERSEAS_CODES[code][0]})
    return Checked(value="+33" + national[1:], extra={"region": "France métropolitaine"})


def format_phone(e164: str) -> str:
    """+33612345678 → 06 12 34 56 78, for people to read."""
    if e164.startswith("+33") and len(e164) == 12:
        national = "0" + e164[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return e164


_YES = {
    "oui",
    "ouais",
    "ouaip",
    "yes",
    "ok",
    "okay",
    "d accord",
    "dac",
    "j accepte",
    "je suis d accord",
    "oui j accepte",
    "oui je suis d accord",
    "oui d accord",
    "oui bien sur",
    "bien sur",
    "oui ok",
    "ok pour moi",
    "c est bon",
    "oui c est bon",
    "volontiers",
    "oui volontiers",
    "tout a fait",
    "absolument",
    "accepte",
    "je consens",
    "oui je consens",
    "j y consens",
    "ok d accord",
}
_NO = {
    "non",
    "no",
    "nan",
    "non merci",
    "je refuse",
    "refuse",
    "pas d accord",
    "je ne suis pas d accord",
    "surtout pas",
    "jamais",
    "non je refuse",
}


def check_consent(text: str) -> Checked:
    """Consent only on an explicit yes; "peut-être" or anything unclear is asked again."""
    norm = normalise(text or "")
    norm = re.sub(r"\b(merci|svp|stp)\b", "", norm).strip()
    if norm in _YES or norm == "/affirm":
        return Checked(value="yes")
    if norm in _NO or norm == "/deny":
        return Checked(value="no")
    return Checked(error="utter_invalid_consent")


def check_commune(text: str) -> Checked:
    """A commune: on the territory, or ambiguous (ask which), or off the territory (flagged)."""
    match: CommuneMatch = match_commune(str(text or ""))
    if match.commune is not None and not match.shared_postal_code:
        return Checked(
            value=match.commune.name, extra={"insee": match.commune.insee, "on_territory": True}
        )
    if match.candidates:
        names = ", ".join(c.name for c in match.candidates)
        error = (
            "utter_invalid_commune_shared_postal_code"
            if match.shared_postal_code
            else "utter_invalid_commune_postal_code"
        )
        return Checked(
            error=error,
            values={"names": names},
            extra={"candidates": [c.name for c in match.candidates]},
        )
    value = " ".join(str(text or "").split())[:80]
    if not value or not re.search(r"[^\W\d_]", value):
        return Checked(error="utter_ask_commune")
    return Checked(value=value, extra={"insee": None, "on_territory": False})


def check_summary(text: str) -> Checked:
    value = " ".join(str(text or "").split())
    if len(value) < 10:
        return Checked(error="utter_invalid_project_summary_short")
    if len(value) > MAX_SUMMARY:
        return Checked(error="utter_invalid_project_summary_long", values={"limit": MAX_SUMMARY})
    return Checked(value=value)
