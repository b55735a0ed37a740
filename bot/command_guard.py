"""The NLU pipeline's command guard: see `bot.commands` for why and how.

Placed before `FallbackClassifier` in config.yml, so a command that is not really one falls
back to the next best reading, and to `nlu_fallback` when that reading is unsure.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.commands import without_unsure_commands


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER],
                          is_trainable=False)
class CommandGuard(GraphComponent):
    """Rewrites the intent of a message that a classifier read as a command but is not one."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CommandGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            parse = {"text": message.get(TEXT) or "", "intent": message.get(INTENT),
                     "intent_ranking": message.get(INTENT_RANKING_KEY)}
            guarded = without_unsure_commands(parse)
            if guarded is not None:
                message.set(INTENT, guarded["intent"], add_to_output=True)
                message.set(INTENT_RANKING_KEY, guarded["intent_ranking"], add_to_output=True)
        return messages
