"""Where the time of a turn goes: per-stage wall time per turn, from bench/timed_rasa.py's timers.

Start the servers with their timers first (they keep running):
  BOUSSOLE_TIMINGS=/tmp/bt .venv/bin/python bench/procs.py embedded bare bare-sqlite --timed &
then:
  .venv/bin/python bench/profile_turns.py [--concurrency 1] [--rate R] [--duration 40]
Drives the load of bench/load.py against each running server in turn, and prints, per turn,
the milliseconds and calls of each stage (difference of the timers before and after the run).
With one conversation at a time the wall times add up; under concurrent load they include
waiting for the event loop (the tracker store and the policies block it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402

from bot import settings  # noqa: E402

SERVERS = {
    "embedded": ("http://127.0.0.1:5205", True),
    "bare": ("http://127.0.0.1:5305", False),
    "bare-sqlite": ("http://127.0.0.1:5405", False),
    "embedded-wins": ("http://127.0.0.1:5505", True),
}


def snapshot(path: Path) -> dict:
    time.sleep(1.2)  # the timers are written at most once a second
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def delta(after: dict, before: dict) -> dict:
    return {
        k: {f: v[f] - before.get(k, {}).get(f, 0) for f in v}
        for k, v in after.items()
        if v["count"] - before.get(k, {}).get("count", 0) > 0
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefix", default="/tmp/bt")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rate", type=float, help="open loop at this rate (default: closed)")
    parser.add_argument("--duration", type=float, default=40)
    parser.add_argument("--only", help="comma-separated: embedded,bare,bare-sqlite")
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in settings.DEV_SET.open(encoding="utf-8")]
    for kind, (url, actions) in SERVERS.items():
        if args.only and kind not in args.only.split(","):
            continue
        files = [Path(f"{args.prefix}-{kind}.rasa.json")]
        if actions:
            files.append(Path(f"{args.prefix}-{kind}.actions.json"))
        if not files[0].exists():
            print(f"{kind}: no timings at {files[0]} (server not started with --timed?)")
            continue
        before = [snapshot(f) for f in files]
        runner = load.Runner(url, texts, seed=6, timeout=60)
        result = asyncio.run(runner.run("profile", args.concurrency, args.duration, 3, args.rate))
        after = [snapshot(f) for f in files]
        turns = delta(after[0], before[0]).get("turn (handle_message)", {}).get("count", 0)
        print(f"\n== {kind} ({url}) ==\n{load.line(result, None)}")
        if not turns:
            continue
        print(
            f"  per turn ({turns:.0f} turns handled), wall ms / CPU ms of the Rasa process, calls:"
        )
        for i, d in enumerate(delta(a, b) for a, b in zip(after, before, strict=False)):
            if i:
                print("  action server process (wall ms, CPU ms, calls per turn):")
            for name, v in sorted(d.items(), key=lambda kv: -kv[1]["wall_s"]):
                print(
                    f"    {name:<62} {1000 * v['wall_s'] / turns:7.1f} ms "
                    f"{1000 * v['cpu_s'] / turns:7.1f} ms  {v['count'] / turns:5.2f}"
                )


if __name__ == "__main__":
    main()
