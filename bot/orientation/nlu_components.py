"""Project components of the NLU pipeline (config.yml); the logic is in
`bot.orientation.commands` and `bot.orientation.territory`, testable without Rasa.

- `ExactAnswers`, after DIET: a message that is exactly one of the short training examples of a
  conversational intent or a command ("oui", "non", "bonjour", "ce n'est pas ça") is that
  intent for sure. Among
  hundreds of long e-mails a one-word message gets little confidence from DIET, and "oui" must
  still confirm a summary.
- `CommandGuard`, before `FallbackClassifier`: a command that is not really one gives way to the
  next best reading, and to `nlu_fallback` when that reading is unsure.
- `TokenCountVectorsFeaturizer`, in place of Rasa's `CountVectorsFeaturizer`: the same features
  (tested equal, tests/test_nlu_components.py), computed once per distinct token instead of
  through two scikit-learn calls per message — a third of the training's featurisation time,
  and a little less CPU on every message served.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.orientation.commands import without_unsure_commands
from bot.orientation.territory import normalise
from bot.rasa_ext import rasa_fixes

# config.yml names this module, so Rasa imports it in every process that trains or loads the
# model: the same fixes (bot/rasa_ext/rasa_fixes.py) in training as in serving.
rasa_fixes.apply()


class _Stateless(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ExactAnswers(GraphComponent):
    """Short conversational messages seen verbatim in training are read as their intent."""

    FILE = "exact_answers.json"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intents": [
                "greet",
                "goodbye",
                "thanks",
                "affirm",
                "deny",
                "bot_challenge",
                "not_this",
                "restart",
                "delete_my_data",
                "ask_human",
                "request_callback",
                "confirm",
            ],
            "max_words": 8,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        table: Dict[str, str] | None = None,
    ):
        self.config, self.model_storage, self.resource = config, model_storage, resource
        self.table = table or {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ExactAnswers:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ExactAnswers:
        try:
            with model_storage.read_from(resource) as directory:
                table = json.loads((directory / cls.FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            table = {}
        return cls(config, model_storage, resource, table)

    def train(self, training_data: TrainingData) -> Resource:
        wanted = set(self.config["intents"])
        for example in training_data.intent_examples:
            key = normalise(example.get(TEXT) or "")
            if example.get(INTENT) in wanted and 0 < len(key.split()) <= self.config["max_words"]:
                self.table.setdefault(key, example.get(INTENT))
        with self.model_storage.write_to(self.resource) as directory:
            (directory / self.FILE).write_text(
                json.dumps(self.table, ensure_ascii=False), encoding="utf-8"
            )
        return self.resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = self.table.get(normalise(message.get(TEXT) or ""))
            if intent is None:
                continue
            others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [{"name": intent, "confidence": 1.0}] + others,
                add_to_output=True,
            )
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CommandGuard(_Stateless):
    """Rewrites the intent of a message that a classifier read as a command but is not one."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            parse = {
                "text": message.get(TEXT) or "",
                "intent": message.get(INTENT),
                "intent_ranking": message.get(INTENT_RANKING_KEY),
            }
            guarded = without_unsure_commands(parse)
            if guarded is not None:
                message.set(INTENT, guarded["intent"], add_to_output=True)
                message.set(INTENT_RANKING_KEY, guarded["intent_ranking"], add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TokenCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's count vectors, one vectorizer call per new token.

    A message's sequence features are one row per token, and each row depends only on that
    token; its sentence features are the counts of the tokens joined by spaces, which for
    character n-grams inside word boundaries, or single words, is the sum of those rows (no
    n-gram crosses a space). So each token's row is computed once and kept: the vocabulary
    never changes after training. Any other analyzer falls back to Rasa's own computation.
    """

    MAX_CACHED_TOKENS = 200_000  # a few tens of MB at most; emptied when full

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rows: Dict[Text, Dict[Text, Tuple[np.ndarray, np.ndarray]]] = {}
        self._widths: Dict[Text, int] = {}  # vocabulary size, known from the first call

    def _rows_are_additive(self) -> bool:
        return self.analyzer == "char_wb" or (self.analyzer == "word" and self.max_ngram == 1)

    def _token_rows(
        self, attribute: Text, tokens: List[Text]
    ) -> List[Tuple[np.ndarray, np.ndarray]]:
        rows = self._rows.setdefault(attribute, {})
        new = [token for token in dict.fromkeys(tokens) if token not in rows]
        if new:
            if len(rows) + len(new) > self.MAX_CACHED_TOKENS:
                rows.clear()
            matrix = self.vectorizers[attribute].transform(new).tocsr()
            matrix.sort_indices()
            self._widths[attribute] = matrix.shape[1]
            for i, token in enumerate(new):
                start, end = matrix.indptr[i], matrix.indptr[i + 1]
                rows[token] = (matrix.indices[start:end], matrix.data[start:end])
        return [rows[token] for token in tokens]

    def _create_features(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> Tuple[List[scipy.sparse.spmatrix | None], List[scipy.sparse.spmatrix | None]]:
        if not self.vectorizers.get(attribute) or not self._rows_are_additive():
            return super()._create_features(attribute, all_tokens)
        sequences: List[scipy.sparse.spmatrix | None] = []
        sentences: List[scipy.sparse.spmatrix | None] = []
        for tokens in all_tokens:
            if not tokens:
                sequences.append(None)
                sentences.append(None)
                continue
            rows = self._token_rows(attribute, tokens)
            width = self._widths[attribute]
            columns = np.concatenate([row_columns for row_columns, _ in rows])
            counts = np.concatenate([row_counts for _, row_counts in rows])
            lines = np.repeat(
                np.arange(len(tokens), dtype=np.int32),
                [len(row_columns) for row_columns, _ in rows],
            )
            sequences.append(
                scipy.sparse.coo_matrix((counts, (lines, columns)), shape=(len(tokens), width))
            )
            if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                unique, where = np.unique(columns, return_inverse=True)
                totals = np.bincount(where, weights=counts).astype(counts.dtype)
                sentences.append(
                    scipy.sparse.coo_matrix(
                        (totals, (np.zeros(len(unique), dtype=np.int32), unique)), shape=(1, width)
                    )
                )
            else:
                sentences.append(None)
        return sequences, sentences
