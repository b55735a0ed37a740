"""The deciding questions (`data/questions.yml`) and the buttons that answer them.

A button answers with the Rasa payload `/choose{"<question id>": "<value>"}`: the `choose`
intent carries one entity named after the question, which fills the slot of the same name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot import settings
from bot.orientation.catalogue import get_catalogue

QUESTIONS_FILE = settings.DATA_DIR / "questions.yml"
STAGES = ("idee", "reprise", "existante", "jeune")
# Question asked once the stage is known; "reprise" decides the offer at once.
QUESTION_OF_STAGE = {
    "idee": "creation_step",
    "existante": "existing_goal",
    "jeune": "youth_profile",
}
# Every question whose answer is an offer id.
OFFER_QUESTIONS = ("creation_step", "existing_goal", "youth_profile", "disambiguate")
ANSWER_SLOTS = ("stage",) + OFFER_QUESTIONS
OTHER = "autre"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    text_tu: str
    options: tuple[Option, ...]

    def ask(self, register: str = "vous") -> str:
        return self.text_tu if register == "tu" else self.text


def payload(question_id: str, value: str) -> str:
    return "/choose" + json.dumps({question_id: value}, ensure_ascii=False)


@lru_cache(maxsize=1)
def load_questions(path: Path | str = QUESTIONS_FILE) -> dict[str, Question]:
    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    catalogue = get_catalogue()
    result = {}
    for qid, item in raw.items():
        options = tuple(Option(str(o["value"]), str(o["label"])) for o in item.get("options", ()))
        for option in options:
            valid = STAGES if qid == "stage" else catalogue.offers
            if option.value not in valid:
                raise ValueError(f"{path}: question « {qid} » : valeur inconnue « {option.value} »")
        result[qid] = Question(qid, item["text"], item["text_tu"], options)
    missing = set(ANSWER_SLOTS) - set(result)
    if missing:
        raise ValueError(f"{path}: questions manquantes : {', '.join(sorted(missing))}")
    return result


def get_question(
    question_id: str, offers: list[str] | None = None, rejected: tuple[str, ...] = ()
) -> Question:
    """A question; for "disambiguate", its options are the given offers plus "Autre chose".
    Answers that only lead to an offer the person already turned down are not proposed."""
    question = load_questions()[question_id]
    if question_id == "disambiguate":
        catalogue = get_catalogue()
        options = tuple(Option(o, catalogue[o].title) for o in offers or ())
        return Question(
            question.id, question.text, question.text_tu, options + (Option(OTHER, "Autre chose"),)
        )
    leads_to = {"reprise": "reprise-cooperative"}
    kept = tuple(o for o in question.options if leads_to.get(o.value, o.value) not in rejected)
    return Question(question.id, question.text, question.text_tu, kept or question.options)
