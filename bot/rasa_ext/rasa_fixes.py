"""Fixes to Rasa 3.6 itself, applied in every Rasa server process that serves Boussole ESS.

Rasa 3.6 open source has no start-up hook for project code; the modules it imports from our
configuration are the place. `bot.rasa_ext.channels` (named in `credentials.yml`, embedded and
production alike) and `bot.rasa_ext.trackers` (production tracker store) call `apply()`, and
`bot.rasa_ext.launch` before Rasa's command line starts (training included); it is
idempotent and changes what each costs or logs, not the answers (beyond 2 000 characters,
where the actions ask to summarise, the NLU reads only the start: fix 3).

1. **Validating the action server's answers.** `RemoteAction._validate_action_result` calls
   `jsonschema.validate()`, which first checks Rasa's large response schema against the JSON
   Schema meta-schema and builds a new validator — on every custom action and form validation.
   Measured here: 42 ms of CPU per call (2.2 ms with a validator built once), the largest single
   cost of a turn (33–38 % of a sampling profile of the Rasa server, see docs/performance.md).
   The replacement validates against the same schema and raises the same `ValidationError`;
   each event is checked against its own type's branch of the schema only (the same verdict,
   1.9 → 0.2 ms a form's answer), the whole schema only to word an error.

2. **Button payloads logged as errors.** Rasa interpolates slot values into every string of a
   response, buttons' payloads included; a payload such as `/choose{"stage": "idee"}` is read
   as a placeholder named `"stage": "idee"`, and Rasa logs an exception with a full traceback
   for each such button of each answer (then sends the payload unchanged). Intent payloads
   (starting with "/") are never templates, so they are now left alone without the log.

3. **Long messages freezing the server.** The NLU runs synchronously in Rasa's event loop and
   its cost grows with the text: a 100 kB message took 5 to 15 s, during which no other
   conversation was answered. The NLU now reads at most `settings.NLU_MAX_CHARS` (2 000, the
   length beyond which the actions ask to summarise anyway); the user event in the tracker,
   and `parse_data["text"]`, keep the whole text. It reads them without HTML tags too
   (`bot.orientation.text.without_markup`: "<b>bonjour</b>" is "bonjour"). No change to the model or
   config.yml; `bot.orientation.nlu.NLU` (bot orient, bot evaluate) applies the same fixes.

4. **Messages written whole into the logs.** Rasa's structured log passes the person's text as a
   field (`text=`, `parse_data_text=`) — whole, at DEBUG, and on errors at any level (1 MB once).
   Every log record now quotes at most a 200-character excerpt of each value
   (`bot.ops.logs.shorten_log_records`).

5. **spaCy components nobody reads.** `SpacyNLP` loads the whole French pipeline and only
   disables the parser; the named-entity recogniser still runs on every message. The
   featurizers read tokens, lemmas (lemmatizer, fed by the morphologizer's part-of-speech tags)
   and the token vectors of the shared `tok2vec` — none of them comes from NER or the parser.
   Both are now excluded at load time: the same lemmas and vectors (tested on the dev set), about
   a third less spaCy time per message (docs/performance.md).
   `bot.orientation.nlu_components`, which config.yml names, applies the fixes too, so training
   featurizes the same way. The model's matrix products go through numpy's BLAS (thinc's
   `NumpyOps(use_blis=False)`) on one thread (threadpoolctl) rather than BLIS, which on this
   machine's AMD EPYC (Zen 4) picks its slow generic reference kernel ("libblis: selecting
   sub-configuration 'generic'"); on two threads OpenBLAS spends more CPU than BLIS for these
   small products. The same lemmas and tags, vectors equal to 1e-5 (`tests/test_rasa_fixes.py`),
   less CPU per message (`bench/spacy_components.py`, docs/performance.md).

6. **Training fingerprints for a disabled cache.** During `rasa train`, a hook fingerprints
   every node's inputs and output for the training cache — the whole training data with its
   features serialised to text, once per featurizer — and only then asks the cache, which
   drops it when disabled (`RASA_MAX_CACHE_SIZE=0`). Boussole always trains from scratch
   (`--force`, `bot/ops/train.py`) with the cache disabled; the hook now stops before
   fingerprinting when the cache is disabled: the same model, without a third of the
   training's Python time (docs/performance.md).

7. **A new connection for every custom action.** `EndpointConfig.request` opens an aiohttp
   session (connector, DNS lookup, TCP connection) for each call to the action server and closes
   it after: 7 % of the Rasa server's samples under load, and under overload the "Cannot write
   to closing transport" failures. Each endpoint now keeps one session per event loop, with
   keep-alive connections dropped after 2 s idle — before the action server (Sanic, 5 s) closes
   them, so a kept connection is never one the server is closing. Same requests, same
   timeouts, same errors.

8. **The same dialogue states rebuilt within a prediction.** Each policy turns the tracker
   into its list of past states (`DialogueStateTracker.past_states`) by replaying every event
   of the conversation on a fresh copy; RulePolicy and MemoizationPolicy ask for it several
   times for one prediction, with the tracker unchanged in between. The states are now kept on
   the tracker for as long as its events stay the same (same number, same last event), one
   list per set of arguments, and each caller gets its own copy (callers edit the last state).

9. **Sparse features stacked one example at a time.** DIET's data generator turns each batch of
   sparse features into (indices, values, shape) by stacking three small arrays per example —
   about 14 s of CPU of a training (py-spy), and at every prediction. The same arrays, in the
   same order and types, are now built with one concatenation per batch
   (`tests/test_rasa_fixes.py` compares them).

10. **TensorFlow's dispatch at each prediction.** DIET predicts through a `tf.function` with a
    fixed input signature; each call still walks the inputs to find which graph to run, though
    only one exists — half of DIET's 2 ms a message here. Once that graph exists, the numpy
    inputs are now converted to its tensors and the graph called directly (TensorFlow 2.12,
    pinned with Rasa 3.6), after the same checks of number, type and rank; anything else goes
    Rasa's way. The same scores (`tests/test_rasa_fixes.py`), 1 ms less a message.

11. **A training step to load a model.** To create DIET's weights before reading them from
    the model, `RasaModel.load` runs Keras's `fit` on one example: TensorFlow traces the whole
    training step (gradients, optimizer) twice — a third of a Rasa worker's start here, and of
    every `NLU()` — for a model that will only predict. Unless it is loaded to be fine-tuned
    (or runs eagerly), one prediction on the example Rasa keeps now creates the weights; the
    same checkpoint is read into them (the optimizer's state, which prediction never reads,
    stays unread) and the label embeddings are computed again from the weights read. The same
    scores (`tests/test_rasa_fixes.py`), seconds less at each start (`bench/rasa_fixes.py`).

12. **A word looked for in a list of 66 000.** spaCy's French lemmatizer checks whether a word
    is a known noun (verb, adjective…) with `word in index`, where each index is a list: a
    linear scan, several per new word, before its lemma is cached — 7 s of a training's 14 s
    of spaCy here, and at each start for every new word of a message. Each index is now a list
    whose `in` is a set's, the same words in the same order: the same lemmas
    (`tests/test_rasa_fixes.py`, against spaCy's own pipeline).

13. **spaCy loaded twice.** Rasa's graph has two `SpacyNLP` nodes, one that provides the
    model and one that runs it on messages; each loads the whole model when it is built, and
    the second never uses its own. A model is now loaded once per name and process and both
    nodes hold it: 2 to 5 s less at each start and training, one copy less in memory.

14. **The training data parsed twice.** `rasa train` reads the training data and the domain
    once to check them and again inside its graph; each read parses the YAML in pure Python
    and validates it against Rasa's schema, which parses it once more. The same text is now
    parsed and validated once per process (the last 64 texts): each reader gets its own deep
    copy of the parsed data, and a text that does not validate raises again at every read.
"""

from __future__ import annotations

import copy
from typing import Any

_applied = False
# Rasa's own functions that the fixes replace, by name, for the tests and benchmarks.
RASA_ORIGINALS: dict[str, Any] = {}


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    _compile_action_response_validator()
    _leave_intent_payloads_alone()
    _parse_a_bounded_prefix()
    _load_only_the_spacy_components_read()
    _no_training_fingerprints_for_a_disabled_cache()
    _keep_action_server_connections()
    _states_built_once_per_tracker_state()
    _sparse_batches_stacked_at_once()
    _predictions_call_the_graph_directly()
    _models_built_by_a_prediction()
    _yaml_read_once_per_text()
    from bot.ops.logs import shorten_log_records

    shorten_log_records()


def _compile_action_response_validator() -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every call
    validator = validator_class(schema)
    is_valid = _valid_by_event_type(schema, validator_class)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if is_valid(result):
            return True
        try:  # the whole schema, for the error Rasa raises
            validator.validate(result)
            return True
        except jsonschema.ValidationError as e:
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result


def _valid_by_event_type(schema: dict[str, Any], validator_class: Any) -> Any:
    """A test equivalent to validating `schema`, without trying every kind of event on each.

    Each event must match exactly one of ~23 branches (`oneOf`), one per event type, told apart
    by the constant of their `event` field, which the item schema requires: an event is valid
    exactly when it is valid for its own type's branch. jsonschema tried all of them, 1.9 ms of
    CPU for a form's answer against 0.2 ms here (docs/performance.md). Any other shape of schema
    (another Rasa) keeps the whole validation."""
    events = schema.get("properties", {}).get("events", {})
    item = events.get("items", {})
    branches = item.get("oneOf", [])
    names = [b.get("properties", {}).get("event", {}).get("const") for b in branches]
    distinct = bool(names) and None not in names and len(set(names)) == len(names)
    if not distinct or "event" not in item.get("required", []):
        return validator_class(schema).is_valid
    common = {k: v for k, v in item.items() if k != "oneOf"}
    by_type = {
        name: validator_class({**common, "allOf": [b]})
        for name, b in zip(names, branches, strict=True)
    }
    outer = validator_class(
        {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    )

    def is_valid(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in result.get("events") or []:
            branch = by_type.get(event.get("event")) if isinstance(event, dict) else None
            if branch is None or not branch.is_valid(event):
                return False
        return True

    return is_valid


def _leave_intent_payloads_alone() -> None:
    from rasa.core.nlg import interpolator

    interpolate_text = interpolator.interpolate_text

    def interpolate_text_except_payloads(response: str, values: dict[str, str]) -> str:
        if response.startswith("/"):
            return response
        return interpolate_text(response, values)

    # `interpolate()` looks `interpolate_text` up in its module at each call.
    interpolator.interpolate_text = interpolate_text_except_payloads


def nlu_prefix(text: str, limit: int) -> str:
    """The first `limit` characters, cut at a space when one is near the end."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit * 0.9 else cut


def _parse_a_bounded_prefix() -> None:
    from rasa.core.processor import MessageProcessor

    from bot import settings
    from bot.orientation.text import without_markup

    parse_with_graph = MessageProcessor._parse_message_with_graph

    def _parse_message_with_graph(self, message, tracker, only_output_properties=True):
        text = message.text
        if not isinstance(text, str) or (len(text) <= settings.NLU_MAX_CHARS and "<" not in text):
            return parse_with_graph(self, message, tracker, only_output_properties)
        prefix = copy.copy(message)
        # Without HTML tags ("<b>bonjour</b>" is "bonjour"), at most NLU_MAX_CHARS.
        prefix.text = nlu_prefix(without_markup(text), settings.NLU_MAX_CHARS)
        parse_data = parse_with_graph(self, prefix, tracker, only_output_properties)
        parse_data["text"] = text
        return parse_data

    MessageProcessor._parse_message_with_graph = _parse_message_with_graph


# Components of fr_core_news_sm whose output no featurizer of config.yml reads.
UNREAD_SPACY_COMPONENTS = ("parser", "ner")


def _load_only_the_spacy_components_read() -> None:
    import spacy
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    load_model = SpacyNLP.load_model  # keeps Rasa's version checks and error messages

    loaded: dict[str, Any] = {}  # fix 13: one model per name and process

    def load_model_without_unread(spacy_model_name: str):
        if spacy_model_name in loaded:
            return loaded[spacy_model_name]
        from thinc.api import NumpyOps, get_current_ops, set_current_ops
        from threadpoolctl import threadpool_limits

        real_load = spacy.load
        previous_ops = get_current_ops()

        def load(name, *args, **kwargs):
            kwargs.pop("disable", None)  # Rasa's disable=["parser"]: excluded instead
            return real_load(name, *args, exclude=list(UNREAD_SPACY_COMPONENTS), **kwargs)

        spacy.load = load
        # The model's layers keep the operations current when they are built: numpy's BLAS,
        # on one thread — a message's products are small, a second thread only spins.
        set_current_ops(NumpyOps(use_blis=False))
        threadpool_limits(limits=1, user_api="blas")
        try:
            spacy_model = load_model(spacy_model_name)
        finally:
            spacy.load = real_load
            set_current_ops(previous_ops)
        index_lemmas(spacy_model.model)
        loaded[spacy_model_name] = spacy_model
        return spacy_model

    SpacyNLP.load_model = staticmethod(load_model_without_unread)


class IndexedWords(list):
    """A list of words whose `in` is a set's: the same words, in the same order."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(words)
        self._members = frozenset(self)

    def __contains__(self, word: object) -> bool:
        return word in self._members


def index_lemmas(nlp: Any) -> None:
    """Fix 12: the rule lemmatizer's index of known words, as sets (see the module's text)."""
    if "lemmatizer" not in nlp.pipe_names:
        return
    lookups = nlp.get_pipe("lemmatizer").lookups
    if not lookups.has_table("lemma_index"):
        return
    index = lookups.get_table("lemma_index")
    for key, words in list(index.items()):
        if isinstance(words, list) and not isinstance(words, IndexedWords):
            index[key] = IndexedWords(words)


def _no_training_fingerprints_for_a_disabled_cache() -> None:
    from rasa.engine.training.hooks import TrainingHook

    on_before_node, on_after_node = TrainingHook.on_before_node, TrainingHook.on_after_node

    def disabled(hook: TrainingHook) -> bool:
        is_disabled = getattr(hook._cache, "_is_disabled", None)
        return bool(is_disabled and is_disabled())

    def before(self: TrainingHook, *args: Any, **kwargs: Any) -> dict:
        return {} if disabled(self) else on_before_node(self, *args, **kwargs)

    def after(self: TrainingHook, *args: Any, **kwargs: Any) -> None:
        return None if disabled(self) else on_after_node(self, *args, **kwargs)

    TrainingHook.on_before_node, TrainingHook.on_after_node = before, after


KEEPALIVE_SECONDS = 2.0  # below Sanic's keep_alive_timeout (5 s) on the action server


class _KeptSession:
    """`async with` on an endpoint's kept session, without closing it."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> bool:
        return False


def _keep_action_server_connections() -> None:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    new_session = EndpointConfig.session
    kept: dict[tuple, aiohttp.ClientSession] = {}  # by event loop and session settings

    def session(self: EndpointConfig) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return new_session(self)
        key = (
            id(loop),
            repr(sorted(self.headers.items())),
            repr(sorted((self.basic_auth or {}).items())),
        )
        shared = kept.get(key)
        if shared is None or shared.closed or shared._loop is not loop:
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None
            )
            shared = kept[key] = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            )
        return _KeptSession(shared)

    EndpointConfig.session = session


def _states_built_once_per_tracker_state() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    past_states = RASA_ORIGINALS["past_states"] = DialogueStateTracker.past_states

    def kept_past_states(
        self: DialogueStateTracker,
        domain: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[dict[str, dict[str, Any]]]:
        events = self.events
        version = (len(events), id(events[-1]) if events else None)
        kept = self.__dict__.get("_kept_states")
        if kept is None or kept[0] != version:
            kept = self.__dict__["_kept_states"] = (version, {})
        key = (id(domain), omit_unset_slots, ignore_rule_only_turns, repr(rule_only_data))
        states = kept[1].get(key)
        if states is None:
            states = kept[1][key] = past_states(
                self,
                domain,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=ignore_rule_only_turns,
                rule_only_data=rule_only_data,
            )
        # A state maps to sub-states whose values are strings, numbers and tuples: copying
        # two levels gives the caller a list it may change without touching the kept one.
        return [{name: dict(sub) for name, sub in state.items()} for state in states]

    DialogueStateTracker.past_states = kept_past_states


def _sparse_batches_stacked_at_once() -> None:
    import numpy as np
    import scipy.sparse
    from rasa.utils.tensorflow.data_generator import RasaDataGenerator

    to_values = RASA_ORIGINALS["scipy_matrix_to_values"] = RasaDataGenerator._scipy_matrix_to_values

    def scipy_matrix_to_values(array_of_sparse: Any) -> list[Any]:
        if array_of_sparse.number_of_dimensions == 4:
            return to_values(array_of_sparse)
        matrices = list(array_of_sparse)
        if not isinstance(matrices[0], scipy.sparse.coo_matrix):
            matrices = [x.tocoo() for x in matrices]
        counts = [x.nnz for x in matrices]
        example = np.repeat(np.arange(len(matrices), dtype=np.int64), counts)
        rows = np.concatenate([x.row for x in matrices]).astype(np.int64)
        columns = np.concatenate([x.col for x in matrices]).astype(np.int64)
        indices = np.stack([example, rows, columns], axis=1)
        data = np.concatenate([x.data for x in matrices]).astype(np.float32)
        shape = (len(matrices), max(x.shape[0] for x in matrices), matrices[0].shape[-1])
        return [indices, data, np.array(shape, dtype=np.int64)]

    RasaDataGenerator._scipy_matrix_to_values = staticmethod(scipy_matrix_to_values)


def _predictions_call_the_graph_directly() -> None:
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA
    from rasa.utils.tensorflow.models import RasaModel
    from tensorflow.python.util import nest

    predict = RASA_ORIGINALS["rasa_predict"] = RasaModel._rasa_predict

    def graph_of(model: RasaModel) -> Any:
        """The one graph of the model's prediction function, with the specs of its inputs."""
        step = model._tf_predict_step
        if step is None or model._run_eagerly or step.input_signature is None:
            return None
        concrete = step.get_concrete_function()
        return concrete, nest.flatten(step.input_signature)

    def direct_predict(self: RasaModel, batch_in: Any) -> dict[str, Any]:
        if "_direct_graph" not in self.__dict__ or not self.prepared_for_prediction:
            outputs = predict(self, batch_in)  # traces the graph on the first call
            self.__dict__["_direct_graph"] = graph_of(self)  # looked for once
            return outputs
        graph = self.__dict__["_direct_graph"]
        if graph is None:  # run eagerly, or no fixed signature: Rasa's way every time
            return predict(self, batch_in)
        concrete, specs = graph
        values = nest.flatten(batch_in)
        if len(values) != len(specs):
            return predict(self, batch_in)  # TensorFlow's own checks and errors
        # As TensorFlow converts inputs to a signature (function_spec.cast_inputs_to_signature).
        tensors = [
            tf.convert_to_tensor(value, dtype_hint=spec.dtype)
            for value, spec in zip(values, specs, strict=True)
        ]
        if not all(spec.is_compatible_with(t) for spec, t in zip(specs, tensors, strict=True)):
            return predict(self, batch_in)
        self._training = False
        outputs = tf_utils.sync_to_numpy_or_python_type(
            concrete._call_flat(tensors, concrete.captured_inputs)
        )
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs

    RasaModel._rasa_predict = direct_predict


def _models_built_by_a_prediction() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
    from rasa.utils.tensorflow.models import RasaModel

    rasas = RASA_ORIGINALS["load"] = RasaModel.load.__func__

    def load(
        cls: type[RasaModel],
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        config = kwargs.get("config", {})
        if finetune_mode or not predict_data_example or config.get(RUN_EAGERLY):
            return rasas(
                cls, model_file_name, model_data_example, predict_data_example,
                finetune_mode, *args, **kwargs,
            )  # fmt: skip
        model = cls(*args, **kwargs)
        # As Rasa compiles it (the optimizer is never stepped): a fine-tuning needs Rasa's way.
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)))
        batch = RasaBatchDataGenerator(predict_data_example, batch_size=1)[0][0]
        model.predict_step(batch)  # eagerly: creates every weight a prediction reads
        model.load_weights(model_file_name).expect_partial()
        model.prepared_for_prediction = False  # label embeddings again, from the weights read
        model.run_inference(predict_data_example)  # traces the prediction graph, as Rasa does
        return model

    RasaModel.load = classmethod(load)


YAML_TEXTS_KEPT = 64


def _yaml_read_once_per_text() -> None:
    import functools

    import rasa.shared.utils.io as rasa_io
    import rasa.shared.utils.validation as validation
    from rasa.shared.constants import PACKAGE_NAME

    read_yaml = RASA_ORIGINALS["read_yaml"] = rasa_io.read_yaml
    validate = RASA_ORIGINALS["validate_yaml_schema"] = validation.validate_yaml_schema

    @functools.lru_cache(maxsize=YAML_TEXTS_KEPT)
    def parsed(content: str, reader_type: Any) -> Any:
        return read_yaml(
            content, list(reader_type) if isinstance(reader_type, tuple) else reader_type
        )

    @functools.lru_cache(maxsize=YAML_TEXTS_KEPT)
    def validated(content: str, schema_path: str, package_name: str) -> None:
        validate(content, schema_path, package_name)  # an invalid text raises, and is not kept

    def read_yaml_once(content: str, reader_type: Any = "safe") -> Any:
        if not isinstance(content, str):
            return read_yaml(content, reader_type)
        key = tuple(reader_type) if isinstance(reader_type, list) else reader_type
        return copy.deepcopy(parsed(content, key))

    def validate_once(content: str, schema_path: str, package_name: str = PACKAGE_NAME) -> None:
        if not isinstance(content, str):
            return validate(content, schema_path, package_name)
        return validated(content, schema_path, package_name)

    rasa_io.read_yaml = read_yaml_once
    validation.validate_yaml_schema = validate_once
