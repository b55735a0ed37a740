"""The fixes to Rasa 3.6 in bot/rasa_ext/rasa_fixes.py: same answers, same errors, readable logs."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import interpolator

from bot.rasa_ext import rasa_fixes

rasa_fixes.apply()


def _remote_action():
    return RemoteAction("action_orient", None)


def test_a_valid_action_server_answer_is_accepted():
    answer = {
        "events": [{"event": "slot", "name": "stage", "value": "idee"}],
        "responses": [{"text": "Bonjour", "buttons": [{"title": "Oui", "payload": "/affirm"}]}],
    }
    assert _remote_action()._validate_action_result(answer) is True


@pytest.mark.parametrize(
    "answer",
    [
        {"events": "not a list", "responses": []},
        {"events": [{"name": "stage"}], "responses": []},  # an event without its type
        {"events": [], "responses": "Bonjour"},
    ],
    ids=["events-not-a-list", "event-without-type", "responses-not-a-list"],
)
def test_a_malformed_action_server_answer_is_refused_as_rasa_does(answer):
    with pytest.raises(jsonschema.ValidationError) as ours:
        _remote_action()._validate_action_result(answer)
    with pytest.raises(jsonschema.ValidationError) as rasas:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


ANSWERS = {
    "a-form-step": {
        "events": [
            {"event": "slot", "timestamp": None, "name": "requested_slot", "value": "phone"},
            {"event": "active_loop", "name": "callback_form"},
            {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
            {"event": "user", "text": "bonjour", "parse_data": {"intent": {"name": "greet"}}},
        ],
        "responses": [{"text": "Votre numéro ?", "buttons": [], "custom": {"card": {}}}],
    },
    "an-unknown-event-type": {"events": [{"event": "teleport"}], "responses": []},
    "a-slot-without-value": {"events": [{"event": "slot", "name": "phone"}], "responses": []},
    "a-slot-name-not-a-string": {
        "events": [{"event": "slot", "name": 3, "value": "x"}],
        "responses": [],
    },
    "a-user-intent-without-a-string-name": {
        "events": [{"event": "user", "parse_data": {"intent": {"name": 7}}}],
        "responses": [],
    },
    "an-event-not-an-object": {"events": ["slot"], "responses": []},
    "an-event-type-not-a-string": {"events": [{"event": 3}], "responses": []},
    "a-bad-timestamp": {"events": [{"event": "restart", "timestamp": "hier"}], "responses": []},
    "events-none": {"events": None, "responses": []},
    "no-events": {"responses": [{"text": "Bonjour"}]},
    "not-an-object": ["events"],
}


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_the_validation_by_event_type_gives_the_whole_schemas_verdict(answer):
    schema = RemoteAction.action_response_format_spec()
    rasas = jsonschema.validators.validator_for(schema)(schema).is_valid(answer)
    try:
        ours = _remote_action()._validate_action_result(answer)
    except jsonschema.ValidationError:
        ours = False
    assert ours == rasas


def test_intent_payloads_are_sent_unchanged_and_templates_still_filled():
    button = {"title": "J'ai un projet à créer", "payload": '/choose{"stage": "idee"}'}
    filled = interpolator.interpolate(
        {"text": "Vous êtes à {commune}.", "buttons": [button]}, {"commune": "Firminy"}
    )
    assert filled["text"] == "Vous êtes à Firminy."
    assert filled["buttons"][0]["payload"] == '/choose{"stage": "idee"}'


@pytest.mark.server
def test_buttons_with_entities_leave_no_error_in_the_rasa_log(rasa_server):
    greeting = rasa_server.say("fixes-1", "bonjour")
    payloads = [b["payload"] for m in greeting for b in m.get("buttons", [])]
    assert payloads and all(p.startswith("/choose{") for p in payloads)
    rasa_server.say("fixes-1", payloads[0])
    rasa_log = rasa_server.logs[1].read_text()
    assert "interpolator.interpolate.text" not in rasa_log
    assert "Traceback" not in rasa_log


def test_spacy_runs_only_what_the_featurizers_read_and_they_read_the_same():
    import json

    import numpy as np
    import spacy
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    lean = SpacyNLP.load_model("fr_core_news_sm").model
    assert not {"parser", "ner"} & set(lean.component_names)
    # Matrix products by numpy's BLAS, not BLIS (generic kernel on this machine's processor).
    assert lean.get_pipe("tok2vec").model.ops.use_blis is False
    whole = spacy.load("fr_core_news_sm")
    assert whole.get_pipe("tok2vec").model.ops.use_blis is True  # only Rasa's loading changes
    # The lemmatizer's index of known words answers `in` as a set does (fix 12).
    index = lean.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    assert all(isinstance(words, rasa_fixes.IndexedWords) for _, words in index.items())
    with open("tests/data/orient_dev.jsonl", encoding="utf-8") as dev:
        texts = [json.loads(line)["text"].lower() for line in dev][:120]
    for text in texts:
        ours, full = lean(text), whole(text)
        assert [(t.lemma_, t.pos_) for t in ours] == [(t.lemma_, t.pos_) for t in full], text
        assert np.allclose(ours.vector, full.vector, atol=1e-4), text


@pytest.mark.parametrize(
    "size, fingerprinted", [("0", False), ("100", True)], ids=["cache disabled", "cache enabled"]
)
def test_training_fingerprints_only_what_an_enabled_cache_keeps(
    size, fingerprinted, tmp_path, monkeypatch
):
    """Fix 6: with RASA_MAX_CACHE_SIZE=0 (bot train) no node output is fingerprinted; with a
    cache, Rasa's hook runs as before and the output lands in the cache."""
    from rasa.engine.caching import LocalTrainingCache
    from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.training import hooks
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    rasa_fixes.apply()
    monkeypatch.setenv("RASA_MAX_CACHE_SIZE", size)
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))
    calls = []
    real = hooks.rasa.shared.utils.io.deep_container_fingerprint
    monkeypatch.setattr(
        hooks.rasa.shared.utils.io,
        "deep_container_fingerprint",
        lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs),
    )
    schema = GraphSchema({"tokenize": SchemaNode({}, WhitespaceTokenizer, "create", "process", {})})
    cache = LocalTrainingCache()
    (tmp_path / "models").mkdir()
    hook = hooks.TrainingHook(cache, LocalModelStorage(tmp_path / "models"), schema)
    context = ExecutionContext(schema, "test")
    data = hook.on_before_node("tokenize", context, {}, {"x": "bonjour"})
    hook.on_after_node("tokenize", context, {}, "une sortie", data)
    assert bool(calls) is fingerprinted
    assert bool(data) is fingerprinted
    if fingerprinted:
        assert cache.get_cached_output_fingerprint(data["fingerprint_key"]) is not None


def test_calls_to_the_action_server_share_one_connection_and_fail_as_before():
    """Fix 7: one kept connection for back-to-back calls, a new one after it went idle (never
    one the server is closing), and error answers still raise Rasa's ClientResponseError."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    rasa_fixes.apply()
    peers = []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        if (await request.json()).get("fail"):
            return web.json_response({"error": "boom"}, status=500)
        return web.json_response({"events": [], "responses": [{"text": "ok"}]})

    async def scenario():
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            answers = [await endpoint.request(json={"n": n}) for n in range(5)]
            with pytest.raises(ClientResponseError) as refused:
                await endpoint.request(json={"fail": True})
            await asyncio.sleep(rasa_fixes.KEEPALIVE_SECONDS + 0.5)
            after_idle = await endpoint.request(json={"n": 6})
        finally:
            await runner.cleanup()
        return answers, refused.value.status, after_idle

    answers, status, after_idle = asyncio.run(scenario())
    assert answers == [{"events": [], "responses": [{"text": "ok"}]}] * 5 == [after_idle] * 5
    assert status == 500
    assert len(set(peers[:6])) == 1  # the five calls and the refused one: one connection
    assert peers[6] != peers[0]  # after 2.5 s idle: a fresh connection


def test_rasa_s_command_line_runs_through_the_launcher_with_the_collector_tuned():
    """`bot train` runs Rasa through bot.rasa_ext.launch: Rasa's own command line, its young
    generation collected every 100 000 allocations instead of 700."""
    import subprocess
    import sys

    probe = "import gc, bot.rasa_ext.launch as l; l.tune_collector(); print(gc.get_threshold())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(100000, 10, 10)"
    version = subprocess.run(
        [sys.executable, "-m", "bot.rasa_ext.launch", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert version.returncode == 0 and "Rasa Version      :         3.6.21" in version.stdout


def test_the_dialogue_states_kept_on_a_tracker_are_those_rasa_builds():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.settings import ROOT

    domain = Domain.load(str(ROOT / "domain.yml"))
    rasas = rasa_fixes.RASA_ORIGINALS["past_states"]
    tracker = DialogueStateTracker("kept-states", domain.slots)
    conversation = [
        ActionExecuted("action_listen"),
        UserUttered("on reprend la boîte en scop", {"name": "situation_reprise_cooperative"}),
        ActionExecuted("action_orient"),
        SlotSet("stage", "reprise"),
        ActionExecuted("action_listen"),
        UserUttered("oui", {"name": "affirm"}),
        ActionExecuted("contact_form"),
        ActiveLoop("contact_form"),
        SlotSet("requested_slot", "full_name"),
        ActionExecuted("action_listen"),
        UserUttered("Camille Martin", {"name": "inform"}),
    ]
    arguments = [
        {},
        {"omit_unset_slots": True},
        {"ignore_rule_only_turns": True, "rule_only_data": {"slots": ["stage"], "loops": []}},
    ]
    for event in conversation:
        tracker.update(event)
        for kwargs in arguments:
            expected = rasas(tracker, domain, **kwargs)
            first = tracker.past_states(domain, **kwargs)
            assert first == expected
            first[-1].clear()  # what a featurizer does to the last state is its own business
            assert tracker.past_states(domain, **kwargs) == expected


def test_sparse_batches_give_the_arrays_rasa_gives():
    import numpy as np
    import scipy.sparse
    from rasa.utils.tensorflow.data_generator import RasaDataGenerator
    from rasa.utils.tensorflow.model_data import FeatureArray

    matrices = [
        scipy.sparse.random(n, 40, density=d, format=fmt, random_state=i, dtype=np.float64)
        for i, (n, d, fmt) in enumerate(
            [(5, 0.2, "coo"), (1, 0.0, "coo"), (9, 0.5, "coo"), (3, 0.1, "coo")]
        )
    ]
    for batch in (matrices, [m.tocsr() for m in matrices], matrices[1:2]):
        examples = np.empty(len(batch), dtype=object)
        examples[:] = batch
        array = FeatureArray(examples, number_of_dimensions=3)
        ours = RasaDataGenerator._scipy_matrix_to_values(array)
        rasas = rasa_fixes.RASA_ORIGINALS["scipy_matrix_to_values"](array)
        assert [a.dtype for a in ours] == [a.dtype for a in rasas]
        for mine, theirs in zip(ours, rasas, strict=True):
            assert np.array_equal(mine, theirs)


def test_predictions_through_the_graph_give_rasas_scores(orienter):
    import json

    from rasa.utils.tensorflow.models import RasaModel

    from bot.settings import ROOT

    lines = (ROOT / "tests" / "data" / "orient_dev.jsonl").read_text().splitlines()
    texts = [json.loads(line)["text"] for line in lines[::15]]
    direct = RasaModel._rasa_predict
    ours = [orienter.nlu.parse(text) for text in texts]
    try:
        RasaModel._rasa_predict = rasa_fixes.RASA_ORIGINALS["rasa_predict"]
        rasas = [orienter.nlu.parse(text) for text in texts]
    finally:
        RasaModel._rasa_predict = direct
    assert [p["intent_ranking"] for p in ours] == [p["intent_ranking"] for p in rasas]
    nodes = orienter.nlu.agent.processor.graph_runner._instantiated_nodes.values()
    models = [
        n._component.model
        for n in nodes
        if isinstance(getattr(n._component, "model", None), RasaModel)
    ]
    assert models and all(m.__dict__.get("_direct_graph") for m in models)  # the direct path ran


def test_a_model_loaded_without_a_training_step_gives_rasas_scores(orienter, tmp_path):
    import json

    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.utils.tensorflow.models import RasaModel

    from bot.settings import MODEL_FILE, ROOT

    lines = (ROOT / "tests" / "data" / "orient_dev.jsonl").read_text().splitlines()
    texts = [json.loads(line)["text"] for line in lines[::15]]
    nodes = orienter.nlu.agent.processor.graph_runner._instantiated_nodes.values()
    (node,) = [n for n in nodes if isinstance(n._component, DIETClassifier)]
    storage, _ = LocalModelStorage.from_model_archive(tmp_path, MODEL_FILE)

    def loaded() -> DIETClassifier:
        """The model's DIET, loaded again from its files by RasaModel.load as it is now."""
        return DIETClassifier.load(
            node._component_config, storage, node._existing_resource, node._execution_context
        )

    def scores(component: DIETClassifier) -> list:
        node._component = component
        return [orienter.nlu.parse(text)["intent_ranking"] for text in texts]

    served = node._component
    built_by_prediction = RasaModel.__dict__["load"]  # the classmethod itself
    try:
        ours = loaded()
        RasaModel.load = classmethod(rasa_fixes.RASA_ORIGINALS["load"])
        rasas = loaded()
        assert ours.model.train_function is None  # no training step was traced to load it
        assert rasas.model.train_function is not None
        ours_scores, rasas_scores = scores(ours), scores(rasas)
    finally:
        RasaModel.load = built_by_prediction
        node._component = served
    assert ours_scores == rasas_scores
    assert any(ranking[0]["confidence"] > 0.5 for ranking in ours_scores)  # a trained model


def test_both_spacy_nodes_of_the_graph_hold_one_loaded_model(orienter):
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    nodes = orienter.nlu.agent.processor.graph_runner._instantiated_nodes.values()
    spacy_nodes = [n._component for n in nodes if isinstance(n._component, SpacyNLP)]
    assert len(spacy_nodes) == 2  # Rasa's "provide" and "run" nodes
    provided, running = (node._model.model for node in spacy_nodes)
    assert provided is running  # loaded once (fix 13)
    # The one model featurizes: a project the dev set describes still reaches its offer.
    text = "Je suis en reconversion et j'ai envie d'entreprendre dans l'ESS, sans idée précise."
    assert orienter.orient(text)["offer"] == "ideation"


def test_yaml_parsed_once_gives_each_reader_its_own_copy_and_refuses_bad_text_every_time():
    import rasa.shared.utils.io as rasa_io
    from rasa.shared.nlu.training_data.formats.rasa_yaml import NLU_SCHEMA_FILE
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.utils.validation import YamlValidationException, validate_yaml_schema

    text = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - bonjour\n    - salut\n'
    first = rasa_io.read_yaml(text)
    assert first == rasa_fixes.RASA_ORIGINALS["read_yaml"](text)  # what Rasa parses
    first["nlu"].append("edited by a reader")
    assert rasa_io.read_yaml(text) == rasa_fixes.RASA_ORIGINALS["read_yaml"](text)
    bad = text.replace("intent:", "intentt:")
    for _ in range(2):  # refused again: a failure is not kept as a success
        with pytest.raises(YamlValidationException):
            validate_yaml_schema(bad, NLU_SCHEMA_FILE)
    # The project's training data read twice, as `rasa train` does: the same examples.
    reads = [load_data("data/nlu/generic.yml").intent_examples for _ in range(2)]
    assert [m.get("text") for m in reads[0]] == [m.get("text") for m in reads[1]]
    assert len(reads[0]) > 100
