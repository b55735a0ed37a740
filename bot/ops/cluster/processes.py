"""The cluster's processes: starting one in a session of its own with its log, knowing whether
a recorded pid still runs the expected program, stopping it with everything it forked, checking
its health, and the state file (`state.json`) that lets `down` find them again.

A recorded process is only signalled while /proc/<pid> still shows its marker, so a pid
recycled since `up` is never killed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot.files import atomic_write
from bot.ops.cluster.messages import ClusterError


@dataclass
class Process:
    name: str
    pid: int
    port: int
    health: str  # URL answering 200 when healthy ("" for PostgreSQL / Redis)
    marker: str  # a word of /proc/<pid>/cmdline, so a recycled pid is not killed
    log: str
    stop_signal: int = signal.SIGTERM

    def alive(self) -> bool:
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes().replace(b"\0", b" ")
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return False
        comm, state = stat[stat.find("(") + 1 : stat.rfind(")")], stat[stat.rfind(")") + 2 :][:1]
        # Redis and nginx rewrite their title: the command line can be empty for an instant.
        return state not in ("Z", "X") and (
            self.marker.encode() in cmdline or self.marker[:15] in comm
        )

    def log_tail(self, chars: int = 3000) -> str:
        path = Path(self.log)
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def spawn(
    name: str,
    command: list[str],
    *,
    cwd: Path,
    env: dict,
    log_dir: Path,
    port: int,
    health: str,
    marker: str,
    stop_signal: int = signal.SIGTERM,
) -> Process:
    """Starts `command` in a session of its own, its output appended to log_dir/<name>.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Process(name, proc.pid, port, health, marker, str(log), int(stop_signal))


def terminate(process: Process, sig: int | None = None, timeout: float = 30) -> None:
    """Its own stop signal (or `sig`), SIGKILL after `timeout`; then whatever is left of its
    session (Sanic's and nginx's workers belong to it; none may be left behind)."""
    if process.alive():
        try:
            os.kill(process.pid, sig or process.stop_signal)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while process.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        if process.alive():
            os.killpg(process.pid, signal.SIGKILL)
    try:
        os.killpg(process.pid, 0)
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def healthy(process: Process, redis_url: str) -> tuple[bool, str]:
    """Whether it runs and answers (PostgreSQL: its port; Redis: PING; the rest: its health
    URL), with a word of detail for `cluster status`."""
    if not process.alive():
        return False, "arrêté"
    if process.name == "postgres":
        try:
            socket.create_connection(("127.0.0.1", process.port), timeout=1).close()
            return True, "ok"
        except OSError as exc:
            return False, type(exc).__name__
    if process.name == "redis":
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_timeout=1).ping()
            return True, "ok"
        except Exception as exc:  # noqa: BLE001
            return False, type(exc).__name__
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(process.health, timeout=3) as answer:
            ok = answer.status == 200
    except OSError as exc:
        return False, type(exc).__name__
    return ok, f"ok ({(time.perf_counter() - started) * 1000:.0f} ms)"


def wait_healthy(
    processes: dict[str, Process], names: list[str], redis_url: str, seconds: float = 300
) -> None:
    """Until each of `names` is healthy; ClusterError (with its log) when one stops or when
    `seconds` have passed."""
    deadline = time.monotonic() + seconds
    waiting = list(names)
    while waiting:
        for name in list(waiting):
            process = processes[name]
            if not process.alive():
                raise ClusterError(
                    f"{name} s'est arrêté au démarrage "
                    f"(journal : {process.log}) :\n{process.log_tail()}"
                )
            if healthy(process, redis_url)[0]:
                waiting.remove(name)
        if waiting and time.monotonic() > deadline:
            raise ClusterError(f"pas prêt après {seconds:.0f} s : {', '.join(waiting)}")
        if waiting:
            time.sleep(0.5)


class StateFile:
    """`state.json`: the port offset and the processes `up` started, rewritten atomically after
    each change, removed by `down`."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> tuple[int | None, dict[str, Process]]:
        if not self.path.exists():
            return None, {}
        data = json.loads(self.path.read_text())
        return (data.get("port_offset"), {p["name"]: Process(**p) for p in data["processes"]})

    def save(self, port_offset: int, processes: dict[str, Process]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"port_offset": port_offset, "processes": [vars(p) for p in processes.values()]}
        atomic_write(self.path, json.dumps(data, indent=2))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
