"""Where one cluster lives and listens: its state directory, its ports (the base ports shifted
by the port offset), the addresses built on them, and the environment its child processes are
given. Read from a `bot.settings.Settings`; `Cluster` adds the processes on top.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot import settings as project
from bot.settings import Settings

BASE_PORTS = {
    "public": 8090,
    "rasa-1": 5105,
    "rasa-2": 5106,
    "actions-proxy": 5150,
    "actions": 5155,
    "web": 8005,
    "postgres": 15433,
    "redis": 16379,
}
# (all below 32768, Linux's range of ports picked for outgoing connections, which a listening
# server could otherwise collide with)


class Layout:
    """Settings used: cluster_dir, cluster_port_offset, action_timeout, rate_limit."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.state_dir = Path(self.settings.cluster_dir).resolve()
        self.port_offset = self.settings.cluster_port_offset
        self.action_timeout = self.settings.action_timeout
        self.rate_limit = self.settings.rate_limit
        self.log_dir = self.state_dir / "log"
        self.pgdata = self.state_dir / "pgdata"

    def port(self, name: str) -> int:
        return BASE_PORTS[name] + self.port_offset

    @property
    def ports(self) -> dict[str, int]:
        return {name: self.port(name) for name in BASE_PORTS}

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
        """What a child process is given: this process's environment, pointed at the cluster
        (each child reads its own Settings from it)."""
        return dict(
            os.environ,
            **{
                "DATABASE_URL": self.database_url("boussole"),
                "TRACKER_STORE_URL": self.database_url("boussole_tracker"),
                "REDIS_URL": self.redis_url,
                "BOUSSOLE_ACTION_URL": f"http://127.0.0.1:{self.port('actions-proxy')}/webhook",
                "BOUSSOLE_RATE_LIMIT": self.rate_limit,
                "BOUSSOLE_OUTBOX": str(self.state_dir / "outbox"),
                "BOUSSOLE_RASA_URL": self.public_url,
                "BOUSSOLE_COOKIE_SECURE": "0",  # plain http on loopback
                "BOUSSOLE_TRUSTED_PROXIES": "127.0.0.1",  # nginx, in front of every service
                "BOUSSOLE_LOG_FORMAT": "json",
                "BOUSSOLE_SERVICE": service,
                "PYTHONPATH": str(project.ROOT),
                "PYTHONWARNINGS": "ignore",
                "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "3",
            },
        )
