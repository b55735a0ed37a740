"""What the count-vector features cost, Rasa's featurizer against Boussole's.

`TokenCountVectorsFeaturizer` (bot/orientation/nlu_components.py) gives the same features as
Rasa's `CountVectorsFeaturizer` (tests/test_nlu_components.py) and computes each token's row
once. This fits both on the training data (spaCy-free whitespace tokens), then prints, in the
same run, the CPU time to featurize the whole training set (what `rasa train` does) and the
time per message of the dev set served one by one (what a turn does), with the ratio.

    .venv/bin/python bench/count_vectors.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (  # noqa: E402
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.constants import TEXT  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from bot.orientation.nlu_components import TokenCountVectorsFeaturizer  # noqa: E402

# The two count-vector featurizers of config.yml.
CONFIGS = {"mots": {}, "n-grammes 1–4": {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}}
TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def _messages(texts: list[str]) -> list[Message]:
    messages = [Message(data={TEXT: text}) for text in texts]
    TOKENIZER.process(messages)
    return messages


def _fitted(cls, config: dict, folder: Path, data):
    (folder / cls.__name__).mkdir(parents=True, exist_ok=True)
    featurizer = cls.create(
        {**cls.get_default_config(), **config},
        LocalModelStorage(folder / cls.__name__),
        Resource(cls.__name__),
        ExecutionContext(GraphSchema({}), "bench"),
    )
    featurizer.train(data)
    return featurizer


def main() -> None:
    data = load_data(str(ROOT / "data" / "nlu"))
    TOKENIZER.process_training_data(data)
    training_texts = [m.get(TEXT) for m in data.training_examples]
    with open(ROOT / "tests/data/orient_dev.jsonl", encoding="utf-8") as dev:
        dev_texts = [json.loads(line)["text"] for line in dev]
    print(
        f"{len(training_texts)} exemples d'entraînement, {len(dev_texts)} messages du jeu de dév."
    )
    with tempfile.TemporaryDirectory() as folder:
        for label, config in CONFIGS.items():
            figures = {}
            for cls in (CountVectorsFeaturizer, TokenCountVectorsFeaturizer):
                featurizer = _fitted(cls, config, Path(folder) / label, data)
                messages = _messages(training_texts)
                started = time.process_time()
                featurizer.process(messages)
                whole = time.process_time() - started
                per_message = []
                for message in _messages(dev_texts):
                    started = time.process_time()
                    featurizer.process([message])
                    per_message.append((time.process_time() - started) * 1000)
                figures[cls] = (whole, statistics.median(per_message))
            (rasa_whole, rasa_one), (ours_whole, ours_one) = figures.values()
            print(
                f"{label:>14} : entraînement {rasa_whole:5.1f} s → {ours_whole:5.1f} s "
                f"({ours_whole / rasa_whole:.2f} ×) ; par message {rasa_one:.3f} ms → "
                f"{ours_one:.3f} ms ({ours_one / rasa_one:.2f} ×)"
            )


if __name__ == "__main__":
    main()
