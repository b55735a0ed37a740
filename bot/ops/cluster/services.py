"""What each service of the cluster is told: command lines (Rasa, the action server, the web
app, Redis, nginx), the configuration files written into the state directory (nginx.conf from
`deploy/nginx.conf.template`, Rasa's endpoints.yml and credentials.yml through `bot.ops.deploy`)
and PostgreSQL's own tools (initdb, pg_ctl, createdb, run as user postgres when we are root).

Nothing here keeps state: `Cluster` passes the ports and directories in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from bot import settings
from bot.ops.cluster.messages import ClusterError
from bot.ops.cluster.packages import nginx_bin, postgres_bin, redis_bin

ROOT = settings.ROOT
VENV_BIN = (
    ROOT / ".venv" / "bin"
    if (ROOT / ".venv" / "bin" / "rasa").exists()
    else Path(sys.executable).parent
)
LOGGING = ROOT / "deploy" / "logging.yml"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
DATABASES = ("boussole", "boussole_tracker")


# --- PostgreSQL -------------------------------------------------------------------------------


def as_postgres(command: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw
    )


def start_postgres(data: Path, port: int) -> int:
    """initdb `data` the first time, then start the server on `port`; its pid."""
    bin_dir = postgres_bin()
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
            data.chmod(0o700)
        done = as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        if done.returncode:
            raise ClusterError(f"initdb a échoué :\n{done.stdout[-2000:]}")
    log = data / "server.log"
    done = as_postgres(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
        ]
    )
    if done.returncode:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise ClusterError(
            f"PostgreSQL n'a pas démarré :\n{done.stdout[-2000:]}\njournal ({log}) :\n{tail}"
        )
    return int((data / "postmaster.pid").read_text().split()[0])


def create_databases(port: int) -> None:
    for name in DATABASES:
        as_postgres(
            [
                str(postgres_bin() / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                name,
            ]
        )  # fails harmlessly when it exists


def stop_postgres(data: Path, mode: str = "fast") -> None:
    bin_dir = postgres_bin()
    if bin_dir and (data / "postmaster.pid").exists():
        as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"])


# --- Redis, nginx -----------------------------------------------------------------------------


def redis_command(port: int, data: Path) -> list[str]:
    return [
        redis_bin(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(data),
        "--protected-mode",
        "yes",
    ]


def write_nginx_config(state_dir: Path, ports: Mapping[str, int], action_timeout: float) -> Path:
    """state_dir/nginx.conf: the public port (round robin over both replicas, the web app),
    the action server behind its time limit; plus nginx's temporary directories."""
    template = NGINX_TEMPLATE.read_text(encoding="utf-8")
    servers = lambda names: "\n".join(  # noqa: E731
        f"        server 127.0.0.1:{ports[n]} max_fails=1 fail_timeout=5s;" for n in names
    )
    values = {
        "STATE": str(state_dir),
        "RASA_SERVERS": servers(["rasa-1", "rasa-2"]),
        "ACTION_SERVERS": servers(["actions"]),
        "WEB_PORT": ports["web"],
        "PUBLIC_PORT": ports["public"],
        "ACTIONS_PROXY_PORT": ports["actions-proxy"],
        "ACTION_TIMEOUT": f"{action_timeout:g}",
    }
    for key, value in values.items():
        template = template.replace(f"@@{key}@@", str(value))
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (state_dir / "nginx" / sub).mkdir(parents=True, exist_ok=True)
    path = state_dir / "nginx.conf"
    path.write_text(template, encoding="utf-8")
    return path


def nginx_command(state_dir: Path, log_dir: Path, *extra: str) -> list[str]:
    return [
        nginx_bin(),
        "-e",
        str(log_dir / "nginx-error.log"),
        "-p",
        str(state_dir),
        "-c",
        str(state_dir / "nginx.conf"),
        *extra,
    ]


def check_nginx(state_dir: Path, log_dir: Path) -> None:
    done = subprocess.run(
        nginx_command(state_dir, log_dir, "-t"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if done.returncode:
        raise ClusterError(f"configuration nginx refusée :\n{done.stdout}")


# --- the Python services ----------------------------------------------------------------------


def write_rasa_config(state_dir: Path, env: Mapping[str, str]) -> None:
    """endpoints.yml (PostgreSQL tracker store, Redis lock store, actions through nginx) and
    credentials.yml (the guarded REST channel and its rate limit), as in production."""
    from bot.ops import deploy

    deploy.write(state_dir, env)


def actions_command(port: int) -> list[str]:
    return [
        str(VENV_BIN / "python"),
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(port),
        # (sic: rasa_sdk 3.6 spells its option with an underscore)
        "--logging-config_file",
        str(LOGGING),
    ]


def rasa_command(model: Path, state_dir: Path, port: int, token: str | None) -> list[str]:
    command = [
        str(VENV_BIN / "python"),
        "-m",
        "bot.rasa_ext.launch",  # Rasa's command line, its garbage collector tuned
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(state_dir / "endpoints.yml"),
        "--credentials",
        str(state_dir / "credentials.yml"),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--logging-config-file",
        str(LOGGING),
    ]
    if token:  # Rasa's HTTP API only with a token (and never through nginx)
        command += ["--enable-api", "--auth-token", token]
    return command


def web_command(port: int) -> list[str]:
    return [
        str(VENV_BIN / "python"),
        "-m",
        "bot",
        "web",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
