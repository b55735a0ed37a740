"""Processes the load benchmarks start: the assistant on embedded defaults, and the bare floor.

Shared by bench/load.py and bench/profile_turns.py. Each server runs on its own ports with its
own SQLite files in a temporary folder, so a benchmark never touches var/ or models/boussole.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot import settings
from bot.ops.servers import QUIET, LocalServers, Ports

BENCH = Path(__file__).resolve().parent
BARE_DIR = BENCH / "bare"
BARE_MODEL = settings.ROOT / "var" / "bench" / "bare.tar.gz"
ENV = dict(os.environ, **QUIET)
LAUNCH = "bot.rasa_ext.launch"


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


class Servers(LocalServers):
    """Rasa (+ the action server unless bare) on embedded defaults, started at once, with its
    state and logs in a temporary folder; `wait()` until it answers, `stop()` ends it.
    Embedded runs as many Rasa workers as `python -m bot serve` would (BOUSSOLE_RASA_WORKERS,
    else one per core, at most two); the floor, one process."""

    def __init__(
        self,
        kind: str,
        port: int,
        actions_port: int | None = None,
        tracker: str = "sqlite",
        timings: str | None = None,
        wins: str = "",
    ):
        tmp = Path(tempfile.mkdtemp(prefix=f"boussole-bench-{kind}-"))
        if wins and not timings:
            timings = str(tmp / "timings")
        process_env = (
            {name: {"BOUSSOLE_TIMINGS": f"{timings}.{name}.json"} for name in ("rasa", "actions")}
            if timings
            else None
        )
        embedded = kind == "embedded"
        super().__init__(
            tmp,
            Ports(port, actions_port if embedded else None),
            database_url=f"sqlite:///{tmp / 'leads.db'}",
            tracker_db=tmp / "tracker.db" if tracker == "sqlite" else None,
            model=settings.MODEL_FILE if embedded else BARE_MODEL,
            env={
                "TRACKER_STORE_URL": f"sqlite:///{tmp / 'tracker.db'}",
                "BOUSSOLE_OUTBOX": str(tmp / "outbox"),
                "BOUSSOLE_BENCH_WINS": wins,
            },
            process_env=process_env,
            launcher=[sys.executable, str(BENCH / "timed_rasa.py")] if timings else None,
            rasa_workers=settings.Settings.from_env().serve_workers if embedded else 1,
            # The floor is stock Rasa; BENCH_RASA_MODULE=rasa runs Boussole's Rasa without the
            # collector tuning of bot/rasa_ext/launch.py, to measure what that tuning wins.
            rasa_module=os.environ.get("BENCH_RASA_MODULE", LAUNCH) if embedded else "rasa",
        )
        self.kind, self.tmp = kind, tmp
        self.start()

    def wait(self) -> float:
        """Seconds from start to the first answer."""
        return self.wait_ready(timeout=300, warm_up="bench-warmup")

    def rss(self) -> dict[str, float]:
        return {name: rss_mb(p.pid) for name, p in self.processes.items()}


def train_bare(force: bool = False) -> float | None:
    """Trains the bare floor model into var/bench/bare.tar.gz; returns seconds, None if kept."""
    if (
        BARE_MODEL.exists()
        and not force
        and all(f.stat().st_mtime < BARE_MODEL.stat().st_mtime for f in BARE_DIR.rglob("*.yml"))
    ):
        return None
    BARE_MODEL.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            str(BARE_DIR / "config.yml"),
            "--domain",
            str(BARE_DIR / "domain.yml"),
            "--data",
            str(BARE_DIR / "data"),
            "--out",
            str(BARE_MODEL.parent),
            "--fixed-model-name",
            "bare",
        ],
        cwd=BARE_MODEL.parent,
        env=ENV,
        check=True,
        stdout=open(BARE_MODEL.parent / "train.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    return time.perf_counter() - started


def main() -> None:
    """Keeps servers running for repeated runs: python bench/procs.py embedded bare [--timed]."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "kinds", nargs="+", choices=["embedded", "embedded-wins", "bare", "bare-sqlite"]
    )
    parser.add_argument(
        "--wins",
        default="schema,sqlite",
        help="what-if patches of embedded-wins (see bench/timed_rasa.py)",
    )
    parser.add_argument(
        "--timed",
        action="store_true",
        help="wrap the servers with bench/timed_rasa.py's stage timers "
        "(totals in $BOUSSOLE_TIMINGS-KIND.rasa.json/.actions.json)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ports = {
        "embedded": (5205, 5255),
        "embedded-wins": (5505, 5555),
        "bare": (5305, None),
        "bare-sqlite": (5405, None),
    }
    out = os.environ.get("BOUSSOLE_TIMINGS", "/tmp/boussole-timings")
    servers = []
    try:
        for kind in args.kinds:
            if kind.startswith("bare"):
                train_bare()
            s = Servers(
                "bare" if kind.startswith("bare") else "embedded",
                ports[kind][0],
                ports[kind][1],
                tracker="memory" if kind == "bare" else "sqlite",
                timings=f"{out}-{kind}" if args.timed else None,
                wins=args.wins if kind == "embedded-wins" else "",
            )
            servers.append(s)
        for s in servers:
            print(
                f"{s.kind} {s.url} answers after {s.wait():.1f} s (logs in {s.tmp}); "
                f"pids { ({k: p.pid for k, p in s.processes.items()}) }",
                flush=True,
            )
        while all(p.poll() is None for s in servers for p in s.processes.values()):
            time.sleep(1)
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
