"""Every text of the call-back form follows the person's register: "tu" to someone who writes
"tu", "vous" otherwise — its questions, its help and its errors, rendered from domain.yml as Rasa
renders them (tracker fixtures, no Rasa server)."""

import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rendering import render, rendered

from actions.callback import (
    ActionAskConsent,
    ActionAskHuman,
    ActionCorrect,
    ActionFeedback,
    ActionSubmitLead,
    ActionSummary,
    ValidateContactForm,
)
from bot.callback.form import FORM_SLOTS
from bot.wording import look_elsewhere, summary

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TU = re.compile(r"\b(tu|te|ton|ta|tes|toi|tienne)\b|\bt'", re.IGNORECASE)
VOUS = re.compile(r"\b(vous|votre|vos|vôtre)\b", re.IGNORECASE)
REGISTERS = ("vous", "tu")


def assert_in_register(text: str, register: str) -> None:
    """Addresses the person in their register, never in the other one."""
    own, other = (TU, VOUS) if register == "tu" else (VOUS, TU)
    assert own.search(text), f"no « {register} » in: {text}"
    assert not other.search(text), f"« {other.search(text).group()} » in a {register} text: {text}"


@pytest.fixture(autouse=True)
def database(leads_database):
    """Each test writes its leads to a database and an outbox of its own."""


def tracker(register, text="", slots=None, intent="inform"):
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    events = [{"event": "session_started", "timestamp": 1700000000.0}]
    return Tracker(
        f"register-{register}",
        {"register": register, **(slots or {})},
        latest,
        events,
        False,
        None,
        {"name": "contact_form"},
        "action_listen",
    )


def said(action, register, text="", slots=None) -> list[str]:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker(register, text, slots), {})
    return [m["text"] for m in rendered(dispatcher.messages, register)]


# -- the questions ---------------------------------------------------------------------------
@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("slot", [s for s in FORM_SLOTS if s != "consent"])
def test_each_question_of_the_form_is_asked_in_the_persons_register(slot, register):
    assert_in_register(render(f"utter_ask_{slot}", register)["text"], register)


@pytest.mark.parametrize("register", REGISTERS)
def test_consent_is_asked_in_the_persons_register_with_the_exact_text(register):
    from bot.callback.form import CONSENT_TEXT

    dispatcher = CollectingDispatcher()
    ActionAskConsent().run(dispatcher, tracker(register), {})
    [message] = rendered(dispatcher.messages, register)
    question = message["text"].replace(CONSENT_TEXT, "")  # the consent is the person's words
    assert CONSENT_TEXT in message["text"] and "{" not in message["text"]
    assert_in_register(question, register)
    assert [b["title"] for b in message["buttons"]] == ["Oui, j'accepte", "Non"]


# -- the help and the errors -----------------------------------------------------------------
# (slot, what the person typed, failed tries so far, a word the answer must contain)
REFUSED = [
    ("full_name", "Tom", 0, "prénom et"),
    ("full_name", "R2D2 Martin", 0, "lettres"),
    ("full_name", "Léa " + "M" * 70, 0, "trop long"),
    ("full_name", "R2D2 Martin", 1, "recommencer"),
    ("contact", "zéro six", 0, "chiffres"),
    ("contact", "06 12 34", 0, "10 chiffres"),
    ("contact", "lea@", 0, "prenom.nom@exemple.fr"),
    ("contact", "bof", 1, "recommencer"),
    ("commune", "42140", 0, "Fontanès"),
    ("commune", "1234", 0, "commune"),
    ("commune", "1234", 1, "« 1234 »"),
    ("commune", "Montbrison", 0, "territoire"),
    ("structure_name", " ", 0, "200 caractères"),
    ("project_summary", "court", 0, "une ou deux phrases"),
    ("project_summary", "projet " * 100, 0, "600 caractères"),
    ("project_summary", "court", 1, None),  # second try: kept as typed, nothing said
    ("structure_name", " ", 1, "recommencer"),
    ("consent", "peut-être", 0, "accord explicite"),
    ("consent", "bof", 1, "recommencer"),
]


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("slot, text, tries, word", REFUSED)
def test_each_help_and_error_of_the_form_follows_the_register(slot, text, tries, word, register):
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateContactForm(), f"validate_{slot}")
    slots = {slot: text, "form_retries": float(tries)}
    method(text, dispatcher, tracker(register, text, slots), {})
    messages = [m["text"] for m in rendered(dispatcher.messages, register)]
    assert (word in " ".join(messages)) if word else messages == []
    for message in messages:
        assert "{" not in message
        assert_in_register(message, register)


@pytest.mark.parametrize("register", REGISTERS)
def test_the_rest_of_the_call_back_follows_the_register(register):
    slots = {
        "first_name": "Léa",
        "last_name": "Martin",
        "email": "lea@example.org",
        "contact": "lea@example.org",
        "commune": "Firminy",
        "on_territory": True,
        "project_summary": "Reprendre notre menuiserie en SCOP",
        "consent": "yes",
        "offer": "reprise-cooperative",
    }
    texts = (
        said(ActionAskHuman(), register)
        + said(ActionSummary(), register, slots={"consent": "no"})
        + said(ActionCorrect(), register, slots={"field": "rien"})
        + said(ActionSubmitLead(), register, slots={"consent": "no"})
        + said(ActionSubmitLead(), register, slots=slots)
        + said(ActionFeedback(), register, slots={"useful": "oui"})
        + [summary(slots, register)["text"], look_elsewhere(register)]
    )
    for text in texts:
        assert "{" not in text
        if text != look_elsewhere(register):  # "cherchons" / "on cherche": no pronoun
            assert_in_register(text, register)
    assert any("ESS-" in t for t in texts)


# -- the domain as a whole -------------------------------------------------------------------
TU_VARIATION = {"type": "slot", "name": "register", "value": "tu"}


def _variations(name):
    default = [v for v in DOMAIN["responses"][name] if not v.get("condition")]
    tu = [v for v in DOMAIN["responses"][name] if TU_VARIATION in (v.get("condition") or [])]
    return default, tu


@pytest.mark.parametrize("name", sorted(n for n in DOMAIN["responses"] if _variations(n)[1]))
def test_a_response_with_a_tu_variation_says_vous_by_default_and_tu_there(name):
    default, tu = _variations(name)
    assert len(default) == 1 and len(tu) == 1
    assert_in_register(default[0]["text"], "vous")
    assert_in_register(tu[0]["text"], "tu")
    assert default[0].get("buttons") == tu[0].get("buttons")


def test_every_response_the_code_names_is_in_the_domain():
    sources = [*ROOT.joinpath("actions").glob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]
    named = {
        n
        for p in sources
        for n in re.findall(r"[\"'](utter_[a-z_]+)[\"']", p.read_text(encoding="utf-8"))
    }
    assert named and named - set(DOMAIN["responses"]) == set()


def test_the_actions_hold_no_french_sentence():
    """What a person reads is in domain.yml or bot/wording.py, not in an action."""
    sentence = re.compile(r"text=[\"f]|[\"'][A-ZÀ-Ý][a-zà-ÿ]+ [a-zà-ÿ]+ [a-zà-ÿ]+")
    for path in ROOT.joinpath("actions").glob("*.py"):
        code = re.sub(r'"""[\s\S]*?"""', "", path.read_text(encoding="utf-8"))
        code = "\n".join(line.split("#")[0] for line in code.splitlines())
        assert not sentence.search(code), f"{path.name}: {sentence.search(code).group()}"


def test_every_fixed_text_that_says_vous_also_has_its_tu_variation():
    """utter_greet is the exception: action_greet sets the register in the same turn, so it
    picks utter_greet or utter_greet_tu itself."""
    missing = [
        name
        for name in DOMAIN["responses"]
        if name not in ("utter_greet", "utter_greet_tu")
        and not _variations(name)[1]
        and VOUS.search(_variations(name)[0][0]["text"])
    ]
    assert missing == []


@pytest.mark.parametrize(
    "text, register",
    [
        (
            "salut, tu peux me mettre en relation avec un conseiller ? "
            "j'ai une question sur mon asso",
            "tu",
        ),
        ("Bonjour, pourriez-vous me mettre en relation avec un conseiller ?", "vous"),
    ],
)
def test_asking_for_an_advisor_as_a_first_message_is_answered_in_its_register(text, register):
    """No register is known yet: the answer, rendered with the slots of before the action as
    Rasa does, follows the message, and the register is set for the form's questions."""
    dispatcher = CollectingDispatcher()
    events = ActionAskHuman().run(dispatcher, tracker(None, text, intent="ask_human"), {})
    [message] = rendered(dispatcher.messages, None)
    assert_in_register(message["text"], register)
    assert {"event": "slot", "timestamp": None, "name": "register", "value": register} in events
