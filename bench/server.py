"""Benchmark of the running assistant: time to first answer and memory of each process.

Starts the action server, the web app and the Rasa server with bot.ops.servers, as
scripts/run.sh does (ports 5115/5165/8115, SQL tracker store and leads database in a temporary
folder), sends the dev set's first messages one by one over REST, then drives whole call-back
conversations (orientation, contact form, confirmation: the action server and the database in
the loop), and prints start-up time, per-turn latency and the resident memory of the three
processes.
Usage: .venv/bin/python bench/server.py [--conversations N]
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.request
from pathlib import Path

from bot import settings
from bot.ops.servers import LocalServers, Ports

RASA_PORT, ACTIONS_PORT, WEB_PORT = 5115, 5165, 8115  # clear of bot cluster's ports


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


CONVERSATION = [
    "bonjour",
    "on voudrait reprendre la boîte de notre patron en SCOP",
    "/request_callback",
    "Léa Martin, lea.martin@example.org, Firminy",
    "Menuiserie Dupont",
    "Reprendre la menuiserie avec six collègues",
    "oui",
    "/confirm",
    '/feedback{"useful": "oui"}',
]


def percentiles(durations: list[float]) -> str:
    durations = sorted(durations)
    pct = lambda p: 1000 * durations[int(p * (len(durations) - 1))]  # noqa: E731
    return (
        f"p50 {pct(0.5):.0f} ms, p95 {pct(0.95):.0f} ms, max {1000 * durations[-1]:.0f} ms "
        f"({len(durations)} turns)"
    )


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=30)
    args = parser.parse_args()
    servers = LocalServers.isolated(
        Path(tempfile.mkdtemp()),
        Ports(RASA_PORT, ACTIONS_PORT, WEB_PORT),
        env={"BOUSSOLE_SECRET_KEY": "bench-only-not-a-secret"},
    )
    say = servers.say
    servers.start()
    try:
        print(f"start-up to first answer: {servers.wait_ready(warm_up='bench-warmup'):.1f} s")
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
        print(
            f"whole call-back conversations ({args.conversations} × {len(CONVERSATION)} "
            f"turns, lead written): {percentiles(turns)}"
        )
        try:  # a page of the web app (demo page), so its RSS is that of a process that served
            urllib.request.urlopen(f"http://127.0.0.1:{WEB_PORT}/", timeout=30).read()
        except OSError:
            pass
        pids = {name: p.pid for name, p in servers.processes.items()}
        print(
            f"RSS: rasa server {rss_mb(pids['rasa']):.0f} MB, action server "
            f"{rss_mb(pids['actions']):.0f} MB, web app {rss_mb(pids['web']):.0f} MB"
        )
    finally:
        servers.stop()


if __name__ == "__main__":
    main()
