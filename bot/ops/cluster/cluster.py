"""`Cluster`: the production shape on this machine, as one object: which processes it runs,
the order they start and stop in, one service restarted or killed at a time (the fault tests).
Where it listens is its `Layout` (from the `bot.settings.Settings` it is given,
`Settings.from_env()` by default); how each service is started is in `services`, what a process
is and how it is stopped or checked in `processes`.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from bot import settings as project
from bot.ops.cluster import processes, services
from bot.ops.cluster.layout import Layout
from bot.ops.cluster.messages import ClusterError, say
from bot.ops.cluster.packages import ensure_packages
from bot.ops.cluster.processes import Process, StateFile
from bot.settings import Settings

STOP_ORDER = ["nginx", "web", "rasa-1", "rasa-2", "actions", "redis", "postgres"]


class Cluster(Layout):
    """The processes of one cluster (recorded in its state file) and the order they start and
    stop in. `Cluster(Settings(cluster_dir=…, cluster_port_offset=…))`; `Cluster()` reads
    the environment."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        action_workers: int = 2,
        model: Path = project.MODEL_FILE,
    ):
        super().__init__(settings)
        self.action_workers, self.model = action_workers, model
        self.state = StateFile(self.state_dir / "state.json")
        self.processes: dict[str, Process] = {}
        self.load()

    # state ------------------------------------------------------------------------------------
    def load(self) -> None:
        offset, found = self.state.load()
        if offset is not None:
            self.port_offset = offset
        self.processes.update(found)

    def save(self) -> None:
        self.state.save(self.port_offset, self.processes)

    def _record(self, process: Process) -> Process:
        self.processes[process.name] = process
        self.save()
        return process

    def _spawn(
        self,
        name: str,
        command: list[str],
        health: str,
        marker: str,
        env: dict | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> Process:
        return self._record(
            processes.spawn(
                name,
                command,
                cwd=project.ROOT,
                env=env or self.env(name),
                log_dir=self.log_dir,
                port=self.port("public" if name == "nginx" else name),
                health=health,
                marker=marker,
                stop_signal=stop_signal,
            )
        )

    # one service at a time (the fault tests restart them one by one) --------------------------
    def start_postgres(self) -> None:
        pid = services.start_postgres(self.pgdata, self.port("postgres"))
        self._record(
            Process(
                "postgres",
                pid,
                self.port("postgres"),
                "",
                "postgres",
                str(self.pgdata / "server.log"),
                int(signal.SIGINT),
            )
        )
        services.create_databases(self.port("postgres"))

    def stop_postgres(self, mode: str = "fast") -> None:
        services.stop_postgres(self.pgdata, mode)
        self.processes.pop("postgres", None)
        self.save()

    def restart_postgres(self) -> None:
        """Fast restart (the fault tests): connections are cut, data stays."""
        self.stop_postgres()
        self.start_postgres()

    def start_redis(self) -> None:
        data = self.state_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self._spawn("redis", services.redis_command(self.port("redis"), data), "", "redis-server")

    def start_nginx(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        services.write_nginx_config(self.state_dir, self.ports, self.action_timeout)
        services.check_nginx(self.state_dir, self.log_dir)
        self._spawn(
            "nginx",
            services.nginx_command(self.state_dir, self.log_dir),
            f"{self.public_url}/nginx-sante",
            "nginx",
            stop_signal=signal.SIGQUIT,
        )  # SIGQUIT: finish the requests in flight

    def start_actions(self) -> None:
        env = self.env("actions")
        env.update(ACTION_SERVER_SANIC_WORKERS=str(self.action_workers), SANIC_HOST="127.0.0.1")
        self._spawn(
            "actions",
            services.actions_command(self.port("actions")),
            f"http://127.0.0.1:{self.port('actions')}/health",
            "rasa_sdk",
            env,
        )

    def start_rasa(self, replica: int) -> None:
        name = f"rasa-{replica}"
        env = self.env(name)
        command = services.rasa_command(
            self.model, self.state_dir, self.port(name), env.get("RASA_AUTH_TOKEN")
        )
        self._spawn(name, command, f"{self.rasa_url(replica)}/", "rasa", env)

    def start_web(self) -> None:
        self._spawn(
            "web",
            services.web_command(self.port("web")),
            f"http://127.0.0.1:{self.port('web')}/sante",
            "bot web",
        )

    def start(self, name: str) -> None:
        """Start one component again (used by the fault tests)."""
        if name.startswith("rasa-"):
            self.start_rasa(int(name.split("-")[1]))
        else:
            {
                "postgres": self.start_postgres,
                "redis": self.start_redis,
                "nginx": self.start_nginx,
                "actions": self.start_actions,
                "web": self.start_web,
            }[name]()

    def stop(self, name: str, sig: int | None = None, timeout: float = 30) -> None:
        """Stop one process gracefully (its own stop signal), then SIGKILL after `timeout`."""
        process = self.processes.get(name)
        if process is None:
            return
        if name == "postgres":
            self.stop_postgres()
            return
        processes.terminate(process, sig, timeout)
        self.processes.pop(name, None)
        self.save()

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash would (the fault tests)."""
        self.stop(name, sig=signal.SIGKILL, timeout=10)

    def healthy(self, process: Process) -> tuple[bool, str]:
        return processes.healthy(process, self.redis_url)

    def wait_healthy(self, names: list[str], seconds: float = 300) -> None:
        processes.wait_healthy(self.processes, names, self.redis_url, seconds)

    # the whole cluster ------------------------------------------------------------------------
    def up(self) -> None:
        if not self.model.exists():
            raise ClusterError(f"modèle absent ({self.model}) : lancez d'abord scripts/setup.sh")
        running = [p.name for p in self.processes.values() if p.alive()]
        if running:
            raise ClusterError(
                f"déjà lancé ({', '.join(running)}) : « python -m bot cluster down » d'abord"
            )
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

            upgrade(self.database_url("boussole"))
            services.write_rasa_config(self.state_dir, self.env("rasa"))
            say(
                "serveur d'actions, application web, nginx, deux répliques Rasa "
                "(chargement du modèle : environ 20 s)…"
            )
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
        say(
            f"cluster prêt en {time.monotonic() - started:.0f} s — {self.public_url}/ "
            f"(REST : {self.public_url}/webhooks/rest/webhook)"
        )

    def down(self, quiet: bool = False) -> None:
        for name in STOP_ORDER + [n for n in self.processes if n not in STOP_ORDER]:
            if name in self.processes:
                if not quiet:
                    say(f"arrêt de {name}")
                self.stop(name)
        self.state.remove()

    def status(self) -> list[dict]:
        rows = []
        for process in self.processes.values():
            ok, detail = self.healthy(process)
            rows.append(
                {
                    "name": process.name,
                    "pid": process.pid,
                    "port": process.port,
                    "running": process.alive(),
                    "healthy": ok,
                    "detail": detail,
                    "log": process.log,
                }
            )
        return rows
