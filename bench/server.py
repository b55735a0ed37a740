"""Benchmark of the running assistant: time to first answer and memory of each process.

Starts the action server, the web app and the Rasa server like scripts/run.sh (ports
5115/5165/8115, SQL tracker store and leads database in a temporary folder), sends the dev set's
first messages one by one over REST, then drives whole call-back conversations (orientation,
contact form, confirmation: the action server and the database in the loop), and prints start-up
time, per-turn latency and the resident memory of the three processes.
Usage: .venv/bin/python bench/server.py [--conversations N]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bot import settings

RASA_PORT, ACTIONS_PORT, WEB_PORT = 5115, 5165, 8115   # clear of bot cluster's ports


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def say(sender: str, text: str) -> list:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{RASA_PORT}/webhooks/rest/webhook",
                                     data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


CONVERSATION = [
    "bonjour", "on voudrait reprendre la boîte de notre patron en SCOP", "/request_callback",
    "Léa Martin, lea.martin@example.org, Firminy", "Menuiserie Dupont",
    "Reprendre la menuiserie avec six collègues", "oui", "/confirm", '/feedback{"useful": "oui"}',
]


def percentiles(durations: list[float]) -> str:
    durations = sorted(durations)
    pct = lambda p: 1000 * durations[int(p * (len(durations) - 1))]  # noqa: E731
    return (f"p50 {pct(0.5):.0f} ms, p95 {pct(0.95):.0f} ms, max {1000 * durations[-1]:.0f} ms "
            f"({len(durations)} turns)")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
               DATABASE_URL=f"sqlite:///{tmp / 'leads.db'}",
               TRACKER_STORE_URL=f"sqlite:///{tmp / 'tracker.db'}",
               BOUSSOLE_OUTBOX=str(tmp / "outbox"))
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{ACTIONS_PORT}/webhook\n"
                         "tracker_store:\n  type: bot.rasa_ext.trackers.CachedSQLTrackerStore\n"
                         "  dialect: sqlite\n"
                         f"  db: {tmp / 'tracker.db'}\n")
    started = time.perf_counter()
    actions = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                "--port", str(ACTIONS_PORT)], cwd=settings.ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    web = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(WEB_PORT)],
                           cwd=settings.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=dict(env, BOUSSOLE_RASA_URL=f"http://127.0.0.1:{RASA_PORT}",
                                    BOUSSOLE_COOKIE_SECURE="0",
                                    BOUSSOLE_SECRET_KEY="bench-only-not-a-secret"))
    rasa = subprocess.Popen([sys.executable, "-m", "rasa", "run", "--model",
                             str(settings.MODEL_FILE), "--endpoints", str(endpoints),
                             "--port", str(RASA_PORT), "--interface", "127.0.0.1"],
                            cwd=settings.ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if say("bench-warmup", "bonjour"):
                    break
            except OSError:
                time.sleep(0.5)
        print(f"start-up to first answer: {time.perf_counter() - started:.1f} s")
        texts = [json.loads(line)["text"] for line in settings.DEV_SET.open(encoding="utf-8")]
        durations = []
        for i, text in enumerate(texts):
            t0 = time.perf_counter()
            say(f"bench-{i}", text)
            durations.append(time.perf_counter() - t0)
        print(f"first messages (orientation), one at a time: {percentiles(durations)}")
        turns = []
        for n in range(args.conversations):
            for text in CONVERSATION:
                t0 = time.perf_counter()
                say(f"bench-conv-{n}", text)
                turns.append(time.perf_counter() - t0)
        print(f"whole call-back conversations ({args.conversations} × {len(CONVERSATION)} "
              f"turns, lead written): {percentiles(turns)}")
        try:   # a page of the web app (demo page), so its RSS is that of a process that served
            urllib.request.urlopen(f"http://127.0.0.1:{WEB_PORT}/", timeout=30).read()
        except OSError:
            pass
        print(f"RSS: rasa server {rss_mb(rasa.pid):.0f} MB, action server "
              f"{rss_mb(actions.pid):.0f} MB, web app {rss_mb(web.pid):.0f} MB")
    finally:
        for p in (rasa, actions, web):
            p.terminate()
        for p in (rasa, actions, web):
            p.wait(30)


if __name__ == "__main__":
    main()
