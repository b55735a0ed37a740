"""Talking to the cluster under test like the widget does (through nginx or straight to one
replica, over the harness's REST exchange, `bot.ops.servers.exchange`) and reading its
databases like an advisor."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import create_engine, text

from bot.ops.cluster import Cluster
from bot.ops.servers import exchange

REFERENCE = re.compile(r"ESS-\d{4}-\d+")


class Client:
    """`post`/`say` for REST turns; `http` for everything else (health, /chat, headers)."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.refused = 0  # turns answered 502/503 and sent again by say_until_answered
        self.answered = 0  # turns answered 200 by say_until_answered
        self.http = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=200))
        self.leads_db = create_engine(
            cluster.database_url("boussole"), future=True, pool_pre_ping=True
        )
        self.tracker_db = create_engine(
            cluster.database_url("boussole_tracker"), future=True, pool_pre_ping=True
        )

    def close(self) -> None:
        self.http.close()
        self.leads_db.dispose()
        self.tracker_db.dispose()

    def url(self, via: str) -> str:
        return self.cluster.public_url if via == "nginx" else self.cluster.rasa_url(int(via))

    def post(self, sender: str, message: str, via: str = "nginx") -> tuple[int, list[dict]]:
        return exchange(self.url(via), sender, message, timeout=120)

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
            rows = c.execute(
                text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            )
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


def lead_conversation(client: Client, sender: str, number: int, say=None) -> str | None:
    """A short call-back request, from the first message to the confirmation; the reference."""
    say = say or (lambda t: client.say(sender, t))
    say("je veux parler à un conseiller")
    say("Paul Durand")
    say(f"personne.{number}@example.org")
    say("oui")
    done = say("/confirm")
    found = REFERENCE.search(done)
    return found.group(0) if found else None
