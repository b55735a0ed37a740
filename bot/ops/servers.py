"""The assistant on this machine: the action server, Rasa (and the web app) as child processes.

One harness for everyone who starts the assistant locally: the tests, the benchmarks,
`python -m bot chat` and `scripts/run.sh` (through `python -m bot serve`). `LocalServers`
writes the endpoints Rasa reads (action server URL, SQL tracker store), starts each server in a
process group of its own, waits until each one answers, talks to Rasa over its REST channel and,
on `stop()`, ends exactly the process groups it started (SIGTERM, then SIGKILL after a grace
period) and waits for them, so the ports are free again when it returns.

    with LocalServers.isolated(tmp, Ports.free()) as servers:   # state in tmp, loopback ports
        servers.say("moi", "bonjour")

The action server always listens on loopback (it has no authentication); Rasa and the web app
listen on `host`, 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot import settings

QUIET = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
DEFAULT_TRACKER_DB = settings.ROOT / "var" / "tracker.db"  # what endpoints.yml names


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


@dataclass(frozen=True)
class Ports:
    """The ports of one assistant: Rasa, the action server (None: no action server), the web
    app (None: no web app)."""

    rasa: int
    actions: int | None = None
    web: int | None = None

    @classmethod
    def free(cls, actions: bool = True, web: bool = False) -> Ports:
        return cls(free_port(), free_port() if actions else None, free_port() if web else None)


class ServerError(RuntimeError):
    """A server stopped or did not answer in time; the message ends with its log."""


class LocalServers:
    """The action server, Rasa and optionally the web app on `ports`, each in its own process
    group, with their logs in `log_dir` (default: `workdir`).

    - `database_url`: the leads database (DATABASE_URL) of the action server and the web app;
      None keeps the environment's (the project's default: SQLite under var/).
    - `tracker_db`: the SQLite tracker store Rasa writes; None keeps conversations in memory.
    - `model`, `credentials`: what Rasa loads; `debug` runs Rasa at DEBUG level.
    - `env`: added to this process's environment for every server; `process_env` adds to one
      server's (keys "actions", "rasa", "web").
    - `action_url`: where Rasa calls the actions, if not straight at the action server (a proxy
      in front of it, say).
    - `launcher`: the command that runs a Python module for Rasa and the action server
      (default `python -m`), e.g. a wrapper that times them.
    - `rasa_module`: the module that runs Rasa's command line: `bot.rasa_ext.launch` (its
      garbage collector tuned), or `rasa` for Rasa exactly as it ships (the benchmarks' floor).
    - `rasa_workers`: Rasa processes sharing the port (Sanic workers). Above one, the turns of
      a conversation are kept in order by a lock store in a SQLite file of `workdir`
      (bot/rasa_ext/local_locks.py); the tracker store's cache already follows turns written
      by another process (bot/rasa_ext/trackers.py).
    """

    def __init__(
        self,
        workdir: Path,
        ports: Ports,
        *,
        database_url: str | None = None,
        tracker_db: Path | None = DEFAULT_TRACKER_DB,
        model: Path = settings.MODEL_FILE,
        credentials: Path = settings.ROOT / "credentials.yml",
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        process_env: dict[str, dict[str, str]] | None = None,
        action_url: str | None = None,
        launcher: list[str] | None = None,
        debug: bool = False,
        log_dir: Path | None = None,
        rasa_workers: int = 1,
        rasa_module: str = "bot.rasa_ext.launch",
    ):
        self.workdir, self.ports, self.host = Path(workdir), ports, host
        self.log_dir = Path(log_dir or workdir)
        self.database_url, self.tracker_db = database_url, tracker_db
        self.model, self.credentials, self.debug = model, credentials, debug
        self.rasa_workers = max(1, int(rasa_workers))
        self.env = dict(os.environ, **QUIET, **(env or {}))
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.process_env = process_env or {}
        self.action_url = action_url or (
            f"http://127.0.0.1:{ports.actions}/webhook" if ports.actions else None
        )
        self.launcher = launcher or [sys.executable, "-m"]
        self.rasa_module = rasa_module
        self.url = f"http://127.0.0.1:{ports.rasa}"
        self.webhook = f"{self.url}/webhooks/rest/webhook"
        self.web_url = f"http://127.0.0.1:{ports.web}" if ports.web else None
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: tuple[Path, ...] = ()
        self.started: float | None = None
        self._log_files: list = []

    @property
    def tracker_url(self) -> str | None:
        return f"sqlite:///{self.tracker_db}" if self.tracker_db else None

    @classmethod
    def isolated(cls, workdir: Path, ports: Ports, **kwargs) -> LocalServers:
        """Every piece of state in `workdir`: leads database, tracker store, durable outbox."""
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        tracker_db = workdir / "tracker.db"
        env = {
            "TRACKER_STORE_URL": f"sqlite:///{tracker_db}",
            "BOUSSOLE_OUTBOX": str(workdir / "outbox"),
            **(kwargs.pop("env", None) or {}),
        }
        kwargs.setdefault("database_url", f"sqlite:///{workdir / 'leads.db'}")
        return cls(workdir, ports, tracker_db=tracker_db, env=env, **kwargs)

    # --- starting ---------------------------------------------------------------------------

    def endpoints(self) -> Path:
        """Writes the endpoints file Rasa reads: the action server and the tracker store."""
        lines = []
        if self.action_url:
            lines.append(f"action_endpoint:\n  url: {self.action_url}\n")
        if self.tracker_db is not None:
            lines.append(
                "tracker_store:\n  type: bot.rasa_ext.trackers.CachedSQLTrackerStore\n"
                f"  dialect: sqlite\n  db: {self.tracker_db}\n"
            )
        if self.rasa_workers > 1:
            lines.append(
                "lock_store:\n  type: bot.rasa_ext.local_locks.SQLiteLockStore\n"
                f"  db: {self.workdir / 'locks.db'}\n"
            )
        path = self.workdir / "endpoints.yml"
        path.write_text("".join(lines) or "{}\n")
        return path

    def start(self) -> LocalServers:
        """Starts the servers (without waiting for them: see `wait_ready`)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        endpoints = self.endpoints()
        self.started = time.perf_counter()
        try:
            if self.ports.actions:
                self._spawn(
                    "actions",
                    [
                        *self.launcher,
                        "rasa_sdk",
                        "--actions",
                        "actions",
                        "--port",
                        str(self.ports.actions),
                    ],
                    SANIC_HOST="127.0.0.1",
                )  # loopback only, whatever `host` says
            if self.ports.web:
                self._spawn(
                    "web",
                    [
                        sys.executable,
                        "-m",
                        "bot",
                        "web",
                        "--host",
                        self.host,
                        "--port",
                        str(self.ports.web),
                    ],
                    BOUSSOLE_RASA_URL=self.url,
                    BOUSSOLE_COOKIE_SECURE=self.env.get("BOUSSOLE_COOKIE_SECURE", "0"),
                )
            self._spawn(
                "rasa",
                [
                    *self.launcher,
                    self.rasa_module,
                    "run",
                    "--model",
                    str(self.model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(self.credentials),
                    "--port",
                    str(self.ports.rasa),
                    "--interface",
                    self.host,
                ]
                + (["--debug"] if self.debug else []),
                SANIC_WORKERS=str(self.rasa_workers),
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, command: list[str], **extra: str) -> None:
        log = self.log_dir / f"{name}.log"
        out = log.open("wb")
        self._log_files.append(out)
        self.logs += (log,)
        env = dict(self.env, **extra, **self.process_env.get(name, {}))
        # A session (and process group) of its own: stop() ends it and whatever it forked.
        self.processes[name] = subprocess.Popen(
            command,
            cwd=settings.ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    # --- waiting ----------------------------------------------------------------------------

    def wait_ready(self, timeout: float = 300, warm_up: str | None = "warm-up") -> float:
        """Waits until every server answers (the action server's /health, Rasa's /, the web
        app's /sante) and, unless `warm_up` is None, until Rasa gives a real answer to
        "bonjour" from that sender (some Rasa versions load the model lazily). Returns the
        seconds since `start()`; raises ServerError with the log if a server stops or is late."""
        deadline = time.monotonic() + timeout
        checks = [
            ("actions", f"http://127.0.0.1:{self.ports.actions}/health"),
            ("web", f"{self.web_url}/sante"),
            ("rasa", f"{self.url}/"),
        ]
        for name, url in checks:
            if name in self.processes:
                self._until(name, deadline, lambda u=url: responds(u))
        if warm_up:
            self._until("rasa", deadline, lambda: self._answers(warm_up))
        return time.perf_counter() - (self.started or time.perf_counter())

    def _answers(self, sender: str) -> bool:
        try:
            return bool(self.say(sender, "bonjour", timeout=30))
        except (OSError, ValueError):
            return False

    def _until(self, name: str, deadline: float, ready) -> None:
        process = self.processes[name]
        while not ready():
            if process.poll() is not None:
                raise ServerError(
                    f"{name} stopped (exit {process.returncode}):\n{self.log_tail(name)}"
                )
            if time.monotonic() > deadline:
                raise ServerError(f"{name} not ready in time:\n{self.log_tail(name)}")
            time.sleep(0.5)

    def dead(self) -> list[str]:
        """The servers that have stopped on their own."""
        return [name for name, p in self.processes.items() if p.poll() is not None]

    # --- talking ----------------------------------------------------------------------------

    def say(self, sender: str, text: str, timeout: float = 60) -> list[dict]:
        """Sends `text` as `sender` over Rasa's REST channel; the messages it answers. An HTTP
        error status raises urllib.error.HTTPError."""
        return post_message(self.url, sender, text, timeout)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def log_text(self) -> str:
        """Everything the servers have logged so far."""
        return "".join(p.read_text(errors="replace") for p in self.logs)

    # --- stopping ---------------------------------------------------------------------------

    def stop(self, grace: float = 20) -> None:
        """Ends the process groups this harness started (SIGTERM, SIGKILL after `grace`
        seconds) and waits for each; nothing else is signalled. Safe to call twice."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            _signal_group(process, signal.SIGKILL)  # a forked worker left behind, if any
        self.processes.clear()
        for out in self._log_files:
            out.close()
        self._log_files.clear()

    def __enter__(self) -> LocalServers:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # pid == pgid: the process leads its own session
    except (ProcessLookupError, PermissionError):
        pass


def responds(url: str, timeout: float = 2) -> bool:
    """Whether `url` answers a GET with a success status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def _rest_request(url: str, sender: str, text: str) -> urllib.request.Request:
    body = json.dumps({"sender": sender, "message": text}).encode()
    return urllib.request.Request(
        f"{url.rstrip('/')}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )


def post_message(url: str, sender: str, text: str, timeout: float = 60) -> list[dict]:
    """One message to the REST channel of the Rasa server at `url`; its answer. An HTTP error
    status raises urllib.error.HTTPError."""
    with urllib.request.urlopen(_rest_request(url, sender, text), timeout=timeout) as response:
        return json.loads(response.read().decode() or "[]")


def exchange(url: str, sender: str, text: str, timeout: float = 60) -> tuple[int, list[dict]]:
    """`post_message` for callers that expect refusals (429, 502, 503: the cluster tests): the
    status and the messages whatever the status; a body that is not JSON (a proxy's error
    page) becomes one message holding its text."""
    try:
        with urllib.request.urlopen(_rest_request(url, sender, text), timeout=timeout) as answer:
            status, raw = answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read().decode(errors="replace")
    try:
        return status, json.loads(raw or "[]")
    except ValueError:
        return status, [{"text": raw}]


def serve(
    rasa_port: int = 5005, actions_port: int = 5055, web_port: int = 8000, host: str = "127.0.0.1"
) -> int:
    """`python -m bot serve` (what `scripts/run.sh` runs): the three servers on embedded
    defaults (databases under var/ unless DATABASE_URL says otherwise, logs in var/log/),
    until one of them stops, Ctrl-C or SIGTERM; then every one of them is stopped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    var = settings.ROOT / "var"
    workers = settings.Settings.from_env().serve_workers
    servers = LocalServers(
        var,
        Ports(rasa_port, actions_port, web_port),
        host=host,
        log_dir=var / "log",
        rasa_workers=workers,
    )

    def say(text: str, file=sys.stdout) -> None:
        print(f"[boussole] {text}", file=file, flush=True)

    try:
        servers.start()
        say(
            f"serveur d'actions : http://127.0.0.1:{actions_port}, local uniquement "
            "(journal : var/log/actions.log)"
        )
        say(f"espace conseil : http://localhost:{web_port}/conseil/ (journal : var/log/web.log)")
        say(f"chargement du modèle Rasa (environ 15 s, {workers} processus Rasa)…")
        try:
            servers.wait_ready(timeout=180, warm_up=None)
        except ServerError as exc:
            print(exc, file=sys.stderr)
            say(
                "ERREUR : un serveur s'est arrêté ou ne répond pas (journaux : var/log/)",
                sys.stderr,
            )
            return 1
        print(
            f"""\
[boussole] Ouvrez http://localhost:{web_port}/ : la page de démonstration de la Métropole \
avec le widget de discussion.
[boussole] Boussole ESS répond aussi directement :
  POST http://localhost:{rasa_port}/webhooks/rest/webhook  {{"sender": "moi", "message": "bonjour"}}
  Dans un autre terminal : .venv/bin/python -m bot chat
  Espace conseil : http://localhost:{web_port}/conseil/ — premier compte :
    .venv/bin/python -m bot advisors add --email vous@exemple.fr --name "Votre nom" \
--org sem-ess --role admin
  Ctrl-C pour tout arrêter.""",
            flush=True,
        )
        while not servers.dead():
            time.sleep(1)
        say(f"ERREUR : {', '.join(servers.dead())} s'est arrêté (journaux : var/log/)", sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        servers.stop()
