"""The project's own featurizer gives exactly Rasa's features (speed: bench/count_vectors.py)."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import settings
from bot.orientation.nlu_components import TokenCountVectorsFeaturizer

# The two count-vector featurizers of config.yml, and one the fast path must leave to Rasa.
CONFIGS = [
    {},
    {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"analyzer": "word", "min_ngram": 1, "max_ngram": 2},
]
ODD_MESSAGES = [
    "ok",
    "😀😀 projet 🚀",
    "<b>scop</b> ; DROP TABLE leads;",
    "2026 12 01",
    "a" * 60,
    "l'asso d'insertion",
    "Je veux créer une coopérative à Saint-Étienne",
    "jveu cree 1 scop a st etienne",
]


@pytest.fixture(scope="module")
def training_data() -> TrainingData:
    data = load_data(str(settings.DATA_DIR / "nlu"))
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(data)
    return data


def _fitted(cls, config: dict, tmp_path, data: TrainingData):
    (tmp_path / cls.__name__).mkdir(exist_ok=True)
    storage = LocalModelStorage(tmp_path / cls.__name__)
    featurizer = cls.create(
        {**cls.get_default_config(), **config},
        storage,
        Resource(cls.__name__),
        ExecutionContext(GraphSchema({}), "test"),
    )
    featurizer.train(data)
    return featurizer


def _features(featurizer, messages: list[Message]) -> list[tuple]:
    featurizer.process(messages)
    return [(m.get_sparse_features(TEXT)) for m in messages]


def _messages(texts: list[str]) -> list[Message]:
    messages = [Message(data={TEXT: text}) for text in texts]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    return messages


@pytest.mark.parametrize("config", CONFIGS, ids=["words", "char_wb 1-4", "word bigrams"])
def test_features_are_rasas_exactly_for_every_training_example_and_odd_messages(
    config, training_data, tmp_path
):
    rasa = _fitted(CountVectorsFeaturizer, config, tmp_path, training_data)
    ours = _fitted(TokenCountVectorsFeaturizer, config, tmp_path, training_data)
    texts = [m.get(TEXT) for m in training_data.training_examples] + ODD_MESSAGES
    expected, got = _features(rasa, _messages(texts)), _features(ours, _messages(texts))
    assert len(expected) == len(got) > 5000
    for text, (seq_r, sent_r), (seq_o, sent_o) in zip(texts, expected, got, strict=True):
        for mine, theirs in ((seq_o, seq_r), (sent_o, sent_r)):
            assert mine.features.shape == theirs.features.shape, text
            assert mine.features.dtype == theirs.features.dtype, text
            assert (mine.features != theirs.features).nnz == 0, text
