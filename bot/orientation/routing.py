"""Facts → orientation: which offer, why, or which question to ask. The heart, pure Python.

The routing table (rules are tried in order; the first that applies decides):

| rule | when | result |
|------|------|--------|
| R0 | no usable text / no intent | no offer, no question |
| R1 | the NLU's best intent is not a situation (greeting, FAQ, out of scope, ...), or a situation below ASK_THRESHOLD, and no question is pending | no offer — never a guess (the dialogue's fallback asks to rephrase) |
| R2 | best intent is `situation_<offer>` with confidence ≥ ROUTE_THRESHOLD and ahead of every other reading — the next situation, and the best non-situation intent (a question, small talk, out of scope) — by ≥ MARGIN | that offer (then R5) |
| R3 | best intent is a situation, but below R2's bar and ≥ ASK_THRESHOLD | question `disambiguate` between the likely offers |
| R4 | a project without deciding facts (`describe_project`, an answer, an unsure situation) | the answers decide: `disambiguate`/`creation_step`/`existing_goal`/`youth_profile` give the offer, `stage` = reprise gives `reprise-cooperative`; otherwise the next missing question (`stage` first; a young person or a student skips to `youth_profile`) |
| R5 | refinement of an offer by age | `cjs` is for 16–18: an older person (≤ 25) is sent to `reve-et-realise` |
| R6 | the offer was rejected ("ce n'est pas ça") | the other likely offers are proposed (`disambiguate`), or the questions start again |

Confidence figures come from DIET's softmax. The thresholds were chosen by hand (route only when
clearly ahead, ask rather than guess) and checked on the held-out dev set
(`python -m bot evaluate`); they were not tuned on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.orientation.catalogue import Catalogue, Offer, get_catalogue
from bot.orientation.facts import Facts
from bot.orientation.questions import OFFER_QUESTIONS, OTHER, QUESTION_OF_STAGE

ROUTE_THRESHOLD = 0.5
MARGIN = 0.15
ASK_THRESHOLD = 0.2
ALTERNATIVE_MIN = 0.05
MAX_ALTERNATIVES = 3

# Intents that describe a project without deciding the offer: questions decide.
PROJECT_INTENTS = frozenset({"describe_project", "choose", "inform"})
FALLBACK_INTENT = "nlu_fallback"


# Each offer has its NLU intent: offer "reprise-cooperative" is intent "situation_reprise_cooperative".
SITUATION_PREFIX = "situation_"


def intent_of_offer(offer_id: str) -> str:
    return SITUATION_PREFIX + offer_id.replace("-", "_")


def offer_id_in(intent: str | None) -> str | None:
    """The offer id an intent names, whether or not the catalogue has it; None if not a situation."""
    if not intent or not intent.startswith(SITUATION_PREFIX):
        return None
    return intent[len(SITUATION_PREFIX) :].replace("_", "-")


def offer_of_intent(intent: str | None, catalogue: Catalogue) -> str | None:
    offer_id = offer_id_in(intent)
    return offer_id if offer_id is not None and offer_id in catalogue else None


@dataclass(frozen=True)
class Orientation:
    """The routing decision, with what a person or an advisor needs to understand it."""

    offer: Offer | None
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    explanation: str
    next_question: str | None
    intent: str | None
    rule: str
    options: tuple[str, ...] = field(default=())  # offers proposed by the "disambiguate" question
    rejected: tuple[str, ...] = field(default=())  # offers the person turned down

    def as_dict(self, text: str) -> dict:
        """The `bot orient` JSON contract."""
        return {
            "text": text,
            "offer": self.offer.id if self.offer else None,
            "confidence": round(self.confidence, 4),
            "phase": self.offer.phase if self.offer else None,
            "alternatives": [{"offer": o, "confidence": round(c, 4)} for o, c in self.alternatives],
            "explanation": self.explanation,
            "next_question": self.next_question,
            "intent": self.intent,
        }


def _situations(facts: Facts, catalogue: Catalogue) -> list[tuple[str, float]]:
    """Offers in the NLU's ranking, best first, without the rejected ones."""
    result = []
    for intent, confidence in facts.ranking:
        offer_id = offer_of_intent(intent, catalogue)
        if offer_id and offer_id not in facts.rejected:
            result.append((offer_id, confidence))
    return result


def _best_other_reading(facts: Facts, top: str) -> float:
    """The confidence of the best non-situation reading (a greeting, a question, out of scope…)."""
    return next(
        (
            c
            for i, c in facts.ranking
            if i not in (top, FALLBACK_INTENT) and not i.startswith("situation_")
        ),
        0.0,
    )


def _top_intent(facts: Facts) -> tuple[str | None, float]:
    """The best real intent: Rasa's FallbackClassifier puts `nlu_fallback` above it."""
    for intent, confidence in facts.ranking:
        if intent != FALLBACK_INTENT:
            return intent, confidence
    return facts.intent, facts.confidence


def route(facts: Facts, catalogue: Catalogue | None = None) -> Orientation:
    """Apply the routing table to the facts."""
    catalogue = catalogue or get_catalogue()
    intent, confidence = _top_intent(facts)
    situations = _situations(facts, catalogue)
    top_offer = offer_of_intent(intent, catalogue)

    def result(
        offer_id: str | None,
        conf: float,
        rule: str,
        explanation: str = "",
        question: str | None = None,
        options: tuple[str, ...] = (),
    ) -> Orientation:
        offer = catalogue[offer_id] if offer_id else None
        alternatives = tuple(
            (o, c) for o, c in situations if o != offer_id and c >= ALTERNATIVE_MIN
        )[:MAX_ALTERNATIVES]
        if offer and not explanation:
            explanation = offer.why_tu if facts.register == "tu" else offer.why
        return Orientation(
            offer, conf, alternatives, explanation, question, intent, rule, options, facts.rejected
        )

    if not intent:
        return result(None, 0.0, "R0")

    # R2 (+R5): a confident situation intent decides.
    if top_offer and top_offer not in facts.rejected:
        second = max(
            next((c for o, c in situations if o != top_offer), 0.0),
            _best_other_reading(facts, intent),
        )
        if confidence >= ROUTE_THRESHOLD and confidence - second >= MARGIN:
            return _refine_by_age(result(top_offer, confidence, "R2"), facts, catalogue, result)

    # R6: everything the NLU suggested was rejected, or the person rejects the offer.
    pending = any(facts.answers.get(q) for q in ("stage",) + OFFER_QUESTIONS)
    unsure_situation = top_offer is not None and confidence >= ASK_THRESHOLD
    if unsure_situation or intent in PROJECT_INTENTS or pending:
        # R4: answers already given decide.
        decided = _decided_by_answers(facts, catalogue)
        if decided:
            return result(decided, 1.0, "R4", _answer_explanation(catalogue[decided], facts))
        # R3: an unsure situation → choose between the likely offers.
        likely = tuple(o for o, c in situations if c >= ASK_THRESHOLD)[:MAX_ALTERNATIVES]
        if unsure_situation and likely and facts.answers.get("disambiguate") != OTHER:
            if len(likely) == 1:
                likely = tuple(o for o, c in situations)[:2]
            return result(None, confidence, "R3", question="disambiguate", options=likely)
        # R4: the next missing answer.
        return result(None, confidence, "R4", question=_next_question(facts))

    # R1: not a project.
    return result(None, confidence, "R1")


def _decided_by_answers(facts: Facts, catalogue: Catalogue) -> str | None:
    for question in OFFER_QUESTIONS:
        value = facts.answers.get(question)
        if value and value in catalogue and value not in facts.rejected:
            return value
    if facts.answers.get("stage") == "reprise" and "reprise-cooperative" not in facts.rejected:
        return "reprise-cooperative"
    return None


def _next_question(facts: Facts) -> str:
    stage = facts.answers.get("stage")
    if stage in QUESTION_OF_STAGE:
        return QUESTION_OF_STAGE[stage]
    if stage is None and facts.youth and facts.intent == "describe_project":
        return "youth_profile"
    return "stage"


def _answer_explanation(offer: Offer, facts: Facts) -> str:
    return offer.why_tu if facts.register == "tu" else offer.why


def _refine_by_age(
    orientation: Orientation, facts: Facts, catalogue: Catalogue, result
) -> Orientation:
    """R5: the CJS is for 16–18-year-olds; at 19–25, Rêve et Réalise is the youth offer."""
    offer = orientation.offer
    if (
        offer
        and offer.id == "cjs"
        and facts.age is not None
        and 18 < facts.age <= 25
        and "reve-et-realise" not in facts.rejected
    ):
        target = catalogue["reve-et-realise"]
        why = target.why_tu if facts.register == "tu" else target.why
        if facts.register == "tu":
            lead = (
                f"La Coopérative Jeunesse de Services est réservée aux 16–18 ans ; "
                f"à {facts.age} ans, Rêve et Réalise te correspond mieux. "
            )
        else:
            lead = (
                f"La Coopérative Jeunesse de Services est réservée aux 16–18 ans ; "
                f"à {facts.age} ans, Rêve et Réalise correspond mieux. "
            )
        return result("reve-et-realise", orientation.confidence, "R5", lead + why)
    return orientation


def reorient(facts: Facts, catalogue: Catalogue | None = None) -> Orientation:
    """R6: after "ce n'est pas ça", propose the other offers the NLU considered, else ask.

    `facts.rejected` holds the offers already turned down; `facts.ranking` is the ranking of the
    message that led to the rejected offer.
    """
    catalogue = catalogue or get_catalogue()
    others = tuple(o for o, c in _situations(facts, catalogue) if c >= ALTERNATIVE_MIN)[
        :MAX_ALTERNATIVES
    ]
    intent, confidence = _top_intent(facts)
    if others and facts.answers.get("disambiguate") != OTHER:
        return Orientation(
            None,
            confidence,
            tuple((o, c) for o, c in _situations(facts, catalogue) if o in others),
            "",
            "disambiguate",
            intent,
            "R6",
            others,
        )
    decided = _decided_by_answers(facts, catalogue)
    if decided:
        return Orientation(
            catalogue[decided],
            1.0,
            (),
            _answer_explanation(catalogue[decided], facts),
            None,
            intent,
            "R6",
        )
    return Orientation(
        None, confidence, (), "", _next_question(facts), intent, "R6", rejected=facts.rejected
    )
