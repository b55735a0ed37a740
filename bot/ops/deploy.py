"""Production configuration, chosen by environment variables.

The repository's `endpoints.yml` and `credentials.yml` stay the embedded defaults (SQLite, no
other server). For production, `python -m bot deploy --out DIR` writes `DIR/endpoints.yml` and
`DIR/credentials.yml` from the environment (`bot.settings.Settings`, or a mapping of variables
the caller gives: nothing here reads `os.environ`):

| variable | meaning |
|---|---|
| `TRACKER_STORE_URL` | Rasa's tracker store, `postgresql://user:password@host:5432/base` |
| `REDIS_URL` | Rasa's lock store and the per-conversation rate limit, `redis://[:password@]host:6379/0` |
| `BOUSSOLE_ACTION_URL` | the action server(s), default `http://127.0.0.1:5055/webhook` |
| `BOUSSOLE_RATE_LIMIT` | messages per conversation, `20/60` (20 per 60 s) by default |
| `DATABASE_URL` | the leads (read by the action server and the web app, not written here) |

Rasa substitutes `${VAR}` in these files but fails when one is unset, hence files generated
from the environment. They hold the database password: they are written with mode 0600, in a
runtime directory (`/run/boussole` under systemd, `var/cluster` for the local cluster).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from bot import settings
from bot.files import atomic_write
from bot.settings import Settings

DEFAULT_ACTION_URL = "http://127.0.0.1:5055/webhook"


class DeployError(Exception):
    """A missing or malformed environment variable, explained in French."""


Source = Settings | Mapping[str, str]


def variables(source: Source) -> Mapping[str, str]:
    """The variables this module reads: a mapping as given; from a Settings, its environment
    with its own fields (tracker store, Redis, rate limit) on top."""
    if not isinstance(source, Settings):
        return source
    env = dict(source.environ)
    for name, value in (
        ("TRACKER_STORE_URL", source.tracker_store_url),
        ("REDIS_URL", source.redis_url),
        ("BOUSSOLE_RATE_LIMIT", source.rate_limit),
    ):
        if value:
            env[name] = value
    return env


def _url(name: str, env: Mapping[str, str], schemes: tuple[str, ...]):
    from sqlalchemy.engine import make_url

    value = env.get(name, "").strip()
    if not value:
        raise DeployError(f"variable d'environnement {name} absente ({schemes[0]}://…)")
    try:
        url = make_url(value.replace("postgres://", "postgresql://", 1))
    except Exception as exc:  # noqa: BLE001
        raise DeployError(f"{name} n'est pas une adresse valide") from exc
    if url.drivername.split("+")[0] not in schemes:
        raise DeployError(f"{name} doit commencer par {' ou '.join(s + '://' for s in schemes)}")
    return url


def tracker_store(env: Mapping[str, str]) -> dict:
    url = _url("TRACKER_STORE_URL", env, ("postgresql",))
    # Rasa's SQL tracker store, failing loudly instead of forgetting (see bot/rasa_ext/trackers.py).
    config = {
        "type": "bot.rasa_ext.trackers.StrictSQLTrackerStore",
        "dialect": "postgresql",
        "url": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "db": url.database or "boussole_tracker",
    }
    if url.username:
        config["username"] = url.username
    if url.password:
        config["password"] = str(url.password)
    if url.query:
        config["query"] = dict(url.query)
    return config


def lock_store(env: Mapping[str, str]) -> dict:
    from urllib.parse import urlparse

    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        raise DeployError("variable d'environnement REDIS_URL absente (redis://hôte:6379/0)")
    url = urlparse(raw)
    if url.scheme not in ("redis", "rediss"):
        raise DeployError("REDIS_URL doit commencer par redis:// ou rediss://")
    # Rasa's RedisLockStore, with atomic ticket updates across replicas (see bot/rasa_ext/locks.py).
    config = {
        "type": "bot.rasa_ext.locks.AtomicRedisLockStore",
        "url": url.hostname or "127.0.0.1",
        "port": url.port or 6379,
        # Database 1 for the locks; the rate limit uses the one named in REDIS_URL.
        "db": int(env.get("BOUSSOLE_LOCK_DB", "1")),
        "key_prefix": "boussole",
        "socket_timeout": 2,
        "use_ssl": url.scheme == "rediss",
    }
    if url.password:
        config["password"] = url.password
    if url.username:
        config["username"] = url.username
    return config


def endpoints(source: Source) -> dict:
    env = variables(source)
    return {
        "action_endpoint": {"url": env.get("BOUSSOLE_ACTION_URL", DEFAULT_ACTION_URL)},
        "tracker_store": tracker_store(env),
        "lock_store": lock_store(env),
    }


def rate_limit(env: Mapping[str, str]) -> tuple[int, float]:
    raw = env.get("BOUSSOLE_RATE_LIMIT", "20/60")
    try:
        limit, window = raw.split("/")
        return int(limit), float(window)
    except ValueError as exc:
        raise DeployError(
            "BOUSSOLE_RATE_LIMIT attendu sous la forme MESSAGES/SECONDES, par exemple 20/60"
        ) from exc


def credentials(source: Source, base: Path | None = None) -> dict:
    """The repository's channels, with Rasa's `rest` replaced by the guarded REST channel."""
    env = variables(source)
    base = base or settings.ROOT / "credentials.yml"
    channels = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    channels.pop("rest", None)
    # the repository's, settings-less
    channels.pop("bot.rasa_ext.guarded_rest.GuardedRestInput", None)
    limit, window = rate_limit(env)
    # First, so that its JSON logging is in place before the other channels log anything.
    return {
        "bot.rasa_ext.guarded_rest.GuardedRestInput": {"limit": limit, "window": window},
        **channels,
    }


def _write(path: Path, data: dict, header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), 0o600)


def write(out: Path, source: Source) -> tuple[Path, Path]:
    """Write DIR/endpoints.yml and DIR/credentials.yml from `source` (a Settings or a mapping
    of variables); raise DeployError when it is lacking."""
    header = "# Generated by `python -m bot deploy` from the environment; do not edit.\n"
    env = variables(source)
    data_endpoints, data_credentials = endpoints(env), credentials(env)
    _write(out / "endpoints.yml", data_endpoints, header)
    _write(out / "credentials.yml", data_credentials, header)
    return out / "endpoints.yml", out / "credentials.yml"
