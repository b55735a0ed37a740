"""The routing table (bot/orientation/routing.py), rule by rule, without any model."""

import pytest

from bot.orientation.facts import Facts, facts_from_parse
from bot.orientation.questions import OTHER, load_questions
from bot.orientation.routing import (
    ASK_THRESHOLD,
    MARGIN,
    ROUTE_THRESHOLD,
    intent_of_offer,
    reorient,
    route,
)

NOT_ROUTED = [
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "restart",
    "ask_human",
    "delete_my_data",
    "not_this",
    "bot_challenge",
    "out_of_scope",
    "faq_what_is_ess",
    "faq_figures",
    "faq_programme",
    "faq_scop",
    "faq_scic",
    "faq_esus",
    "faq_ptce",
    "faq_clauses_sociales",
    "faq_youth_programmes",
    "nlu_fallback",
]


def facts(*ranking, answers=None, rejected=(), age=None, student=False, register="vous"):
    ranking = tuple(ranking)
    return Facts(
        text="",
        intent=ranking[0][0] if ranking else None,
        confidence=ranking[0][1] if ranking else 0.0,
        ranking=ranking,
        answers=answers or {},
        rejected=tuple(rejected),
        age=age,
        student=student,
        register=register,
    )


@pytest.mark.parametrize(
    "offer_id",
    [
        "ideation",
        "validation",
        "modelisation",
        "creation",
        "reprise-cooperative",
        "societe-commerciale-ess",
        "competences",
        "partenariats",
        "forme-juridique",
        "achats-responsables",
        "diversification",
        "duplication",
        "fertilisation",
        "cooperation",
        "mutualisation",
        "cjs",
        "reve-et-realise",
        "beelys",
    ],
)
def test_a_confident_situation_routes_to_its_offer_with_its_explanation(offer_id, catalogue):
    result = route(facts((intent_of_offer(offer_id), 0.93), ("greet", 0.02)))
    assert result.offer.id == offer_id and result.rule == "R2"
    assert result.explanation == catalogue[offer_id].why
    assert result.next_question is None


def test_the_explanation_follows_the_persons_register(catalogue):
    result = route(facts(("situation_beelys", 0.9), register="tu"))
    assert result.explanation == catalogue["beelys"].why_tu


@pytest.mark.parametrize("intent", NOT_ROUTED)
def test_small_talk_and_questions_never_route_even_when_sure(intent):
    result = route(facts((intent, 0.99), ("situation_cjs", 0.01)))
    assert result.offer is None and result.next_question is None and result.rule == "R1"


@pytest.mark.parametrize("other", ["out_of_scope", "faq_scop", "greet", "describe_project"])
def test_a_situation_barely_ahead_of_another_kind_of_reading_is_asked_not_routed(other):
    top = ROUTE_THRESHOLD + 0.05
    result = route(
        facts(
            ("situation_forme_juridique", top),
            (other, top - MARGIN + 0.05),
            ("situation_cooperation", 0.01),
        )
    )
    assert result.offer is None and result.rule != "R2"
    clear = route(facts(("situation_forme_juridique", top), (other, top - MARGIN - 0.05)))
    assert clear.offer.id == "forme-juridique" and clear.rule == "R2"


def test_no_intent_gives_nothing():
    result = route(facts())
    assert result.offer is None and result.rule == "R0"


def test_an_unsure_situation_asks_between_the_likely_offers():
    result = route(
        facts(("situation_cooperation", 0.45), ("situation_mutualisation", 0.35), ("greet", 0.1))
    )
    assert result.offer is None and result.next_question == "disambiguate"
    assert result.options == ("cooperation", "mutualisation")
    assert [a[0] for a in result.alternatives][:2] == ["cooperation", "mutualisation"]


def test_two_close_situations_are_not_decided_by_a_small_margin():
    top = ROUTE_THRESHOLD + 0.05
    result = route(
        facts(("situation_duplication", top), ("situation_fertilisation", top - MARGIN / 2))
    )
    assert result.offer is None and result.next_question == "disambiguate"


def test_a_very_unsure_situation_is_not_understood_rather_than_guessed():
    result = route(facts(("situation_creation", ASK_THRESHOLD / 2), ("greet", 0.05)))
    assert result.offer is None and result.next_question is None and result.rule == "R1"


def test_a_vague_project_asks_the_stage_first():
    assert route(facts(("describe_project", 0.9))).next_question == "stage"


def test_a_young_person_with_a_vague_project_goes_straight_to_the_youth_question():
    assert route(facts(("describe_project", 0.9), age=17)).next_question == "youth_profile"
    assert route(facts(("describe_project", 0.9), student=True)).next_question == "youth_profile"


@pytest.mark.parametrize(
    "stage, question",
    [("idee", "creation_step"), ("existante", "existing_goal"), ("jeune", "youth_profile")],
)
def test_the_stage_leads_to_its_question(stage, question):
    result = route(facts(("choose", 1.0), answers={"stage": stage}))
    assert result.offer is None and result.next_question == question


def test_taking_over_a_company_needs_no_further_question():
    result = route(facts(("choose", 1.0), answers={"stage": "reprise"}))
    assert result.offer.id == "reprise-cooperative" and result.rule == "R4"


def test_every_offer_is_reachable_through_the_questions_in_two_answers(catalogue):
    questions = load_questions()
    reached = set()
    for stage in ("idee", "existante", "jeune"):
        question = route(facts(("choose", 1.0), answers={"stage": stage})).next_question
        for option in questions[question].options:
            result = route(facts(("choose", 1.0), answers={"stage": stage, question: option.value}))
            assert result.offer.id == option.value
            reached.add(option.value)
    reached.add(route(facts(("choose", 1.0), answers={"stage": "reprise"})).offer.id)
    assert reached == set(catalogue.offers)


def test_a_chosen_disambiguation_decides():
    result = route(facts(("choose", 1.0), answers={"disambiguate": "mutualisation"}))
    assert result.offer.id == "mutualisation"


def test_other_in_disambiguation_goes_back_to_the_questions():
    result = route(
        facts(
            ("situation_cooperation", 0.4),
            ("situation_mutualisation", 0.35),
            answers={"disambiguate": OTHER},
        )
    )
    assert result.next_question == "stage"


def test_the_cjs_is_for_16_18_an_older_young_person_gets_reve_et_realise():
    result = route(facts(("situation_cjs", 0.9), age=22))
    assert result.offer.id == "reve-et-realise" and result.rule == "R5"
    assert "22 ans" in result.explanation
    assert route(facts(("situation_cjs", 0.9), age=17)).offer.id == "cjs"


def test_a_rejected_offer_is_not_proposed_again_the_others_are():
    result = reorient(
        facts(
            ("situation_cooperation", 0.7),
            ("situation_mutualisation", 0.2),
            ("situation_partenariats", 0.06),
            ("greet", 0.04),
            rejected=["cooperation"],
        )
    )
    assert result.offer is None and result.next_question == "disambiguate"
    assert result.options == ("mutualisation", "partenariats")


def test_rejecting_with_nothing_else_likely_asks_the_questions():
    result = reorient(
        facts(
            ("situation_reprise_cooperative", 0.99),
            ("greet", 0.01),
            rejected=["reprise-cooperative"],
        )
    )
    assert result.offer is None and result.next_question == "stage"


def test_rejecting_an_offer_chosen_by_buttons_asks_the_same_question_again():
    result = reorient(
        facts(
            ("choose", 1.0),
            rejected=["competences"],
            answers={"stage": "existante", "existing_goal": "competences"},
        )
    )
    assert result.offer is None and result.next_question == "existing_goal"


def test_facts_are_read_from_a_rasa_parse():
    parse = {
        "text": "j'ai 17 ans et je suis au lycée à st etienne",
        "intent": {"name": "situation_cjs", "confidence": 0.8},
        "intent_ranking": [
            {"name": "situation_cjs", "confidence": 0.8},
            {"name": "situation_reve_et_realise", "confidence": 0.15},
        ],
        "entities": [
            {"entity": "age", "value": "17 ans"},
            {"entity": "student_status", "value": "au lycée"},
            {"entity": "commune", "value": "st etienne"},
            {"entity": "legal_form", "value": "asso"},
        ],
    }
    f = facts_from_parse(parse)
    assert f.age == 17 and f.student and f.youth
    assert f.commune.commune.name == "Saint-Étienne" and f.legal_forms == ("association",)
    assert route(f).offer.id == "cjs"


def test_the_fallback_intent_does_not_hide_the_real_ranking():
    f = facts(("nlu_fallback", 0.35), ("situation_validation", 0.3), ("situation_ideation", 0.25))
    result = route(f)
    assert result.offer is None and result.next_question == "disambiguate"
    assert result.options == ("validation", "ideation")
