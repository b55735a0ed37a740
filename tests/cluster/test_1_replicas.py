"""Rasa's horizontal scaling on this machine: two replicas sharing PostgreSQL and Redis."""

from __future__ import annotations

import threading
import time

import pytest

from tests.cluster.client import REFERENCE, lead_conversation

pytestmark = [pytest.mark.cluster, pytest.mark.model]


def test_every_process_answers_its_health_check_and_the_api_is_not_exposed(healthy, client):
    rows = {r["name"]: r for r in healthy.status()}
    assert set(rows) == {"postgres", "redis", "actions", "web", "rasa-1", "rasa-2", "nginx"}
    assert all(r["healthy"] for r in rows.values()), rows
    assert client.http.get(f"{healthy.public_url}/sante").json() == {"status": "ok"}
    # Rasa's HTTP API: not started without a token, and never routed by nginx.
    for base in (healthy.public_url, healthy.rasa_url(1)):
        answer = client.http.get(f"{base}/conversations/someone/tracker")
        assert answer.status_code == 404


def test_a_conversation_alternating_between_replicas_keeps_its_state(healthy, client):
    sender = "alternate-1"
    turns = [
        ("1", "je veux parler à un conseiller"),
        ("2", "Paul Durand"),
        ("1", "paul.alternate@example.org"),
        ("2", "oui"),
        ("1", "/confirm"),
    ]
    answers = [client.say(sender, text, via) for via, text in turns]
    assert "prénom et votre nom" in answers[0]
    assert "Paul Durand" in answers[3]  # the recap, built on replica 2
    reference = REFERENCE.search(answers[4]).group(0)  # confirmed on replica 1
    [lead] = [lead for lead in client.leads() if lead["conversation_id"] == sender]
    assert lead["reference"] == reference and lead["email"] == "paul.alternate@example.org"
    assert client.user_turns(sender) == [t for _, t in turns]


@pytest.mark.parametrize("pair", range(3))
def test_two_turns_sent_at_once_are_processed_in_order(healthy, client, pair):
    sender = f"at-once-{pair}"
    first, second = "je veux parler à un conseiller", "Paul Durand"
    answers = {}

    def send(text, via):
        answers[text] = client.say(sender, text, via)

    threads = [
        threading.Thread(target=send, args=(first, "1")),
        threading.Thread(target=send, args=(second, "2")),
    ]
    threads[0].start()
    time.sleep(0.03)  # the second leaves 30 ms later, to the other replica
    threads[1].start()
    for t in threads:
        t.join()
    assert client.user_turns(sender) == [first, second]
    # The second turn saw the first one's form: it got the next question, not the first one.
    assert "prénom et votre nom" in answers[first]
    assert "prénom et votre nom" not in answers[second]
    # Not interleaved: the first turn ends (action_listen) before the second one's message.
    events = client.events(sender)
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    previous_action = [e for e in events[: users[1]] if e["event"] == "action"][-1]
    assert previous_action["name"] == "action_listen"


def test_fifty_conversations_at_once_each_write_their_lead_exactly_once(healthy, client):
    senders = [f"fifty-{i}" for i in range(50)]
    started = time.monotonic()
    references = client.parallel(
        [lambda i=i, s=s: lead_conversation(client, s, i) for i, s in enumerate(senders)]
    )
    elapsed = time.monotonic() - started
    assert all(references), references
    leads = [lead for lead in client.leads() if lead["conversation_id"].startswith("fifty-")]
    by_sender = {}
    for lead in leads:
        by_sender.setdefault(lead["conversation_id"], []).append(lead["reference"])
    assert sorted(by_sender) == sorted(senders)
    assert all(len(refs) == 1 for refs in by_sender.values())
    assert [by_sender[s][0] for s in senders] == references
    assert len(set(references)) == 50
    print(f"50 conversations (250 turns) in {elapsed:.1f} s")
    # What people typed stays out of every log of the cluster.
    logs = "".join(p.read_text(errors="replace") for p in healthy.log_dir.glob("*.log"))
    assert "personne.7@example.org" not in logs and "Durand" not in logs
