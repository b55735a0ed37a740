"""Processes the load benchmarks start: the assistant on embedded defaults, and the bare floor.

Shared by bench/load.py and bench/profile_turns.py. Each server runs on its own ports with its
own SQLite files in a temporary folder, so a benchmark never touches var/ or models/boussole.
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

BENCH = Path(__file__).resolve().parent
BARE_DIR = BENCH / "bare"
BARE_MODEL = settings.ROOT / "var" / "bench" / "bare.tar.gz"
ENV = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
           PYTHONWARNINGS="ignore")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and of all its descendants (Sanic may fork workers)."""
    total = 0.0
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def descendants(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(status.parent.name)
            found += [child, *descendants(child)]
    return found


def say(url: str, sender: str, text: str, timeout: float = 60) -> list:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url.rstrip('/')}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def wait_answer(url: str, process: subprocess.Popen | None = None, limit: float = 300) -> float:
    """Seconds until the server at `url` answers "bonjour" over REST."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server stopped (exit {process.returncode}), see its log")
        try:
            if say(url, "bench-warmup", "bonjour", timeout=30):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {limit:.0f} s")


class Servers:
    """Rasa server (+ action server unless bare) started in the background; stop() ends them."""

    def __init__(self, kind: str, port: int, actions_port: int | None = None,
                 tracker: str = "sqlite", timings: str | None = None, wins: str = ""):
        self.kind, self.port = kind, port
        self.url = f"http://127.0.0.1:{port}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"boussole-bench-{kind}-"))
        self.processes: dict[str, subprocess.Popen] = {}
        env = dict(ENV, DATABASE_URL=f"sqlite:///{self.tmp / 'leads.db'}",
                   TRACKER_STORE_URL=f"sqlite:///{self.tmp / 'tracker.db'}",
                   BOUSSOLE_OUTBOX=str(self.tmp / "outbox"), BOUSSOLE_BENCH_WINS=wins)
        if wins and not timings:
            timings = str(self.tmp / "timings")
        timer = [sys.executable, str(BENCH / "timed_rasa.py")] if timings else None
        endpoints = self.tmp / "endpoints.yml"
        lines = []
        if kind == "embedded":
            lines.append(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n")
            self.processes["actions"] = subprocess.Popen(
                [*(timer or [sys.executable, "-m"]), "rasa_sdk", "--actions", "actions",
                 "--port", str(actions_port)], cwd=settings.ROOT,
                env=dict(env, BOUSSOLE_TIMINGS=f"{timings}.actions.json") if timings else env,
                stdout=open(self.tmp / "actions.log", "wb"), stderr=subprocess.STDOUT)
        if tracker == "sqlite":
            lines.append("tracker_store:\n  type: bot.rasa_ext.trackers.CachedSQLTrackerStore\n"
                         "  dialect: sqlite\n"
                         f"  db: {self.tmp / 'tracker.db'}\n")
        endpoints.write_text("".join(lines) or "{}\n")
        model = settings.MODEL_FILE if kind == "embedded" else BARE_MODEL
        command = [*timer, "rasa"] if timer else [sys.executable, "-m", "rasa"]
        self.started = time.perf_counter()
        self.processes["rasa"] = subprocess.Popen(
            [*command, "run", "--model", str(model), "--endpoints", str(endpoints),
             "--port", str(port), "--interface", "127.0.0.1"],
            cwd=settings.ROOT, stdout=open(self.tmp / "rasa.log", "wb"),
            env=dict(env, BOUSSOLE_TIMINGS=f"{timings}.rasa.json") if timings else env,
            stderr=subprocess.STDOUT)

    def wait(self) -> float:
        """Seconds from start to the first answer."""
        wait_answer(self.url, self.processes["rasa"])
        return time.perf_counter() - self.started

    def rss(self) -> dict[str, float]:
        return {name: rss_mb(p.pid) for name, p in self.processes.items()}

    def stop(self) -> None:
        for p in self.processes.values():
            p.terminate()
        for p in self.processes.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def train_bare(force: bool = False) -> float | None:
    """Trains the bare floor model into var/bench/bare.tar.gz; returns seconds, None if kept."""
    if BARE_MODEL.exists() and not force and all(
            f.stat().st_mtime < BARE_MODEL.stat().st_mtime for f in BARE_DIR.rglob("*.yml")):
        return None
    BARE_MODEL.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rasa", "train", "--config", str(BARE_DIR / "config.yml"),
                    "--domain", str(BARE_DIR / "domain.yml"), "--data", str(BARE_DIR / "data"),
                    "--out", str(BARE_MODEL.parent), "--fixed-model-name", "bare"],
                   cwd=BARE_MODEL.parent, env=ENV, check=True,
                   stdout=open(BARE_MODEL.parent / "train.log", "wb"),
                   stderr=subprocess.STDOUT)
    return time.perf_counter() - started


def main() -> None:
    """Keeps servers running for repeated runs: python bench/procs.py embedded bare [--timed]."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("kinds", nargs="+",
                        choices=["embedded", "embedded-wins", "bare", "bare-sqlite"])
    parser.add_argument("--wins", default="schema,sqlite",
                        help="what-if patches of embedded-wins (see bench/timed_rasa.py)")
    parser.add_argument("--timed", action="store_true",
                        help="wrap the servers with bench/timed_rasa.py's stage timers "
                             "(totals in $BOUSSOLE_TIMINGS-KIND.rasa.json/.actions.json)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ports = {"embedded": (5205, 5255), "embedded-wins": (5505, 5555), "bare": (5305, None),
             "bare-sqlite": (5405, None)}
    out = os.environ.get("BOUSSOLE_TIMINGS", "/tmp/boussole-timings")
    servers = []
    try:
        for kind in args.kinds:
            if kind.startswith("bare"):
                train_bare()
            s = Servers("bare" if kind.startswith("bare") else "embedded", ports[kind][0],
                        ports[kind][1], tracker="memory" if kind == "bare" else "sqlite",
                        timings=f"{out}-{kind}" if args.timed else None,
                        wins=args.wins if kind == "embedded-wins" else "")
            servers.append(s)
        for s in servers:
            print(f"{s.kind} {s.url} answers after {s.wait():.1f} s (logs in {s.tmp}); "
                  f"pids {({k: p.pid for k, p in s.processes.items()})}", flush=True)
        while all(p.poll() is None for s in servers for p in s.processes.values()):
            time.sleep(1)
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
