"""Facts about a person's situation, read from the NLU's output and from their answers.

The NLU gives an intent ranking and raw entity strings; routing needs clean facts: a commune of
the territory, a legal form from a closed list, an age as a number, a student flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.orientation.territory import CommuneMatch, match_commune, normalise

# A young person, for routing (the youth questions) and for a lead's "youth" flag: a student, or
# this age or under.
YOUTH_MAX_AGE = 25


def is_young(age: int | None, student: bool = False) -> bool:
    return student or (age is not None and age <= YOUTH_MAX_AGE)


# Normalised spelling → canonical legal form.
LEGAL_FORMS = {
    "association": "association",
    "asso": "association",
    "assos": "association",
    "associations": "association",
    "assoc": "association",
    "assocation": "association",
    "loi 1901": "association",
    "scop": "SCOP",
    "scic": "SCIC",
    "sarl": "SARL",
    "sas": "SAS",
    "sasu": "SAS",
    "sa": "SA",
    "eurl": "SARL",
    "cooperative": "coopérative",
    "coop": "coopérative",
    "cooperatives": "coopérative",
    "ei": "entreprise individuelle",
    "entreprise individuelle": "entreprise individuelle",
    "auto entrepreneur": "micro-entreprise",
    "autoentrepreneur": "micro-entreprise",
    "micro entreprise": "micro-entreprise",
    "fondation": "fondation",
    "mutuelle": "mutuelle",
    "societe commerciale": "société commerciale",
}

_NUMBER_WORDS = {
    "quinze": 15,
    "seize": 16,
    "dix sept": 17,
    "dix huit": 18,
    "dix neuf": 19,
    "vingt": 20,
    "vingt et un": 21,
    "vingt deux": 22,
    "vingt trois": 23,
    "vingt quatre": 24,
    "vingt cinq": 25,
    "vingt six": 26,
}
_AGE_IN_TEXT = re.compile(r"\b(\d{2})\s?(?:ans|an|a)\b")


def legal_form_of(text: str) -> str | None:
    norm = normalise(text)
    if norm in LEGAL_FORMS:
        return LEGAL_FORMS[norm]
    for word in norm.split():
        if word in LEGAL_FORMS:
            return LEGAL_FORMS[word]
    return None


def age_of(text: str) -> int | None:
    """An age in years from an entity value ("17", "17 ans", "dix-sept"); None if not plausible."""
    norm = normalise(str(text))
    digits = re.search(r"\d{1,3}", norm)
    value = int(digits.group()) if digits else _NUMBER_WORDS.get(norm.replace(" ans", ""))
    return value if value is not None and 10 <= value <= 99 else None


@dataclass(frozen=True)
class Facts:
    """Everything routing may use; built by `facts_from_parse`."""

    text: str = ""
    intent: str | None = None
    confidence: float = 0.0
    ranking: tuple[tuple[str, float], ...] = ()
    commune: CommuneMatch | None = None
    legal_forms: tuple[str, ...] = ()
    age: int | None = None
    student: bool = False
    answers: Mapping[str, str] = field(default_factory=dict)
    rejected: tuple[str, ...] = ()
    register: str = "vous"

    @property
    def youth(self) -> bool:
        return is_young(self.age, self.student)


def facts_from_parse(
    parse: Mapping[str, Any],
    answers: Mapping[str, str] | None = None,
    rejected: Iterable[str] = (),
    register: str = "vous",
) -> Facts:
    """Facts from a Rasa parse result (`tracker.latest_message` or `Agent.parse_message`)."""
    text = parse.get("text") or ""
    intent = (parse.get("intent") or {}).get("name")
    ranking = tuple(
        (r["name"], float(r.get("confidence") or 0.0))
        for r in parse.get("intent_ranking") or ()
        if r.get("name")
    )
    if not ranking and intent:
        ranking = ((intent, float(parse["intent"].get("confidence") or 0.0)),)
    commune, legal_forms, age, student = None, [], None, False
    for entity in parse.get("entities") or ():
        name, value = entity.get("entity"), str(entity.get("value") or "")
        if name == "commune" and commune is None:
            found = match_commune(value)
            if found.commune or found.candidates:
                commune = found
        elif name == "legal_form":
            form = legal_form_of(value)
            if form and form not in legal_forms:
                legal_forms.append(form)
        elif name == "age" and age is None:
            age = age_of(value)
        elif name == "student_status":
            student = True
    if age is None:
        match = _AGE_IN_TEXT.search(normalise(text))
        age = age_of(match.group(1)) if match else None
    if commune is None and text:
        found = match_commune(text, strict=True)
        if found.commune or found.candidates:
            commune = found
    return Facts(
        text=text,
        intent=intent,
        confidence=float((parse.get("intent") or {}).get("confidence") or 0.0),
        ranking=ranking,
        commune=commune,
        legal_forms=tuple(legal_forms),
        age=age,
        student=student,
        answers=dict(answers or {}),
        rejected=tuple(rejected),
        register=register,
    )
