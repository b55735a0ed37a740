"""The production shape on one machine: `python -m bot cluster up|down|status`.

On loopback only: PostgreSQL (leads and Rasa's tracker store), Redis (Rasa's lock store and the
per-conversation rate limit), two Rasa replicas behind nginx (round robin), the action server
(several Sanic workers, behind nginx for its time limit) and the web app. Debian's packages are
installed when missing. The state (pids, ports, logs, data) lives in `var/cluster/`; `down`
stops exactly the processes `up` started, checking each pid still runs the expected program.

Ports (with `--port-offset N`, each one + N):

    nginx (public)        8090   /webhooks/… → Rasa replicas, the rest → web app
    Rasa replicas         5105, 5106
    nginx → actions       5150   (internal; the replicas' action endpoint)
    action server         5155
    web app               8005
    PostgreSQL            15433
    Redis                 16379
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot import settings
from bot.files import atomic_write

ROOT = settings.ROOT
VENV_BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "rasa").exists() \
    else Path(sys.executable).parent
BASE_PORTS = {"public": 8090, "rasa-1": 5105, "rasa-2": 5106, "actions-proxy": 5150,
              "actions": 5155, "web": 8005, "postgres": 15433, "redis": 16379}
# (all below 32768, Linux's range of ports picked for outgoing connections, which a listening
# server could otherwise collide with)
DATABASES = ("boussole", "boussole_tracker")


def say(text: str) -> None:
    print(f"[boussole] {text}", file=sys.stderr, flush=True)


class ClusterError(Exception):
    """Something the person must know, in French."""


# --- Debian packages ------------------------------------------------------------------------

def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    return found[-1].parent if found else None


PACKAGES = {  # package → how we know it is there
    "postgresql": lambda: postgres_bin() is not None,
    "redis-server": lambda: shutil.which("redis-server") is not None,
    "nginx": lambda: Path("/usr/sbin/nginx").exists() or shutil.which("nginx") is not None,
}


def ensure_packages(names=("postgresql", "redis-server", "nginx")) -> None:
    missing = [n for n in names if not PACKAGES[n]()]
    if not missing:
        return
    for name in missing:
        say(f"{name} absent : installation du paquet Debian « {name} »…")
    if os.geteuid() != 0:
        raise ClusterError(f"il faut être root pour installer {', '.join(missing)} "
                           f"(apt-get install {' '.join(missing)}), ou les installer soi-même.")
    # Debian's maintainer scripts would start the packages' default services (nginx on port 80,
    # a PostgreSQL cluster on 5432, Redis on 6379): a policy-rc.d forbids it during the install.
    policy = Path("/usr/sbin/policy-rc.d")
    created = not policy.exists()
    if created:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
            done = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
            if done.returncode != 0:
                raise ClusterError(f"échec de « {' '.join(command)} » :\n{done.stdout[-2000:]}")
    finally:
        if created:
            policy.unlink(missing_ok=True)
    still = [n for n in missing if not PACKAGES[n]()]
    if still:
        raise ClusterError(f"paquets toujours introuvables après installation : {still}")
    say(f"installé : {', '.join(missing)}")


# --- processes --------------------------------------------------------------------------------

@dataclass
class Process:
    name: str
    pid: int
    port: int
    health: str                 # URL answering 200 when healthy ("" for PostgreSQL / Redis)
    marker: str                 # a word of /proc/<pid>/cmdline, so a recycled pid is not killed
    log: str
    stop_signal: int = signal.SIGTERM

    def alive(self) -> bool:
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes().replace(b"\0", b" ")
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return False
        comm, state = stat[stat.find("(") + 1:stat.rfind(")")], stat[stat.rfind(")") + 2:][:1]
        # Redis and nginx rewrite their title: the command line can be empty for an instant.
        return state not in ("Z", "X") and (self.marker.encode() in cmdline
                                            or self.marker[:15] in comm)


@dataclass
class Cluster:
    state_dir: Path = field(default_factory=lambda: Path(
        os.environ.get("BOUSSOLE_CLUSTER_DIR", ROOT / "var" / "cluster")))
    port_offset: int = int(os.environ.get("BOUSSOLE_CLUSTER_PORT_OFFSET", "0"))
    action_workers: int = 2
    action_timeout: float = float(os.environ.get("BOUSSOLE_ACTION_TIMEOUT", "10"))
    rate_limit: str = os.environ.get("BOUSSOLE_RATE_LIMIT", "20/60")
    model: Path = settings.MODEL_FILE
    processes: dict = field(default_factory=dict)

    def __post_init__(self):
        self.state_dir = Path(self.state_dir).resolve()
        self.log_dir = self.state_dir / "log"
        self.state_file = self.state_dir / "state.json"
        self.load()

    # ports, urls, environment
    def port(self, name: str) -> int:
        return BASE_PORTS[name] + self.port_offset

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.port('public')}"

    def rasa_url(self, replica: int) -> str:
        return f"http://127.0.0.1:{self.port(f'rasa-{replica}')}"

    def database_url(self, name: str = "boussole") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port('postgres')}/{name}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.port('redis')}/0"

    def env(self, service: str) -> dict:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url("boussole"),
            "TRACKER_STORE_URL": self.database_url("boussole_tracker"),
            "REDIS_URL": self.redis_url,
            "BOUSSOLE_ACTION_URL": f"http://127.0.0.1:{self.port('actions-proxy')}/webhook",
            "BOUSSOLE_RATE_LIMIT": self.rate_limit,
            "BOUSSOLE_OUTBOX": str(self.state_dir / "outbox"),
            "BOUSSOLE_RASA_URL": self.public_url,
            "BOUSSOLE_COOKIE_SECURE": "0",   # plain http on loopback
            "BOUSSOLE_TRUSTED_PROXIES": "127.0.0.1",  # nginx, in front of every service
            "BOUSSOLE_LOG_FORMAT": "json",
            "BOUSSOLE_SERVICE": service,
            "PYTHONPATH": str(ROOT),
            "PYTHONWARNINGS": "ignore",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        })
        return env

    # state
    def load(self) -> None:
        if self.state_file.exists():
            data = json.loads(self.state_file.read_text())
            self.port_offset = data.get("port_offset", self.port_offset)
            self.processes = {p["name"]: Process(**p) for p in data["processes"]}

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = {"port_offset": self.port_offset,
                "processes": [vars(p) for p in self.processes.values()]}
        atomic_write(self.state_file, json.dumps(data, indent=2))

    def _spawn(self, name: str, command: list[str], health: str, marker: str,
               env: dict | None = None, stop_signal: int = signal.SIGTERM) -> Process:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=env or self.env(name), stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        port = self.port("public" if name == "nginx" else name)
        process = Process(name, proc.pid, port,
                          health, marker, str(log), int(stop_signal))
        self.processes[name] = process
        self.save()
        return process

    # PostgreSQL -------------------------------------------------------------------------------
    def _as_postgres(self, command: list[str], **kw) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, **kw)

    @property
    def pgdata(self) -> Path:
        return self.state_dir / "pgdata"

    def start_postgres(self) -> None:
        bin_dir = postgres_bin()
        data = self.pgdata
        if not (data / "PG_VERSION").exists():
            data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(data, "postgres", "postgres")
                data.chmod(0o700)
            done = self._as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                                      "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"])
            if done.returncode:
                raise ClusterError(f"initdb a échoué :\n{done.stdout[-2000:]}")
        port = self.port("postgres")
        done = self._as_postgres([
            str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w",
            "-t", "60", "-o", f"-p {port} -k /tmp -c listen_addresses=127.0.0.1 "
                              f"-c max_connections=200", "start"])
        if done.returncode:
            log = data / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(f"PostgreSQL n'a pas démarré :\n{done.stdout[-2000:]}\n"
                               f"journal ({log}) :\n{tail}")
        pid = int((data / "postmaster.pid").read_text().split()[0])
        self.processes["postgres"] = Process("postgres", pid, port, "", "postgres",
                                             str(data / "server.log"), int(signal.SIGINT))
        self.save()
        for name in DATABASES:
            self._as_postgres([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                               "-U", "postgres", name])  # fails harmlessly when it exists

    def stop_postgres(self, mode: str = "fast") -> None:
        bin_dir = postgres_bin()
        if bin_dir and (self.pgdata / "postmaster.pid").exists():
            self._as_postgres([str(bin_dir / "pg_ctl"), "-D", str(self.pgdata), "-m", mode,
                               "-w", "stop"])
        self.processes.pop("postgres", None)
        self.save()

    def restart_postgres(self) -> None:
        """Fast restart (the fault tests): connections are cut, data stays."""
        self.stop_postgres()
        self.start_postgres()

    # Redis ------------------------------------------------------------------------------------
    def start_redis(self) -> None:
        data = self.state_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self._spawn("redis", [shutil.which("redis-server") or "redis-server",
                              "--bind", "127.0.0.1", "--port", str(self.port("redis")),
                              "--save", "", "--appendonly", "no", "--dir", str(data),
                              "--protected-mode", "yes"], "", "redis-server")

    # nginx --------------------------------------------------------------------------------------
    def render_nginx(self) -> Path:
        template = (ROOT / "deploy" / "nginx.conf.template").read_text(encoding="utf-8")
        servers = lambda ports: "\n".join(  # noqa: E731
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)
        values = {
            "STATE": str(self.state_dir),
            "RASA_SERVERS": servers([self.port("rasa-1"), self.port("rasa-2")]),
            "ACTION_SERVERS": servers([self.port("actions")]),
            "WEB_PORT": self.port("web"), "PUBLIC_PORT": self.port("public"),
            "ACTIONS_PROXY_PORT": self.port("actions-proxy"),
            "ACTION_TIMEOUT": f"{self.action_timeout:g}",
        }
        for key, value in values.items():
            template = template.replace(f"@@{key}@@", str(value))
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.state_dir / "nginx" / sub).mkdir(parents=True, exist_ok=True)
        path = self.state_dir / "nginx.conf"
        path.write_text(template, encoding="utf-8")
        return path

    def nginx_command(self, *extra: str) -> list[str]:
        nginx = "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "nginx"
        return [nginx, "-e", str(self.log_dir / "nginx-error.log"), "-p", str(self.state_dir),
                "-c", str(self.state_dir / "nginx.conf"), *extra]

    def start_nginx(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.render_nginx()
        done = subprocess.run(self.nginx_command("-t"), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if done.returncode:
            raise ClusterError(f"configuration nginx refusée :\n{done.stdout}")
        self._spawn("nginx", self.nginx_command(), f"{self.public_url}/nginx-sante", "nginx",
                    stop_signal=signal.SIGQUIT)  # SIGQUIT: finish the requests in flight

    # Python services --------------------------------------------------------------------------
    def start_actions(self) -> None:
        env = self.env("actions")
        env.update(ACTION_SERVER_SANIC_WORKERS=str(self.action_workers), SANIC_HOST="127.0.0.1")
        self._spawn("actions", [str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions",
                                "actions", "--port", str(self.port("actions")),
                                # (sic: rasa_sdk 3.6 spells its option with an underscore)
                                "--logging-config_file", str(ROOT / "deploy" / "logging.yml")],
                    f"http://127.0.0.1:{self.port('actions')}/health", "rasa_sdk", env)

    def start_rasa(self, replica: int) -> None:
        name = f"rasa-{replica}"
        command = [str(VENV_BIN / "rasa"), "run", "--model", str(self.model),
                   "--endpoints", str(self.state_dir / "endpoints.yml"),
                   "--credentials", str(self.state_dir / "credentials.yml"),
                   "--interface", "127.0.0.1", "--port", str(self.port(name)),
                   "--logging-config-file", str(ROOT / "deploy" / "logging.yml")]
        token = os.environ.get("RASA_AUTH_TOKEN")
        if token:  # Rasa's HTTP API only with a token (and never through nginx)
            command += ["--enable-api", "--auth-token", token]
        self._spawn(name, command, f"{self.rasa_url(replica)}/", "rasa")

    def start_web(self) -> None:
        self._spawn("web", [str(VENV_BIN / "python"), "-m", "bot", "web", "--host", "127.0.0.1",
                            "--port", str(self.port("web"))],
                    f"http://127.0.0.1:{self.port('web')}/sante", "bot web")

    def start(self, name: str) -> None:
        """Start one component again (used by the fault tests)."""
        if name.startswith("rasa-"):
            self.start_rasa(int(name.split("-")[1]))
        else:
            {"postgres": self.start_postgres, "redis": self.start_redis,
             "nginx": self.start_nginx, "actions": self.start_actions,
             "web": self.start_web}[name]()

    # health -----------------------------------------------------------------------------------
    def healthy(self, process: Process) -> tuple[bool, str]:
        if not process.alive():
            return False, "arrêté"
        if process.name == "postgres":
            import socket
            try:
                socket.create_connection(("127.0.0.1", process.port), timeout=1).close()
                return True, "ok"
            except OSError as exc:
                return False, type(exc).__name__
        if process.name == "redis":
            try:
                import redis
                redis.Redis.from_url(self.redis_url, socket_timeout=1).ping()
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

    def wait_healthy(self, names: list[str], seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        waiting = list(names)
        while waiting:
            for name in list(waiting):
                process = self.processes[name]
                if not process.alive():
                    tail = Path(process.log).read_text(errors="replace")[-3000:] \
                        if Path(process.log).exists() else ""
                    raise ClusterError(f"{name} s'est arrêté au démarrage "
                                       f"(journal : {process.log}) :\n{tail}")
                if self.healthy(process)[0]:
                    waiting.remove(name)
            if waiting and time.monotonic() > deadline:
                raise ClusterError(f"pas prêt après {seconds:.0f} s : {', '.join(waiting)}")
            if waiting:
                time.sleep(0.5)

    # up / down / status -----------------------------------------------------------------------
    def up(self) -> None:
        if not self.model.exists():
            raise ClusterError(f"modèle absent ({self.model}) : lancez d'abord scripts/setup.sh")
        running = [p.name for p in self.processes.values() if p.alive()]
        if running:
            raise ClusterError(f"déjà lancé ({', '.join(running)}) : "
                               f"« python -m bot cluster down » d'abord")
        self.processes = {}
        ensure_packages()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            say("PostgreSQL, Redis…")
            self.start_postgres()
            self.start_redis()
            self.wait_healthy(["redis"], 30)
            from bot.leads.db import upgrade
            from bot.ops import deploy

            upgrade(self.database_url("boussole"))
            deploy.write(self.state_dir, self.env("rasa"))
            say("serveur d'actions, application web, nginx, deux répliques Rasa "
                "(chargement du modèle : 1 à 2 min)…")
            self.start_actions()
            self.start_web()
            self.start_rasa(1)
            self.start_rasa(2)
            self.start_nginx()
            self.wait_healthy(["actions", "web", "nginx", "rasa-1", "rasa-2"], 420)
        except BaseException:
            say("échec du démarrage : arrêt de ce qui a été lancé")
            self.down(quiet=True)
            raise
        say(f"cluster prêt en {time.monotonic() - started:.0f} s — {self.public_url}/ "
            f"(REST : {self.public_url}/webhooks/rest/webhook)")

    def stop(self, name: str, sig: int | None = None, timeout: float = 30) -> None:
        """Stop one process gracefully (its own stop signal), then SIGKILL after `timeout`."""
        process = self.processes.get(name)
        if process is None:
            return
        if name == "postgres":
            self.stop_postgres()
            return
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
        # Sanic's and nginx's workers belong to the same session; none may be left behind.
        try:
            os.killpg(process.pid, 0)
            time.sleep(0.5)
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.processes.pop(name, None)
        self.save()

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash would (the fault tests)."""
        self.stop(name, sig=signal.SIGKILL, timeout=10)

    def down(self, quiet: bool = False) -> None:
        order = ["nginx", "web", "rasa-1", "rasa-2", "actions", "redis", "postgres"]
        for name in order + [n for n in self.processes if n not in order]:
            if name in self.processes:
                if not quiet:
                    say(f"arrêt de {name}")
                self.stop(name)
        if self.state_file.exists():
            self.state_file.unlink()

    def status(self) -> list[dict]:
        rows = []
        for process in self.processes.values():
            ok, detail = self.healthy(process)
            rows.append({"name": process.name, "pid": process.pid, "port": process.port,
                         "running": process.alive(), "healthy": ok, "detail": detail,
                         "log": process.log})
        return rows


def main(action: str, state_dir: str | None = None, port_offset: int | None = None,
         as_json: bool = False) -> int:
    kwargs = {}
    if state_dir:
        kwargs["state_dir"] = Path(state_dir)
    if port_offset is not None:
        kwargs["port_offset"] = port_offset
    cluster = Cluster(**kwargs)
    try:
        if action == "up":
            cluster.up()
        elif action == "down":
            if not cluster.processes:
                say("rien à arrêter (aucun cluster lancé depuis ce dossier)")
            cluster.down()
        else:
            rows = cluster.status()
            if as_json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            elif not rows:
                print("Aucun cluster lancé (python -m bot cluster up).")
            else:
                for r in rows:
                    state = "en marche" if r["running"] else "arrêté"
                    health = "santé " + r["detail"] if r["running"] else ""
                    print(f"{r['name']:<8} pid {r['pid']:<8} port {r['port']:<6} "
                          f"{state:<10} {health}")
                return 0 if all(r["healthy"] for r in rows) else 1
    except ClusterError as exc:
        print(f"[boussole] ERREUR : {exc}", file=sys.stderr)
        return 1
    return 0
