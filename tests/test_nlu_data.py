"""The training data is product: coverage, consistency with the domain, and a held-out dev set."""

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from bot.orientation import lookups
from bot.orientation.routing import intent_of_offer

ROOT = Path(__file__).resolve().parent.parent


def _nlu():
    examples = {}
    for path in sorted((ROOT / "data/nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in item:
                lines = [
                    line.strip()[2:]
                    for line in item["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
                examples.setdefault(item["intent"], []).extend(lines)
    return examples


def _plain(text: str) -> str:
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text).strip().lower()


def test_every_offer_has_a_situation_intent_with_at_least_40_distinct_examples(catalogue):
    examples = _nlu()
    for offer_id in catalogue.offers:
        lines = examples[intent_of_offer(offer_id)]
        assert len(set(map(_plain, lines))) >= 40, offer_id


def test_no_example_is_given_to_two_intents():
    owner = {}
    for intent, lines in _nlu().items():
        for line in lines:
            assert owner.setdefault(_plain(line), intent) == intent, line


def test_domain_rules_and_data_agree(catalogue):
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = set(domain["intents"])
    trained = set(_nlu())
    assert trained <= intents
    assert intents - trained == {"choose", "correct", "feedback"}  # button payloads only
    rules = (ROOT / "data/rules/orientation.yml").read_text(encoding="utf-8")
    for offer_id in catalogue.offers:
        assert f"  - intent: {intent_of_offer(offer_id)}\n  - action: action_orient" in rules


def test_dev_set_is_held_out_from_the_training_situations():
    trained = {
        _plain(line)
        for intent, lines in _nlu().items()
        for line in lines
        if intent.startswith("situation_") or intent == "describe_project"
    }
    dev_set = ROOT / "tests/data/orient_dev.jsonl"
    rows = [json.loads(line) for line in dev_set.open(encoding="utf-8")]
    assert len(rows) >= 200
    assert not [r["text"] for r in rows if r["text"].strip().lower() in trained]


def test_dev_set_covers_every_offer_every_register_and_messages_not_to_route(catalogue):
    dev_set = ROOT / "tests/data/orient_dev.jsonl"
    rows = [json.loads(line) for line in dev_set.open(encoding="utf-8")]
    assert {r["offer"] for r in rows if r["offer"]} == set(catalogue.offers)
    assert {"clean", "informal", "sms", "no_accents", "typos", "franglais", "long", "short"} <= {
        r["register"] for r in rows
    }
    assert sum(r["offer"] is None for r in rows) >= 50


def test_lookup_tables_are_generated_from_the_project_data():
    committed = (ROOT / "data/nlu/lookups.yml").read_text(encoding="utf-8")
    assert committed == lookups.render(), "run: python -m bot lookups --write"


def _near(text: str) -> str:
    """Lower case, letters and digits only: a copy with other punctuation is still a copy."""
    return " ".join(re.findall(r"\w+", _plain(text)))


def test_training_data_never_contains_a_blind_set_message():
    from bot.orientation.evaluate import blind_set

    trained = {_near(line) for lines in _nlu().values() for line in lines}
    blind = blind_set()
    assert len(blind) >= 400
    assert not [r["text"] for r in blind if _near(r["text"]) in trained]


def test_the_blind_set_is_what_it_claims():
    """≥ 400 first messages, all offers, ≥ 60 must-not-route, long enough to mean e-mails."""
    from statistics import median

    from bot.orientation.evaluate import blind_set

    rows = blind_set()
    words = [len(r["text"].split()) for r in rows]
    assert {r["offer"] for r in rows if r["offer"]} == set(_offers())
    assert sum(r["offer"] is None for r in rows) >= 60
    assert median(words) >= 25 and sum(w > 60 for w in words) >= 0.2 * len(rows)


def _offers():
    from bot.orientation.catalogue import load_catalogue

    return load_catalogue().offers


def test_every_situation_is_also_taught_with_long_messages():
    """Real first messages read like e-mails: ≥ 25 % of each situation's examples over 40
    words, and some over 100."""
    for intent, lines in _nlu().items():
        if intent.startswith("situation_"):
            words = [len(line.split()) for line in lines]
            assert sum(w > 40 for w in words) >= 0.25 * len(words), intent
            assert any(w > 100 for w in words), intent


def test_rasa_finds_nothing_wrong_in_domain_rules_stories_and_data():
    """What `rasa train` would check (training skips it to set up faster)."""
    command = [
        sys.executable,
        "-m",
        "rasa",
        "data",
        "validate",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "data/nlu",
        "data/rules",
        "data/stories",
    ]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
