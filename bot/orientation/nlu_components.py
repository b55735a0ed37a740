"""Project components of the NLU pipeline (config.yml); the logic is in
`bot.orientation.commands` and `bot.orientation.territory`, testable without Rasa.

- `ExactAnswers`, after DIET: a message that is exactly one of the short training examples of a
  conversational intent or a command ("oui", "non", "bonjour", "ce n'est pas ça") is that
  intent for sure. Among
  hundreds of long e-mails a one-word message gets little confidence from DIET, and "oui" must
  still confirm a summary.
- `CommandGuard`, before `FallbackClassifier`: a command that is not really one gives way to the
  next best reading, and to `nlu_fallback` when that reading is unsure.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
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
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER],
                          is_trainable=True)
class ExactAnswers(GraphComponent):
    """Short conversational messages seen verbatim in training are read as their intent."""

    FILE = "exact_answers.json"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intents": ["greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge",
                            "not_this", "restart", "delete_my_data", "ask_human",
                            "request_callback", "confirm"],
                "max_words": 8}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, table: Dict[str, str] | None = None):
        self.config, self.model_storage, self.resource = config, model_storage, resource
        self.table = table or {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ExactAnswers:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ExactAnswers:
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
            (directory / self.FILE).write_text(json.dumps(self.table, ensure_ascii=False),
                                               encoding="utf-8")
        return self.resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = self.table.get(normalise(message.get(TEXT) or ""))
            if intent is None:
                continue
            others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + others,
                        add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER],
                          is_trainable=False)
class CommandGuard(_Stateless):
    """Rewrites the intent of a message that a classifier read as a command but is not one."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            parse = {"text": message.get(TEXT) or "", "intent": message.get(INTENT),
                     "intent_ranking": message.get(INTENT_RANKING_KEY)}
            guarded = without_unsure_commands(parse)
            if guarded is not None:
                message.set(INTENT, guarded["intent"], add_to_output=True)
                message.set(INTENT_RANKING_KEY, guarded["intent_ranking"], add_to_output=True)
        return messages
