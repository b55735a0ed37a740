"""Benchmark of one-shot orientation: model load time and `bot orient` throughput.

Usage: .venv/bin/python bench/orient.py [--repeat 3] [--cli]
With --cli, also times the command itself, `python -m bot orient --jsonl FILE --stats` on the dev
set repeated: its own throughput figure (after the model load) and the wall time, load included.
Prints figures; asserts nothing (see docs/performance.md for the recorded ones).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time

from bot import settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="also time `bot orient --jsonl`")
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in settings.DEV_SET.open(encoding="utf-8")]

    started = time.perf_counter()
    from bot.orientation.orient import Orienter

    orienter = Orienter()
    load = time.perf_counter() - started
    orienter.orient("bonjour")  # first call builds the prediction graph

    durations = []
    for _ in range(args.repeat):
        for text in texts:
            t0 = time.perf_counter()
            orienter.orient(text)
            durations.append(time.perf_counter() - t0)
    durations.sort()
    total = sum(durations)
    pct = lambda p: 1000 * durations[int(p * (len(durations) - 1))]  # noqa: E731
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model load (import + Agent.load): {load:.1f} s")
    print(f"texts: {len(durations)}  throughput: {len(durations) / total:.1f} texts/s")
    print(f"per text: p50 {pct(0.5):.1f} ms  p95 {pct(0.95):.1f} ms  p99 {pct(0.99):.1f} ms")
    print(f"peak RSS of this process: {rss:.0f} MB")
    if args.cli:
        cli(texts * args.repeat)


def cli(texts: list[str]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as f:
        f.writelines(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
        f.flush()
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "orient", "--jsonl", f.name, "--stats"],
            cwd=settings.ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
    stats = [
        re.sub(r"\x1b\[[0-9;]*m", "", line)
        for line in done.stderr.splitlines()
        if "textes/s" in line
    ]
    print(
        f"bot orient --jsonl ({len(texts)} texts): {stats[-1] if stats else '?'}; "
        f"whole command {wall:.1f} s, model load included"
    )


if __name__ == "__main__":
    main()
