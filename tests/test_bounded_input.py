"""Bounded input (issue 11, §2): one message, or one client, must not freeze everyone.

Malformed REST requests get a 400, over-long messages a polite refusal on every channel (not
parsed, stored or logged), the NLU reads a bounded prefix, logs quote only excerpts, a new
sender id per message does not escape the flood guard, and a bound on turns at once keeps
answering — with the real Rasa and action servers on loopback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import statistics
import threading
import time

import httpx
import pytest

from bot.rasa_ext import rasa_fixes

rasa_fixes.apply()

# The contract, in figures (bot/settings.py holds the same).
MAX_INPUT_CHARS = 10_000
NLU_MAX_CHARS = 2_000
LOG_LINE_CHARS = 2_000
PHRASE = "nous voulons créer une épicerie solidaire à Firminy avec des bénévoles "


def long_text(length: int, marker: str = "") -> str:
    return (PHRASE * (length // len(PHRASE) + 1))[: length - len(marker)] + marker


def _tracker_rows(db_path, pattern: str) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [
            r[0]
            for r in db.execute("SELECT sender_id FROM events WHERE data LIKE ?", (f"%{pattern}%",))
        ]


def _user_texts(db_path, sender: str) -> list[str]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
            (sender,),
        ).fetchall()
    return [json.loads(r[0])["text"] for r in rows]


def _post(url: str, **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/webhooks/rest/webhook", timeout=60, **kwargs)


def _answers():
    """The refusals' words (imported here, so that each test fails on its own without them)."""
    from bot.rasa_ext.channels import limits

    return limits


# --- without a server -----------------------------------------------------------------------


def test_the_nlu_reads_a_bounded_prefix_and_the_parse_keeps_the_whole_text():
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.training_data.message import Message

    seen = []

    class Graph:
        def run(self, inputs, targets):
            text = inputs["__message__"][0].text
            seen.append(text)
            return {targets[0]: [Message(data={"text": text, "intent": {"name": "greet"}})]}

    class Processor:
        graph_runner = Graph()

        class model_metadata:
            nlu_target = "nlu"

    text = long_text(9000, "FIN")
    message = UserMessage(text, sender_id="prefix-1")
    parse = MessageProcessor._parse_message_with_graph(
        Processor(), message, DialogueStateTracker.from_events("prefix-1", [])
    )
    assert len(seen[0]) <= NLU_MAX_CHARS and text.startswith(seen[0])
    assert parse["text"] == text and message.text == text
    short = UserMessage("bonjour", sender_id="prefix-2")
    assert (
        MessageProcessor._parse_message_with_graph(
            Processor(), short, DialogueStateTracker.from_events("prefix-2", [])
        )["text"]
        == "bonjour"
    )
    assert seen[1] == "bonjour"


def test_log_records_quote_only_an_excerpt(caplog):
    import structlog

    from bot.ops.logs import shorten_log_records, shorten_structlog_values

    shorten_log_records()
    text = long_text(9000, "MARQUEUR-FIN")
    with caplog.at_level(logging.DEBUG, logger="rasa.core.processor"):
        logging.getLogger("rasa.core.processor").debug("received %s", text)
        logging.getLogger("rasa.core.processor").debug(f"f-string {text}")
    assert "MARQUEUR-FIN" not in caplog.text
    assert all(len(r.getMessage()) <= LOG_LINE_CHARS + 40 for r in caplog.records)
    assert caplog.records[0].getMessage().endswith("… [9000 chars]")
    # Rasa's structured log: each field is cut before the line is rendered.
    assert shorten_structlog_values in structlog.get_config()["processors"]
    fields = shorten_structlog_values(
        None, "debug", {"event": "processor.message.parse", "parse_data_text": text}
    )
    assert len(fields["parse_data_text"]) < 250 and "MARQUEUR-FIN" not in str(fields)


def test_the_client_address_reads_forwarded_for_only_from_trusted_proxies():
    AddressOf = _answers().AddressOf
    address = AddressOf.from_setting("127.0.0.1,::1,10.0.0.0/8")
    assert address("203.0.113.5", "198.51.100.1") == "203.0.113.5"  # not a proxy: ignored
    assert address("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert address("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3") == "198.51.100.1"
    assert address("::1", None) is None and address("127.0.0.1", "10.0.0.1") is None
    assert address("::ffff:127.0.0.1", "198.51.100.2") == "198.51.100.2"
    # No trusted proxy (the default): the header is never read; this machine is not counted.
    nobody = AddressOf.from_setting("")
    assert nobody("203.0.113.5", "198.51.100.1") == "203.0.113.5"
    assert nobody("127.0.0.1", "198.51.100.1") is None and nobody("::1", None) is None
    with pytest.raises(ValueError, match="BOUSSOLE_TRUSTED_PROXIES : « 127.0.0.300 »"):
        AddressOf.from_setting("127.0.0.1, 127.0.0.300")


def test_the_local_limiter_counts_each_key_in_its_own_window(monkeypatch):
    LocalLimiter = _answers().LocalLimiter
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    limiter = LocalLimiter(limit=2, window=60)
    assert [limiter.check("a") for _ in range(3)] == [0, 0, 60]
    assert limiter.check("b") == 0
    clock[0] += 45
    assert limiter.check("a") == 15
    clock[0] += 16
    assert limiter.check("a") == 0


def test_the_turn_gate_refuses_in_time_and_one_sender_holds_one_place():
    Busy, TurnGate = _answers().Busy, _answers().TurnGate

    async def scenario():
        gate = TurnGate(slots=2, heavy_slots=1, wait=0.2)
        release = asyncio.Event()
        order = []

        async def turn(sender, heavy=False, name=None):
            try:
                async with gate.turn(sender, heavy):
                    order.append(name or sender)
                    await release.wait()
                return "ok"
            except Busy:
                return "busy"

        same = [asyncio.create_task(turn("a", name=f"a{i}")) for i in range(3)]
        heavy = asyncio.create_task(turn("h", heavy=True))
        await asyncio.sleep(0.05)
        assert gate.running == 2 and order == ["a0", "h"]  # "a" waits for itself, in order
        started = time.monotonic()
        assert await turn("b") == "busy" and 0.15 < time.monotonic() - started < 1
        release.set()
        assert await asyncio.gather(*same, heavy) == ["ok"] * 4
        assert order == ["a0", "h", "a1", "a2"] and gate.running == 0
        release.clear()
        first = asyncio.create_task(turn("h2", heavy=True))
        await asyncio.sleep(0.05)
        light = asyncio.create_task(turn("c"))
        assert await turn("h3", heavy=True) == "busy"  # long messages: one at a time
        release.set()
        assert await asyncio.gather(first, light) == ["ok", "ok"]
        assert not gate._senders

    asyncio.run(scenario())


# --- the session's Rasa server (REST, channels) ----------------------------------------------


@pytest.mark.server
@pytest.mark.parametrize(
    "body, case",
    [
        (b'{"message": "bonjour"}', "no-sender"),
        (b'{"sender": "", "message": "bonjour"}', "empty-sender"),
        (b'{"sender": "   ", "message": "bonjour"}', "blank-sender"),
        (b'{"sender": 42, "message": "bonjour"}', "number-sender"),
        (json.dumps({"sender": "s" * 129, "message": "bonjour"}).encode(), "long-sender"),
        (b'{"sender": "bad-1", "message": 3}', "number-message"),
        (b'{"sender": "bad-2", "message": ["bonjour"]}', "list-message"),
        (b'{"sender": "bad-3"}', "no-message"),
        (b'["bonjour"]', "array"),
        (b'"bonjour"', "string"),
        (b"12", "number"),
        (b"", "empty"),
        (b"{", "invalid-json"),
        (b"\xff\xfe", "not-utf8"),
    ],
)
def test_malformed_requests_get_a_400_in_french(rasa_server, body, case):
    answer = _post(rasa_server.url, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text[:200]
    error = answer.json()["error"]
    assert "sender" in error or "message" in error or "Requête invalide" in error
    db = rasa_server.tracker_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as connection:  # Rasa's channel used one shared "default"
        senders = {r[0] for r in connection.execute("SELECT DISTINCT sender_id FROM events")}
    assert "default" not in senders


@pytest.mark.server
def test_an_oversized_body_is_refused_before_it_is_parsed(rasa_server):
    body = b'{"sender": "big-1", "message": "' + b"a" * 300_000
    answer = _post(
        rasa_server.url,
        content=body,  # not even valid JSON
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and "trop volumineuse" in answer.json()["error"]


@pytest.mark.server
def test_a_message_over_the_limit_is_refused_politely_and_stored_nowhere(rasa_server):
    marker = "MARQUEUR-TROP-LONG"
    started = time.monotonic()
    answer = rasa_server.say("long-1", long_text(MAX_INPUT_CHARS + 1, marker))
    assert time.monotonic() - started < 1
    assert len(answer) == 1 and "trop long (10\u202f000 caractères" in answer[0]["text"]
    assert answer == [{"recipient_id": "long-1", "text": _answers().TOO_LONG}]
    db = rasa_server.tracker_url.removeprefix("sqlite:///")
    assert _tracker_rows(db, marker) == []
    assert marker not in "".join(p.read_text(errors="replace") for p in rasa_server.logs)
    # Exactly at the limit, the message goes through (the actions ask to summarise it).
    answer = rasa_server.say("long-1", long_text(MAX_INPUT_CHARS))
    assert answer and "très long" in answer[0]["text"]
    assert [len(t) for t in _user_texts(db, "long-1")] == [MAX_INPUT_CHARS]


@pytest.mark.server
def test_a_9000_character_message_costs_what_2000_do_and_is_kept_whole(rasa_server):
    def timed(sender, text):
        started = time.monotonic()
        answer = rasa_server.say(sender, text)
        return time.monotonic() - started, answer

    long_message = long_text(9000, "FIN-DU-TEXTE")
    bounded = statistics.median(timed(f"nine-{i}", long_message)[0] for i in range(3))
    reference = statistics.median(timed(f"two-{i}", long_text(NLU_MAX_CHARS))[0] for i in range(3))
    assert bounded < 1.0 and bounded < 1.5 * reference + 0.05, (bounded, reference)
    _, answer = timed("nine-kept", long_message)
    assert "très long" in answer[0]["text"]  # the actions' answer, unchanged
    db = rasa_server.tracker_url.removeprefix("sqlite:///")
    assert _user_texts(db, "nine-kept") == [long_message]


@pytest.mark.server
@pytest.mark.parametrize("platform", ["telegram", "messenger", "twilio"])
def test_every_channel_refuses_an_over_long_message_politely(rasa_server, platforms, platform):
    from messaging.webhooks import messenger, telegram, twilio

    marker = f"MARQUEUR-{platform.upper()}"
    text = long_text(MAX_INPUT_CHARS + 1, marker)
    if platform == "telegram":
        recipient = 7101
        assert telegram(rasa_server.url, recipient, text).status_code == 200
    elif platform == "messenger":
        recipient = "psid-7102"
        assert messenger(rasa_server.url, recipient, text).status_code == 200
    else:
        recipient = "+33612347103"
        assert twilio(rasa_server.url, recipient, text).status_code == 200
    calls = platforms.wait_for(recipient, 1)
    assert len(calls) == 1 and "trop long (10\u202f000 caractères" in calls[0].text
    assert [c.text for c in calls] == [_answers().TOO_LONG]
    db = rasa_server.tracker_url.removeprefix("sqlite:///")
    assert _tracker_rows(db, marker) == []
    assert marker not in "".join(p.read_text(errors="replace") for p in rasa_server.logs)


# --- a server of its own: debug logs, small limits, a slow action server --------------------

SLOW_SECONDS = 2.0


def slow_actions(target: str, slow_prefix: str, delay: float):
    """A Starlette proxy to the action server `target`, `delay` seconds late for senders
    starting with `slow_prefix` (the event loop of Rasa stays free: it only waits), so that a
    slow turn is deterministic."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def webhook(request: Request):
        body = await request.body()
        if str(json.loads(body).get("sender_id", "")).startswith(slow_prefix):
            await asyncio.sleep(delay)
        async with httpx.AsyncClient(timeout=60) as client:
            answer = await client.post(
                target, content=body, headers={"Content-Type": "application/json"}
            )
        return Response(answer.content, answer.status_code, media_type="application/json")

    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """Rasa at DEBUG level (where it logs the most about each message) with small limits,
    nobody else talking to it, and the slow proxy between Rasa and the action server."""
    from loopback import serve

    from bot.ops.servers import LocalServers, Ports

    env = {
        "BOUSSOLE_MAX_CONCURRENT_TURNS": "2",
        "BOUSSOLE_MAX_HEAVY_TURNS": "1",
        "BOUSSOLE_TURN_WAIT_SECONDS": "0.5",
        "BOUSSOLE_ADDRESS_RATE_LIMIT": "5/60",
        "BOUSSOLE_RATE_LIMIT": "100/60",
        "BOUSSOLE_TRUSTED_PROXIES": "127.0.0.1",
    }
    ports = Ports.free()
    target = f"http://127.0.0.1:{ports.actions}/webhook"
    with (
        serve(slow_actions(target, "slow-", SLOW_SECONDS)) as proxy,
        LocalServers.isolated(
            tmp_path_factory.mktemp("guarded"),
            ports,
            env=env,
            debug=True,
            action_url=f"{proxy}/webhook",
        ) as servers,
    ):
        yield servers


def _send(servers, sender: str, message: str, **kwargs) -> httpx.Response:
    return _post(servers.url, json={"sender": sender, "message": message}, **kwargs)


def _in_thread(fn, *args):
    result = {}

    def run():
        started = time.monotonic()
        result["answer"] = fn(*args)
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.server
def test_debug_logs_hold_only_an_excerpt_of_a_message(guarded):
    marker = "MARQUEUR-JOURNAL"
    answer = guarded.say("journal-1", long_text(9000, marker))
    assert answer
    logs = guarded.log_text()
    assert "processor.message.parse" in logs  # Rasa's DEBUG line quoting the text is there
    assert marker not in logs
    assert max(len(line) for line in logs.splitlines()) <= LOG_LINE_CHARS + 200


@pytest.mark.server
def test_a_new_sender_per_message_does_not_escape_the_flood_guard(guarded):
    def post(sender, forwarded):
        return _send(guarded, sender, "bonjour", headers={"X-Forwarded-For": forwarded})

    assert [post(f"rotating-{i}", "203.0.113.7").status_code for i in range(5)] == [200] * 5
    refused = post("rotating-5", "203.0.113.7")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()[0]["text"] == _answers().RATE_LIMITED
    assert _user_texts(guarded.tracker_db, "rotating-5") == []
    assert post("rotating-6", "203.0.113.8").status_code == 200  # another address
    # Addresses written before the proxy's own entry are the client's, and not believed.
    statuses = [post(f"forged-{i}", f"198.51.100.{i}, 203.0.113.9").status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]


@pytest.mark.server
def test_a_slow_turn_does_not_hold_up_another_conversation(guarded):
    thread, slow = _in_thread(guarded.say, "slow-1", "bonjour")
    time.sleep(0.3)
    started = time.monotonic()
    other = guarded.say("quick-1", "bonjour")
    quick = time.monotonic() - started
    thread.join()
    assert other and quick < 1.0 and slow["seconds"] >= SLOW_SECONDS, (quick, slow)


@pytest.mark.server
def test_when_every_place_is_taken_a_turn_is_refused_politely_and_soon(guarded):
    threads = [_in_thread(guarded.say, f"slow-{i}", "bonjour") for i in (2, 3)]
    time.sleep(0.3)
    started = time.monotonic()
    refused = _send(guarded, "waiting-1", "bonjour")
    waited = time.monotonic() - started
    assert refused.status_code == 503 and "Beaucoup de personnes" in refused.json()[0]["text"]
    assert refused.json()[0]["text"] == _answers().BUSY
    assert int(refused.headers["Retry-After"]) >= 1 and 0.4 < waited < 1.5, waited
    assert _user_texts(guarded.tracker_db, "waiting-1") == []  # nothing written
    for thread, result in threads:
        thread.join()
        assert result["answer"]
    assert guarded.say("waiting-1", "bonjour")  # sent again: answered


@pytest.mark.server
def test_one_conversation_holds_one_place_and_long_messages_one_between_them(guarded):
    # Two turns of one slow conversation at once: the second waits for the first, in one place.
    same = [_in_thread(guarded.say, "slow-4", "bonjour") for _ in range(2)]
    time.sleep(0.3)
    started = time.monotonic()
    assert guarded.say("quick-2", "bonjour") and time.monotonic() - started < 1.0
    for thread, result in same:
        thread.join()
        assert result["answer"]
    # A slow long message holds the one place for long messages: another long one is refused,
    # a short one from a third conversation is still answered.
    heavy, result = _in_thread(guarded.say, "slow-5", long_text(3000))
    time.sleep(0.5)
    assert _send(guarded, "long-2", long_text(3000)).status_code == 503
    started = time.monotonic()
    assert guarded.say("quick-3", "bonjour") and time.monotonic() - started < 1.0
    heavy.join()
    assert result["answer"]
