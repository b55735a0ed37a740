"""The production shape on this machine, started once for these tests and stopped after them:
PostgreSQL, Redis, nginx, two Rasa replicas, the action server (two workers) and the web app
(`bot.ops.cluster`).

Ports are shifted by 1000 from `python -m bot cluster up`'s, and the state lives in a temporary
directory, so a cluster someone started by hand is left alone. The tests skip, saying why, only
when PostgreSQL, Redis or nginx can neither be found nor installed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.ops.cluster import Cluster, ClusterError, ensure_packages

PORT_OFFSET = int(os.environ.get("BOUSSOLE_TEST_CLUSTER_OFFSET", "1000"))
ACTION_TIMEOUT = 3.0      # seconds before a slow action gets the polite answer
RATE_LIMIT = (15, 30)     # messages per conversation per window of seconds


class Client:
    """Talks to the cluster like the widget does, and reads its databases like an advisor."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.refused = 0   # turns answered 502/503 and sent again by say_until_answered
        self.answered = 0  # turns answered 200 by say_until_answered
        self.http = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=200))
        self.leads_db = create_engine(cluster.database_url("boussole"), future=True,
                                      pool_pre_ping=True)
        self.tracker_db = create_engine(cluster.database_url("boussole_tracker"), future=True,
                                        pool_pre_ping=True)

    def url(self, via: str) -> str:
        return self.cluster.public_url if via == "nginx" else self.cluster.rasa_url(int(via))

    def post(self, sender: str, message: str, via: str = "nginx") -> tuple[int, list[dict]]:
        answer = self.http.post(f"{self.url(via)}/webhooks/rest/webhook",
                                json={"sender": sender, "message": message})
        try:
            body = answer.json()
        except ValueError:
            body = [{"text": answer.text}]
        return answer.status_code, body

    def say(self, sender: str, message: str, via: str = "nginx") -> str:
        status, body = self.post(sender, message, via)
        assert status == 200, (status, body)
        return "\n".join(m.get("text") or "" for m in body)

    def say_until_answered(self, sender: str, message: str, seconds: float = 60) -> str:
        """What a person does when the assistant says it is unavailable: try again."""
        deadline = time.monotonic() + seconds
        while True:
            status, body = self.post(sender, message)
            if status == 200:
                self.answered += 1
                return "\n".join(m.get("text") or "" for m in body)
            assert status in (502, 503), (status, body)
            self.refused += 1
            assert time.monotonic() < deadline, f"still {status} after {seconds} s"
            time.sleep(0.5)

    def leads(self) -> list[dict]:
        with self.leads_db.connect() as c:
            return [dict(r._mapping) for r in c.execute(text("SELECT * FROM leads"))]

    def events(self, sender: str) -> list[dict]:
        with self.tracker_db.connect() as c:
            rows = c.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                             {"s": sender})
            return [json.loads(r[0]) for r in rows]

    def user_turns(self, sender: str) -> list[str]:
        return [e.get("text") for e in self.events(sender) if e["event"] == "user"]

    def assert_turns_not_interleaved(self, sender: str) -> None:
        """Each turn ends (action_listen) before the next message of the conversation starts."""
        last_action = None
        for event in self.events(sender):
            if event["event"] == "user" and last_action is not None:
                assert last_action == "action_listen", (sender, last_action)
            if event["event"] == "action":
                last_action = event["name"]

    def parallel(self, jobs, workers: int = 50):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(job) for job in jobs]
            return [f.result() for f in futures]


REFERENCE = re.compile(r"ESS-\d{4}-\d+")


def lead_conversation(client: Client, sender: str, number: int,
                      say=None) -> str | None:
    """A short call-back request, from the first message to the confirmation; the reference."""
    say = say or (lambda t: client.say(sender, t))
    say("je veux parler à un conseiller")
    say("Paul Durand")
    say(f"personne.{number}@example.org")
    say("oui")
    done = say("/confirm")
    found = REFERENCE.search(done)
    return found.group(0) if found else None


@pytest.fixture(scope="package")
def cluster():
    try:
        ensure_packages()
    except ClusterError as exc:
        pytest.skip(f"PostgreSQL, Redis ou nginx indisponible et non installable : {exc}")
    # Not under pytest's own tmp dir (mode 700): PostgreSQL runs as user postgres.
    state = Path(tempfile.mkdtemp(prefix="boussole-cluster-"))
    state.chmod(0o755)
    cluster = Cluster(state_dir=state, port_offset=PORT_OFFSET, action_timeout=ACTION_TIMEOUT,
                      rate_limit=f"{RATE_LIMIT[0]}/{RATE_LIMIT[1]}")
    try:
        cluster.up()
        yield cluster
    finally:
        _restore_signals(cluster)
        cluster.down(quiet=True)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="package")
def client(cluster):
    client = Client(cluster)
    yield client
    client.http.close()


NAMES = ["postgres", "redis", "actions", "web", "rasa-1", "rasa-2", "nginx"]


@pytest.fixture
def healthy(cluster):
    """Each test starts with every process up: what an earlier fault test broke is restarted."""
    _restore_signals(cluster)
    for name in NAMES:
        if name not in cluster.processes or not cluster.processes[name].alive():
            cluster.processes.pop(name, None)
            cluster.start(name)
    cluster.wait_healthy([n for n in NAMES if n != "postgres"], 300)
    return cluster


def _restore_signals(cluster: Cluster) -> None:
    """A test may have frozen a process group (SIGSTOP): let it go on."""
    for process in cluster.processes.values():
        if process.name != "postgres":
            try:
                os.killpg(process.pid, signal.SIGCONT)
            except (ProcessLookupError, PermissionError):
                pass
