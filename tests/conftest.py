"""Shared fixtures: the catalogue, the trained model (loaded once), and live servers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from loopback import free_port

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def catalogue():
    from bot.orientation.catalogue import load_catalogue

    return load_catalogue()


@pytest.fixture(scope="session")
def orienter():
    from bot.orientation.orient import Orienter

    return Orienter()


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: int = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"server not ready after {seconds}s: {url}\n{log.read_text()[-3000:]}")


class RasaServer:
    def __init__(self, url: str):
        self.url = url

    def say(self, sender: str, text: str) -> list[dict]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read().decode() or "[]")


@pytest.fixture(scope="session")
def platforms():
    """Local fakes of the Telegram, Messenger and Twilio APIs the channels talk to."""
    import fake_platforms as fp
    from loopback import serve

    fake = fp.FakePlatforms()
    with serve(fake.app()) as url:
        fake.url = url
        yield fake


def channel_env(platforms, rasa_url: str) -> dict[str, str]:
    """The environment turning the messaging channels on, pointed at the local fakes."""
    import fake_platforms as fp

    return {
        "TELEGRAM_ACCESS_TOKEN": fp.TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": fp.TELEGRAM_SECRET,
        "TELEGRAM_API_URL": platforms.url,
        "FACEBOOK_VERIFY_TOKEN": fp.FACEBOOK_VERIFY, "FACEBOOK_APP_SECRET": fp.FACEBOOK_SECRET,
        "FACEBOOK_PAGE_TOKEN": fp.FACEBOOK_PAGE_TOKEN, "FACEBOOK_API_URL": platforms.url,
        "TWILIO_ACCOUNT_SID": fp.TWILIO_SID, "TWILIO_AUTH_TOKEN": fp.TWILIO_TOKEN,
        "TWILIO_API_URL": platforms.url,
        "TWILIO_WEBHOOK_URL": f"{rasa_url}/webhooks/twilio/webhook",
        "BOUSSOLE_CHANNEL_TIMEOUT": "1", "BOUSSOLE_PUBLIC_URL": "https://ess.example.org",
        "BOUSSOLE_RATE_LIMIT": "20/60",
    }


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory, platforms):
    """The real Rasa server and action server on free loopback ports, with the trained model
    and the messaging channels on, talking to local fakes of the platforms."""
    tmp = tmp_path_factory.mktemp("servers")
    action_port, rasa_port = free_port(), free_port()
    endpoints = tmp / "endpoints.yml"
    tracker_db = tmp / "tracker.db"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
                         "tracker_store:\n  type: bot.rasa_ext.trackers.CachedSQLTrackerStore\n"
                         "  dialect: sqlite\n"
                         f"  db: {tracker_db}\n")
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONWARNINGS="ignore", DATABASE_URL=f"sqlite:///{tmp / 'leads.db'}",
               TRACKER_STORE_URL=f"sqlite:///{tracker_db}", BOUSSOLE_OUTBOX=str(tmp / "outbox"),
               SANIC_HOST="127.0.0.1",  # the action server on loopback, as in production
               **channel_env(platforms, f"http://127.0.0.1:{rasa_port}"))
    action_log, rasa_log = tmp / "actions.log", tmp / "rasa.log"
    actions = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
        cwd=ROOT, env=env, stdout=action_log.open("w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--model", str(ROOT / "models/boussole.tar.gz"),
         "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
         "--port", str(rasa_port), "--interface", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", actions, action_log)
        _wait(f"http://127.0.0.1:{rasa_port}/", rasa, rasa_log)
        server = RasaServer(f"http://127.0.0.1:{rasa_port}")
        server.database_url = env["DATABASE_URL"]
        server.tracker_url = env["TRACKER_STORE_URL"]
        server.logs = (action_log, rasa_log)
        # The model is loaded lazily by some Rasa versions: wait for a real answer.
        deadline = time.monotonic() + 120
        while not server.say("warm-up", "bonjour") and time.monotonic() < deadline:
            time.sleep(1)
        yield server
    finally:
        for proc in (rasa, actions):
            proc.terminate()
        for proc in (rasa, actions):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
