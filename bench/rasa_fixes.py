"""What each per-turn fix of bot/rasa_ext costs against Rasa's own code, in the same run.

Each line times one piece of a turn both ways in this process (CPU time, best of 3 rounds)
and prints the ratio:

- the action server's answer validated (fix 1 of rasa_fixes.py: per event type, against
  Rasa's whole-schema jsonschema validation with its validator built once);
- the tracker store's read and write of a turn on SQLite (bot/rasa_ext/trackers.py, against
  Rasa's `SQLTrackerStore`), for 20 conversations of 15 turns;
- the dialogue states asked for three times in one prediction (fix 8, against rebuilding them);
- DIET's sparse batches turned into arrays (fix 9, against Rasa's stacking per example);
- spaCy's French lemmatizer on the words of the dev set, its cache empty (fix 12: its index of
  known words as sets, against spaCy's lists);
- with `--model` (loads the trained model, ≈ 60 s): the NLU of each dev-set message with DIET
  calling its graph directly (fix 10) against Rasa's `tf.function` dispatch; DIET loaded from
  the model's files by a prediction (fix 11) against Rasa's training step (wall-clock time,
  it runs on TensorFlow's threads).

    .venv/bin/python bench/rasa_fixes.py [--model]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.rasa_ext import rasa_fixes  # noqa: E402

rasa_fixes.apply()


def best_ms(fn: Callable[[], object], repeat: int, rounds: int = 3) -> float:
    """Best CPU milliseconds per call over `rounds` rounds of `repeat` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            fn()
        best = min(best, (time.process_time() - started) / repeat * 1000)
    return best


def line(what: str, rasas: float, ours: float, unit: str) -> None:
    print(
        f"{what:<44} Rasa {rasas:8.3f} ms  Boussole {ours:8.3f} ms {unit}  ({ours / rasas:.2f} ×)"
    )


def validation() -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    whole = jsonschema.validators.validator_for(schema)(schema)
    slots = [{"event": "slot", "timestamp": None, "name": f"s{i}", "value": "x"} for i in range(6)]
    question = {
        "text": "Quel est votre numéro ?",
        "buttons": [{"title": "Passer", "payload": "/skip"}],
    }
    answer = {  # a form step: slots, the loop, a question with buttons
        "events": [*slots, {"event": "active_loop", "name": "contact_form"}],
        "responses": [question, question],
    }
    action = RemoteAction("validate_contact_form", None)
    line(
        "action answer validated (a form step)",
        best_ms(lambda: whole.validate(answer), 500),
        best_ms(lambda: action._validate_action_result(answer), 500),
        "a call",
    )


def tracker_stores() -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_ext.trackers import CachedSQLTrackerStore

    domain = Domain.load(str(ROOT / "domain.yml"))

    def per_turn(store_class: type) -> float:
        folder = tempfile.mkdtemp(prefix="boussole-bench-trackers-")
        store = store_class(domain, dialect="sqlite", db=f"{folder}/tracker.db")

        async def turn(sender: str, i: int) -> None:
            tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
            parse = {"intent": {"name": "greet", "confidence": 0.9}, "entities": [], "text": "m"}
            for event in (
                UserUttered(f"message {i}", parse["intent"], parse_data=parse),
                ActionExecuted("action_orient"),
                SlotSet("stage", "idee"),
                BotUttered("Voici ce que je vous propose. " * 5),
                ActionExecuted("action_listen"),
            ):
                tracker.update(event)
            await store.save(tracker)

        async def conversations() -> float:
            started = time.process_time()
            for i in range(15):
                for sender in range(20):
                    await turn(f"c{sender}", i)
            return (time.process_time() - started) / 300 * 1000

        return asyncio.run(conversations())

    line(
        "tracker read + write of a turn (SQLite)",
        min(per_turn(SQLTrackerStore) for _ in range(2)),
        min(per_turn(CachedSQLTrackerStore) for _ in range(2)),
        "a turn",
    )


def dialogue_states() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker("states", domain.slots)
    for i in range(8):
        for event in (
            ActionExecuted("action_listen"),
            UserUttered(f"message {i}", {"name": "inform"}),
            ActionExecuted("action_orient"),
            SlotSet("stage", "idee"),
        ):
            tracker.update(event)
    rasas = rasa_fixes.RASA_ORIGINALS["past_states"]

    def rebuilt() -> None:
        for _ in range(3):
            rasas(tracker, domain)

    def kept() -> None:
        tracker.__dict__.pop("_kept_states", None)  # a new prediction: the first call builds
        for _ in range(3):
            tracker.past_states(domain)

    line("dialogue states, 3 asks in a prediction", best_ms(rebuilt, 100), best_ms(kept, 100), "")


def sparse_batches() -> None:
    import numpy as np
    import scipy.sparse
    from rasa.utils.tensorflow.data_generator import RasaDataGenerator
    from rasa.utils.tensorflow.model_data import FeatureArray

    examples = np.empty(64, dtype=object)
    examples[:] = [
        scipy.sparse.random(20, 30000, density=8 / 30000, format="coo", random_state=i)
        for i in range(64)
    ]
    batch = FeatureArray(examples, number_of_dimensions=3)
    line(
        "DIET sparse batch of 64 to arrays",
        best_ms(lambda: rasa_fixes.RASA_ORIGINALS["scipy_matrix_to_values"](batch), 300),
        best_ms(lambda: RasaDataGenerator._scipy_matrix_to_values(batch), 300),
        "a batch",
    )


def lemmatizer() -> None:
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    nlp = SpacyNLP.load_model("fr_core_news_sm").model
    lemmatizer = nlp.get_pipe("lemmatizer")
    index = lemmatizer.lookups.get_table("lemma_index")
    indexed = dict(index.items())
    as_spacy_has_them = {key: list(words) for key, words in indexed.items()}  # plain lists
    lines = (ROOT / "tests" / "data" / "orient_dev.jsonl").read_text().splitlines()
    texts = [json.loads(text)["text"].lower() for text in lines]
    # Tokens with their part of speech, as the lemmatizer receives them.
    tokens = [t for doc in nlp.pipe(texts, disable=["lemmatizer"]) for t in doc]

    def lemmatize_all() -> None:
        lemmatizer.cache = {}  # every word new, as in a training or a fresh start
        for token in tokens:
            lemmatizer.rule_lemmatize(token)

    def timed(words_by_pos: dict) -> float:
        for key, words in words_by_pos.items():
            index[key] = words
        return best_ms(lemmatize_all, 1)

    rasas, ours = timed(as_spacy_has_them), timed(indexed)  # ours left in place
    line(f"lemmas of the dev set's {len(tokens)} words", rasas, ours, "in all")


def diet_predictions() -> None:
    from rasa.utils.tensorflow.models import RasaModel

    from bot.orientation.nlu import NLU

    nlu = NLU()
    lines = (ROOT / "tests" / "data" / "orient_dev.jsonl").read_text().splitlines()
    texts = [json.loads(text)["text"] for text in lines]
    direct = RasaModel._rasa_predict

    def parse_all() -> None:
        for text in texts:
            nlu.parse(text)

    parse_all()  # both graphs traced, caches warm
    timings: dict[str, float] = {}
    for _ in range(3):  # alternated, so that the host's drift falls on both
        for name, predict in (
            ("rasa", rasa_fixes.RASA_ORIGINALS["rasa_predict"]),
            ("ours", direct),
        ):
            RasaModel._rasa_predict = predict
            ms = best_ms(parse_all, 1, rounds=1) / len(texts)
            timings[name] = min(timings.get(name, ms), ms)
    RasaModel._rasa_predict = direct
    line(f"NLU of a dev-set message ({len(texts)})", timings["rasa"], timings["ours"], "a text")
    diet_loading(nlu)


def diet_loading(nlu) -> None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.utils.tensorflow.models import RasaModel

    from bot.settings import MODEL_FILE

    nodes = nlu.agent.processor.graph_runner._instantiated_nodes.values()
    (node,) = [n for n in nodes if isinstance(n._component, DIETClassifier)]
    ours = RasaModel.__dict__["load"]  # the classmethod itself, not bound to RasaModel
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as unpacked:
        storage, _ = LocalModelStorage.from_model_archive(Path(unpacked), MODEL_FILE)
        for _ in range(2):  # alternated
            for name, load in (
                ("rasa", classmethod(rasa_fixes.RASA_ORIGINALS["load"])),
                ("ours", ours),
            ):
                RasaModel.load = load
                started = time.perf_counter()
                DIETClassifier.load(
                    node._component_config, storage, node._existing_resource,
                    node._execution_context,
                )  # fmt: skip
                ms = (time.perf_counter() - started) * 1000
                timings[name] = min(timings.get(name, ms), ms)
    RasaModel.load = ours
    line("DIET loaded from the model's files (wall)", timings["rasa"], timings["ours"], "a load")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="store_true", help="also time DIET with the model")
    args = parser.parse_args()
    validation()
    tracker_stores()
    dialogue_states()
    sparse_batches()
    lemmatizer()
    if args.model:
        diet_predictions()


if __name__ == "__main__":
    main()
