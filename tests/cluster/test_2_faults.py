"""Faults and bad input on the cluster: floods, Redis down, PostgreSQL restarted, a slow action
server, a replica killed, a replica stopped. Each test leaves what it broke for the `healthy`
fixture to restart; the replicas are stopped last (this file runs after test_1_replicas.py), so
only one model load is waited for again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.cluster.client import REFERENCE

pytestmark = [pytest.mark.cluster, pytest.mark.model]
UNAVAILABLE = "momentanément indisponible"


def test_a_flood_from_one_sender_is_limited_without_hurting_other_conversations(healthy, client):
    calm = {}

    def calm_conversation():
        for text in (
            "bonjour",
            "on voudrait reprendre la boîte de notre patron en SCOP",
            "c'est quoi une SCOP ?",
        ):
            started = time.monotonic()
            status, body = client.post("calm-1", text)
            calm.setdefault("turns", []).append((status, time.monotonic() - started, body))

    def flood_message(i):
        answer = client.http.post(
            f"{healthy.public_url}/webhooks/rest/webhook",
            json={"sender": "flood-1", "message": f"bonjour {i}"},
        )
        return answer.status_code, answer.headers.get("Retry-After"), answer.json()

    calm_thread = threading.Thread(target=calm_conversation)
    calm_thread.start()
    flood = client.parallel([lambda i=i: flood_message(i) for i in range(40)], workers=40)
    calm_thread.join()
    statuses = [s for s, _, _ in flood]
    assert set(statuses) <= {200, 429}
    limit = int(healthy.rate_limit.split("/")[0])
    assert statuses.count(429) >= 40 - 2 * limit  # one window, or two at a boundary
    refused = next(f for f in flood if f[0] == 429)
    assert int(refused[1]) >= 1 and "beaucoup de messages" in refused[2][0]["text"]
    # Accepted flood turns are all in the conversation, one after the other (the lock store,
    # shared by both replicas); refused ones never reached it.
    assert len(client.user_turns("flood-1")) == statuses.count(200)
    client.assert_turns_not_interleaved("flood-1")

    # The widget's proxy passes the refusal on, in words the widget shows. A burst of
    # 2 × limit + 1 is refused at least once whatever the clock: the flood's accepted turns
    # take seconds, and a window may have ended meanwhile (one window, or two at a boundary).
    def proxied_message(i):
        answer = client.http.post(
            f"{healthy.public_url}/chat", json={"sender": "flood-1", "message": f"encore {i}"}
        )
        return answer.status_code, answer.json()

    proxied = client.parallel(
        [lambda i=i: proxied_message(i) for i in range(2 * limit + 1)], workers=2 * limit + 1
    )
    assert {status for status, _ in proxied} <= {200, 429}
    refusals = [body for status, body in proxied if status == 429]
    assert refusals and all("beaucoup de messages" in body["error"] for body in refusals)
    # The other conversation went on normally meanwhile.
    assert [s for s, _, _ in calm["turns"]] == [200, 200, 200]
    assert all(body for _, _, body in calm["turns"])
    assert max(t for _, t, _ in calm["turns"]) < 10


def test_redis_down_makes_replicas_refuse_turns_clearly_and_keeps_the_conversation(healthy, client):
    sender = "redis-down-1"
    assert "prénom et votre nom" in client.say(sender, "je veux parler à un conseiller")
    before = client.events(sender)
    healthy.stop("redis")
    try:
        for via in ("1", "2", "nginx"):
            status, body = client.post(sender, "Paul Durand", via)
            assert status == 503 and UNAVAILABLE in body[0]["text"], (via, status, body)
        assert client.events(sender) == before  # nothing half-written
    finally:
        healthy.start("redis")
        healthy.wait_healthy(["redis"], 30)
    answer = client.say(sender, "Paul Durand")
    assert "prénom et votre nom" not in answer  # the form went on where it was
    assert client.user_turns(sender) == ["je veux parler à un conseiller", "Paul Durand"]


def test_postgresql_restarted_mid_load_loses_no_confirmed_lead(healthy, client):
    senders = [f"pg-restart-{i}" for i in range(20)]
    replies: dict[str, str] = {}

    def conversation(i, sender):
        say = lambda t: client.say_until_answered(sender, t)  # noqa: E731
        for text in ("je veux parler à un conseiller", "Paul Durand", f"pg.{i}@example.org", "oui"):
            say(text)
        replies[sender] = say("/confirm")

    def restart():
        # Mid-load: once a third of the 100 turns are answered, PostgreSQL goes away for 2 s.
        deadline = time.monotonic() + 60
        while client.answered - answered_before < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        healthy.stop_postgres()
        time.sleep(2)
        healthy.start_postgres()

    refused_before, answered_before = client.refused, client.answered
    restarter = threading.Thread(target=restart)
    restarter.start()
    client.parallel(
        [lambda i=i, s=s: conversation(i, s) for i, s in enumerate(senders)], workers=20
    )
    restarter.join()
    refused = client.refused - refused_before
    print(f"{refused} turn(s) refused with 503 during the restart, then sent again")
    assert refused > 0, "the restart did not happen while turns were in flight"
    for sender in senders:
        client.assert_turns_not_interleaved(sender)
    # Leads kept in the outbox while the database was away are written now.
    env = healthy.env("flush")
    flushed = subprocess.run(
        [sys.executable, "-m", "bot", "leads", "flush"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert flushed.returncode == 0, flushed.stderr
    leads = {}
    for lead in client.leads():
        if lead["conversation_id"] in replies:
            leads.setdefault(lead["conversation_id"], []).append(lead["reference"])
    for sender in senders:
        reply = replies[sender]
        assert REFERENCE.search(reply) or "bien gardée" in reply, reply
        assert len(leads.get(sender, [])) == 1, (sender, leads.get(sender))
        shown = REFERENCE.search(reply)
        if shown:
            assert leads[sender] == [shown.group(0)]


def test_a_slow_action_server_gets_a_polite_answer_in_time(healthy, client):
    sender = "slow-1"
    client.say(sender, "bonjour")
    actions = healthy.processes["actions"]
    os.killpg(actions.pid, signal.SIGSTOP)  # frozen: connections accepted, no answer
    try:
        started = time.monotonic()
        answer = client.say(sender, "on voudrait reprendre la boîte de notre patron en SCOP")
        elapsed = time.monotonic() - started
    finally:
        os.killpg(actions.pid, signal.SIGCONT)
    assert "plus de temps que prévu" in answer
    assert elapsed < 30, elapsed
    # Once the action server answers again, so does the assistant, in the same conversation.
    answer = client.say(sender, "on voudrait reprendre la boîte de notre patron en SCOP")
    assert "Reprise d'entreprise en coopérative" in answer


def test_killing_a_replica_mid_conversation_loses_nothing(healthy, client):
    """SIGKILL, as a crash would; the next test starts the replica again."""
    sender = "killed-replica-1"
    texts = iter(
        [
            "je veux parler à un conseiller",
            "Paul Durand",
            "paul.killed@example.org",
            "oui",
            "/confirm",
        ]
    )
    said = [next(texts), next(texts)]
    for text in said:
        client.say(sender, text)
    healthy.kill("rasa-2")
    answers = []
    for text in texts:  # nginx sends every turn to rasa-1
        answers.append(client.say(sender, text))
        said.append(text)
    reference = REFERENCE.search(answers[-1]).group(0)
    assert [lead["reference"] for lead in client.leads() if lead["conversation_id"] == sender] == [
        reference
    ]
    assert client.user_turns(sender) == said


def test_a_replica_stopped_gracefully_finishes_its_turn_in_flight(healthy, client):
    """After the kill above, `healthy` has started replica 2 again; here it is stopped the way
    systemd and `cluster down` stop it (SIGTERM) while one of its turns is still running."""
    sender = "graceful-1"
    client.say(sender, "bonjour", via="2")
    actions = healthy.processes["actions"]
    os.killpg(actions.pid, signal.SIGSTOP)  # keeps the next turn busy for 3 s
    result = {}
    in_flight = threading.Thread(
        target=lambda: result.update(
            answer=client.post(
                sender, "on voudrait reprendre la boîte de notre patron en SCOP", via="2"
            )
        )
    )
    try:
        in_flight.start()
        time.sleep(1.0)
        replica = healthy.processes["rasa-2"]
        os.kill(replica.pid, signal.SIGTERM)
        in_flight.join(timeout=30)
    finally:
        os.killpg(actions.pid, signal.SIGCONT)
    status, body = result["answer"]
    assert status == 200 and body, body  # answered before the replica left
    deadline = time.monotonic() + 30
    while replica.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not replica.alive()
    # The conversation goes on through nginx, on the other replica.
    assert "Reprise d'entreprise en coopérative" in client.say(
        sender, "on voudrait reprendre la boîte de notre patron en SCOP"
    )
