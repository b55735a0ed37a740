"""Load benchmark over Rasa's REST channel: latency under offered load, and capacity.

Open loop (latency): 200 simulated people chat at once; each sends its turns one after the
other (the next one only after the previous answer), with exponential gaps measured from the
previous send, so the whole stream of turns is a Poisson process at the offered rate (5, 20 and
40 turns/s by default). Latency of a turn = from sending the POST to receiving the whole answer.
Closed loop (capacity): 1, 10, 50 and 200 conversations send back to back; capacity = turns
answered per second.

Each person follows a realistic conversation (see `conversation()`): a free-text description of
their project taken from the dev set, clicking the question or offer buttons the assistant shows,
questions about the ESS, the call-back form down to the confirmed lead, "ce n'est pas ça"…
When a conversation ends a new person (new sender id) takes the slot.

The floor: the same load against a bare Rasa model (bench/bare/: same spaCy French pipeline and
policies, a tiny domain answered by utter_ responses, no action server, in-memory tracker store),
so every figure is printed with its ratio to the floor.

Usage:
  .venv/bin/python bench/load.py --start --floor           # starts both (ports 5205/5255, 5305)
  .venv/bin/python bench/load.py --url http://localhost:5005 --floor
  .venv/bin/python bench/load.py --url http://127.0.0.1:8090 --name cluster --floor  # bot cluster
  .venv/bin/python bench/load.py --start --floor --target B=http://HOST:PORT --pids B=rasa:PID
Options: --rates 5,20,40 --people 200 --duration 60 --closed 1,10,50,200 --closed-duration 30
--json FILE (results). Prints figures, with the 1-minute load average and, for the servers it
started (or --pids), the CPU time per turn of each process; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot import settings  # noqa: E402

NAMES = [
    "Léa Martin",
    "Sami Benali",
    "Paul Durand",
    "Inès Moreau",
    "Hugo Lefèvre",
    "Chloé Bernard",
    "Nadia Haddad",
    "Louis Girard",
    "Emma Rousseau",
    "Yanis Faure",
]
COMMUNES = [
    "Firminy",
    "Saint-Étienne",
    "Rive-de-Gier",
    "Saint-Chamond",
    "Roche-la-Molière",
    "Andrézieux-Bouthéon",
    "Le Chambon-Feugerolles",
    "Villars",
]
STRUCTURES = [
    "Menuiserie Dupont",
    "Association Les Jardins du Pilat",
    "Épicerie solidaire du Soleil",
    "Collectif Vélo Stéphanois",
    "Pas encore de structure",
]
PROJECTS = [
    "Reprendre la menuiserie avec six collègues",
    "Ouvrir une épicerie solidaire",
    "Créer une application de covoiturage étudiant",
    "Développer une recyclerie de quartier",
]
QUESTIONS = [
    "c'est quoi une SCIC ?",
    "combien d'emplois dans l'ESS ?",
    "c'est quoi l'ESS ?",
    "qu'est-ce que le programme de coopération ?",
    "c'est quoi une SCOP ?",
]


def buttons(reply: list) -> list[str]:
    return [b["payload"] for m in reply for b in m.get("buttons", []) or []]


def conversation(rng: random.Random, first_texts: list[str]):
    """One person's turns, as a generator: `reply = yield text`; ends when the person leaves."""
    kind = rng.choices(["callback", "explore", "questions"], weights=[4, 4, 2])[0]
    name, commune = rng.choice(NAMES), rng.choice(COMMUNES)
    if rng.random() < 0.5:
        yield "bonjour"
    if kind == "questions":
        yield rng.choice(QUESTIONS)
        yield rng.choice(QUESTIONS)
    reply = yield rng.choice(first_texts)
    # Click the assistant's question buttons until an offer card comes (at most 3 clicks).
    for _ in range(3):
        if "/request_callback" in buttons(reply):
            break
        choices = [p for p in buttons(reply) if p.startswith("/choose")]
        if not choices:
            break
        reply = yield rng.choice(choices[:-1] or choices)
    if kind == "explore":
        reply = yield "/not_this"
        choices = [p for p in buttons(reply) if p.startswith("/choose")]
        if choices:
            yield choices[0]
        yield "merci"
        if rng.random() < 0.5:
            yield "au revoir"
        return
    if kind == "questions":
        yield "merci"
        return
    yield "/request_callback"
    email = name.lower().replace(" ", ".").replace("é", "e").replace("è", "e") + "@example.org"
    yield f"{name}, {email}, {commune}"
    yield rng.choice(STRUCTURES)
    yield rng.choice(PROJECTS)
    yield "oui"
    yield "/confirm"
    yield '/feedback{"useful": "oui"}'


@dataclass
class Result:
    label: str
    target: str
    offered: float | None  # turns/s offered (open loop) or None (closed loop)
    concurrency: int
    duration: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    conversations: int = 0
    turns_sent: int = 0
    error_kinds: dict = field(default_factory=dict)
    load_before: float = 0.0
    load_after: float = 0.0
    cpu_ms: dict = field(default_factory=dict)  # CPU time per turn of each server process

    def pct(self, p: float) -> float:
        d = sorted(self.latencies)
        if not d:
            return float("nan")
        k = min(len(d) - 1, max(0, round(p * len(d) + 0.5) - 1))  # nearest rank
        return 1000 * d[k]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.duration

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "target": self.target,
            "offered": self.offered,
            "concurrency": self.concurrency,
            "duration": self.duration,
            "turns": len(self.latencies),
            "errors": self.errors,
            "conversations_started": self.conversations,
            "throughput": self.throughput,
            "p50_ms": self.pct(0.5),
            "p95_ms": self.pct(0.95),
            "p99_ms": self.pct(0.99),
            "max_ms": 1000 * max(self.latencies, default=0),
            "loadavg_before": self.load_before,
            "loadavg_after": self.load_after,
            "cpu_ms_per_turn": self.cpu_ms,
            "error_kinds": self.error_kinds,
        }


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds of each process and its children (Sanic workers)."""
    import procs

    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, pid in pids.items():
        total = 0
        for p in [pid, *procs.descendants(pid)]:
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        out[name] = total / tick
    return out


class Runner:
    def __init__(
        self,
        url: str,
        texts: list[str],
        seed: int,
        timeout: float,
        pids: dict[str, int] | None = None,
    ):
        self.url = url.rstrip("/") + "/webhooks/rest/webhook"
        self.texts, self.seed, self.timeout = texts, seed, timeout
        self.pids = pids or {}
        self.run_id = f"{os.getpid()}-{int(time.time())}"

    async def _turn(self, client, sender, text, result, measured) -> list:
        t0 = time.perf_counter()
        try:
            r = await client.post(self.url, json={"sender": sender, "message": text})
            r.raise_for_status()
            reply = r.json()
        except (httpx.HTTPError, ValueError) as e:
            if measured():
                result.errors += 1
                kind = (
                    f"HTTP {e.response.status_code}"
                    if isinstance(e, httpx.HTTPStatusError)
                    else type(e).__name__
                )
                result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
            return []
        if measured():
            result.latencies.append(time.perf_counter() - t0)
        return reply

    async def run(
        self, label: str, concurrency: int, duration: float, warmup: float, rate: float | None
    ) -> Result:
        """rate=None: closed loop (back to back); else open loop at `rate` turns/s overall."""
        result = Result(label, self.url, rate, concurrency, duration)
        result.load_before = os.getloadavg()[0]
        rng = random.Random(f"{self.seed}-{label}")
        start = time.perf_counter()
        begin, end = start + warmup, start + warmup + duration
        measured = lambda: begin <= time.perf_counter() <= end  # noqa: E731
        mean_gap = concurrency / rate if rate else 0.0
        limits = httpx.Limits(
            max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10
        )

        async def person(slot: int, client: httpx.AsyncClient) -> None:
            n = 0
            # Staggered start: the first send of each slot is itself Poisson.
            next_send = start + (rng.expovariate(1 / mean_gap) if rate else 0.0)
            while True:
                sender = f"load-{self.run_id}-{label}-{slot}-{n}"
                n += 1
                if begin <= time.perf_counter() <= end:
                    result.conversations += 1
                turns = conversation(rng, self.texts)
                reply = None
                while True:
                    try:
                        text = turns.send(reply) if reply is not None else next(turns)
                    except StopIteration:
                        break
                    if next_send > end:
                        return
                    delay = next_send - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    now = time.perf_counter()
                    if now > end:
                        return
                    sent = now
                    result.turns_sent += 1
                    reply = await self._turn(client, sender, text, result, measured)
                    if rate:
                        # Next send: an exponential gap after this send, never before the answer.
                        next_send = max(sent + rng.expovariate(1 / mean_gap), time.perf_counter())
                    else:
                        next_send = 0.0

        cpu_before = cpu_seconds(self.pids)
        async with httpx.AsyncClient(timeout=self.timeout, limits=limits) as client:
            await asyncio.gather(*(person(i, client) for i in range(concurrency)))
        # CPU per turn over the whole run (warm-up included), however busy the host is.
        handled = result.turns_sent
        result.cpu_ms = {
            k: round(1000 * (v - cpu_before[k]) / max(handled, 1), 1)
            for k, v in cpu_seconds(self.pids).items()
        }
        result.load_after = os.getloadavg()[0]
        return result


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} CPU ({cpu}), {mem / 1024**2:.1f} GiB RAM, "
        f"Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def commit() -> str:
    """The commit measured, "+changes" when the work tree differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=settings.ROOT, capture_output=True, text=True
        ).stdout

    return git("rev-parse", "--short", "HEAD").strip() + (
        "+changes" if git("status", "--porcelain", "--untracked-files=no").strip() else ""
    )


def line(r: Result, floor: Result | None) -> str:
    ratio = ""
    if floor and floor.latencies and r.latencies:
        if r.offered:
            ratio = (
                f"  ×floor: p50 {r.pct(0.5) / floor.pct(0.5):.1f}, "
                f"p95 {r.pct(0.95) / floor.pct(0.95):.1f}, "
                f"p99 {r.pct(0.99) / floor.pct(0.99):.1f}"
            )
            ratio += f", done {r.throughput / floor.throughput:.2f}"
        else:
            ratio = f"  = {r.throughput / floor.throughput:.2f} × floor"
        if r.cpu_ms and floor.cpu_ms and sum(floor.cpu_ms.values()):
            # every process of the target (Rasa, actions…) against the floor's only one
            ratio += f", CPU/turn {sum(r.cpu_ms.values()) / sum(floor.cpu_ms.values()):.2f}"
    what = f"{r.offered:g} turns/s offered" if r.offered else f"{r.concurrency} back to back"
    return (
        f"  {what:>24}: {r.throughput:5.1f} turns/s done, p50 {r.pct(0.5):6.1f} ms, "
        f"p95 {r.pct(0.95):6.1f} ms, p99 {r.pct(0.99):6.1f} ms, "
        f"max {1000 * max(r.latencies, default=0):6.0f} ms ({len(r.latencies)} turns, "
        f"{r.errors} errors{' ' + str(r.error_kinds) if r.errors else ''}, "
        f"load {r.load_before:.1f}→{r.load_after:.1f}"
        + "".join(f", {k} {v:.1f} ms CPU/turn" for k, v in r.cpu_ms.items())
        + ")"
        f"{ratio}"
    )


async def bench(args, targets: dict[str, str], texts: list[str]) -> list[Result]:
    results: list[Result] = []
    runners = {
        name: Runner(url, texts, args.seed, args.timeout, args.pid_map.get(name))
        for name, url in targets.items()
    }
    plan = [(f"open{rate:g}", args.people, args.duration, args.warmup, rate) for rate in args.rates]
    plan += [(f"closed{n}", n, args.closed_duration, args.closed_warmup, None) for n in args.closed]
    for label, concurrency, duration, warmup, rate in plan:
        by_target = {}
        for name, runner in runners.items():  # floor first, then the target, point by point
            try:
                await asyncio.to_thread(procs_say, targets[name])
            except OSError as e:
                print(f"[{name}] unreachable, skipped ({e})", flush=True)
                continue
            r = await runner.run(label, concurrency, duration, warmup, rate)
            r.target = name
            by_target[name] = r
            results.append(r)
            print(
                f"[{name}] {line(r, by_target.get('floor') if name != 'floor' else None)}",
                flush=True,
            )
            await asyncio.sleep(args.pause)
    return results


def procs_say(url: str) -> None:
    from bot.ops.servers import post_message

    post_message(url, f"load-probe-{time.time()}", "bonjour", timeout=30)


def summary(results: list[Result]) -> None:
    floor = {r.label: r for r in results if r.target == "floor"}
    for name in dict.fromkeys(r.target for r in results):
        print(f"\n== {name} ==")
        for r in results:
            if r.target == name:
                print(line(r, floor.get(r.label) if name != "floor" else None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://localhost:5005", help="Rasa server (or nginx) URL")
    parser.add_argument(
        "--start",
        action="store_true",
        help="start the assistant on embedded defaults (SQLite in a temporary "
        "folder, ports 5205/5255) instead of using --url",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="start the bare floor model (trained if needed) on port 5305",
    )
    parser.add_argument("--floor-url", help="an already running bare floor server")
    parser.add_argument("--floor-tracker", choices=["memory", "sqlite"], default="memory")
    parser.add_argument("--name", default="boussole", help="label of the --url target")
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="another server to measure in the same run (repeatable), "
        "e.g. cluster=http://127.0.0.1:8080",
    )
    parser.add_argument("--rates", default="5,20,40")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--closed", default="1,10,50,200")
    parser.add_argument("--closed-duration", type=float, default=30)
    parser.add_argument("--closed-warmup", type=float, default=5)
    parser.add_argument("--pause", type=float, default=3, help="seconds between runs")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument(
        "--pids",
        action="append",
        default=[],
        metavar="NAME=rasa:PID,actions:PID",
        help="processes of a --target whose CPU time per turn to report",
    )
    parser.add_argument(
        "--cluster-dir",
        help="state folder of `bot cluster up --dir`: the CPU per turn of each of its processes "
        "(replicas, PostgreSQL, Redis, nginx, action server, web app) is reported for --name",
    )
    parser.add_argument("--no-floor-target", action="store_true", help="measure the floor only")
    args = parser.parse_args()
    args.rates = [float(x) for x in args.rates.split(",") if x]
    args.closed = [int(x) for x in args.closed.split(",") if x]
    args.pid_map = {}
    for spec in args.pids:
        name, _, rest = spec.partition("=")
        args.pid_map[name] = {k: int(v) for k, v in (p.split(":") for p in rest.split(","))}
    if args.cluster_dir:
        state = json.loads((Path(args.cluster_dir) / "state.json").read_text())
        args.pid_map[args.name] = {p["name"]: p["pid"] for p in state["processes"]}

    import procs

    from bot.ops.servers import post_message

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on kill
    started: list[procs.Servers] = []
    targets: dict[str, str] = {}
    info: dict = {"machine": machine(), "command": " ".join(sys.argv), "commit": commit()}
    try:
        if args.floor:
            trained = procs.train_bare()
            if trained:
                print(f"bare floor model trained in {trained:.0f} s ({procs.BARE_MODEL})")
            floor = procs.Servers("bare", 5305, tracker=args.floor_tracker)
            started.append(floor)
            targets["floor"] = floor.url
            args.pid_map["floor"] = {k: p.pid for k, p in floor.processes.items()}
        elif args.floor_url:
            targets["floor"] = args.floor_url
        if not args.no_floor_target:
            if args.start:
                own = procs.Servers("embedded", 5205, 5255)
                started.append(own)
                targets[args.name] = own.url
                args.pid_map[args.name] = {k: p.pid for k, p in own.processes.items()}
            else:
                targets[args.name] = args.url
        for spec in args.target:
            name, _, url = spec.partition("=")
            targets[name] = url
        for s in started:
            print(f"{s.kind}: start-up to first answer {s.wait():.1f} s", flush=True)
        for url in targets.values():  # warm each target up (first predictions build graphs)
            for i in range(5):
                post_message(
                    url,
                    f"load-warmup-{i}",
                    "on voudrait reprendre la boîte de notre patron en SCOP",
                )
        texts = [json.loads(line)["text"] for line in settings.DEV_SET.open(encoding="utf-8")]
        print(f"machine: {info['machine']}; targets: {targets}", flush=True)
        results = asyncio.run(bench(args, targets, texts))
        info["rss_mb"] = {s.kind: s.rss() for s in started}
        summary(results)
        for kind, rss in info["rss_mb"].items():
            print(
                f"RSS after the load ({kind}): "
                + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items())
            )
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {**info, "results": [r.as_dict() for r in results]},
                    indent=1,
                    ensure_ascii=False,
                )
            )
    finally:
        for s in started:
            s.stop()


if __name__ == "__main__":
    main()
