"""Real Rasa and action servers on loopback, started with the settings one test module needs.

`tests/conftest.py`'s `rasa_server` is shared by the whole session with fixed settings; the
input limits (flood guard per address, concurrency bound) need their own values and a server
nobody else talks to. Optionally a slow action server: a proxy in front of the real one that
holds the answer for some conversations, so that a slow turn is deterministic.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from loopback import free_port, serve

ROOT = Path(__file__).resolve().parent.parent


class Servers:
    def __init__(self, url: str, logs: tuple[Path, Path], tracker_db: Path):
        self.url, self.logs, self.tracker_db = url, logs, tracker_db
        self.webhook = f"{url}/webhooks/rest/webhook"

    def post(self, sender, message, *, headers: dict | None = None,
             timeout: float = 60) -> httpx.Response:
        return httpx.post(self.webhook, json={"sender": sender, "message": message},
                          headers=headers, timeout=timeout)

    def say(self, sender: str, message: str, **kwargs) -> list[dict]:
        answer = self.post(sender, message, **kwargs)
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        return answer.json()

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs)

    def user_texts(self, sender: str) -> list[str]:
        """What the tracker store holds as this conversation's user messages."""
        import json
        import sqlite3

        with sqlite3.connect(self.tracker_db) as db:
            rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'"
                              " ORDER BY id", (sender,)).fetchall()
        return [json.loads(r[0]).get("text") for r in rows]


def slow_actions(target: str, slow_prefix: str, delay: float):
    """A Starlette proxy to the action server `target`, `delay` seconds late for senders
    starting with `slow_prefix` (the event loop of Rasa stays free: it only waits)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def webhook(request: Request):
        body = await request.body()
        import json

        if str(json.loads(body).get("sender_id", "")).startswith(slow_prefix):
            await asyncio.sleep(delay)
        async with httpx.AsyncClient(timeout=60) as client:
            answer = await client.post(target, content=body,
                                       headers={"Content-Type": "application/json"})
        return Response(answer.content, answer.status_code, media_type="application/json")

    return Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"server not ready after {seconds}s: {url}\n{log.read_text()[-3000:]}")


@contextmanager
def rasa_and_actions(tmp: Path, env: dict[str, str] | None = None,
                     credentials: Path | None = None, slow: tuple[str, float] | None = None,
                     debug: bool = False):
    """Start the action server and Rasa (the trained model, SQLite tracker in `tmp`); yield
    a `Servers`. `slow=(prefix, seconds)` puts the slow proxy between them; `debug` runs Rasa
    at DEBUG level (where it logs the most about each message)."""
    tmp.mkdir(parents=True, exist_ok=True)
    action_port, rasa_port = free_port(), free_port()
    tracker_db = tmp / "tracker.db"
    environment = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
                       PYTHONWARNINGS="ignore", DATABASE_URL=f"sqlite:///{tmp / 'leads.db'}",
                       TRACKER_STORE_URL=f"sqlite:///{tracker_db}",
                       BOUSSOLE_OUTBOX=str(tmp / "outbox"), **(env or {}))
    action_log, rasa_log = tmp / "actions.log", tmp / "rasa.log"
    with ExitStack() as stack:
        procs: list[subprocess.Popen] = []

        def stop() -> None:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()

        stack.callback(stop)
        actions = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port",
             str(action_port)], cwd=ROOT, env=environment, stdout=action_log.open("w"),
            stderr=subprocess.STDOUT)
        procs.append(actions)
        action_url = f"http://127.0.0.1:{action_port}/webhook"
        if slow:
            proxy = stack.enter_context(serve(slow_actions(action_url, *slow)))
            action_url = f"{proxy}/webhook"
        endpoints = tmp / "endpoints.yml"
        endpoints.write_text(f"action_endpoint:\n  url: {action_url}\n"
                             "tracker_store:\n  type: bot.rasa_ext.trackers.CachedSQLTrackerStore\n"
                             f"  dialect: sqlite\n  db: {tracker_db}\n")
        rasa = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(ROOT / "models/boussole.tar.gz"),
             "--endpoints", str(endpoints),
             "--credentials", str(credentials or ROOT / "credentials.yml"),
             "--port", str(rasa_port), "--interface", "127.0.0.1"] + (["--debug"] if debug else []),
            cwd=ROOT, env=environment, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT)
        procs.insert(0, rasa)
        _wait(f"http://127.0.0.1:{action_port}/health", actions, action_log)
        _wait(f"http://127.0.0.1:{rasa_port}/", rasa, rasa_log)
        servers = Servers(f"http://127.0.0.1:{rasa_port}", (action_log, rasa_log), tracker_db)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:      # the model may load lazily: a real answer
            answer = servers.post("warm-up", "bonjour")
            if answer.status_code == 200 and answer.json():
                break
            time.sleep(1)
        yield servers
