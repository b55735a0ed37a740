"""Where things are and how they are configured: paths and environment variables, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(os.environ.get("BOUSSOLE_ROOT", Path(__file__).resolve().parent.parent))
DATA_DIR = ROOT / "data"
OFFERS_FILE = Path(os.environ.get("BOUSSOLE_OFFERS", DATA_DIR / "offers.yml"))
COMMUNES_FILE = DATA_DIR / "communes.csv"
TERRITORY_FILE = DATA_DIR / "territory.yml"
MODELS_DIR = ROOT / "models"
MODEL_NAME = "boussole"
MODEL_FILE = Path(os.environ.get("BOUSSOLE_MODEL", MODELS_DIR / f"{MODEL_NAME}.tar.gz"))
DEV_SET = ROOT / "tests" / "data" / "orient_dev.jsonl"

RASA_URL = os.environ.get("BOUSSOLE_RASA_URL", "http://localhost:5005")
# Where people reach the web app (demo page, offer pages): links sent on messaging apps.
PUBLIC_URL = os.environ.get("BOUSSOLE_PUBLIC_URL", "http://localhost:8000").rstrip("/")

# A description of a project fits in far less; longer messages get a request to summarise
# instead of an orientation (the NLU's cost grows with length, and pasted documents mislead it).
MAX_MESSAGE_CHARS = int(os.environ.get("BOUSSOLE_MAX_MESSAGE_CHARS", "2000"))

# Input limits, on every channel (docs/exploitation.md, « Entrées bornées »).
# Longer messages are refused with a polite answer, never parsed, stored or logged; the widget's
# /chat proxy (bot/workspace/web) refuses the same length.
MAX_INPUT_CHARS = int(os.environ.get("BOUSSOLE_MAX_INPUT_CHARS", "10000"))
# A REST body is refused (413) before JSON parsing beyond this: a 10 000-character message fits
# even fully \u-escaped (12 bytes per character for emoji), with room for the envelope.
MAX_INPUT_BYTES = 12 * MAX_INPUT_CHARS + 8192
MAX_SENDER_CHARS = 128
# The NLU reads at most this prefix of a message (the tracker keeps the whole text): its cost
# grows with length and blocks Rasa's event loop meanwhile.
NLU_MAX_CHARS = int(os.environ.get("BOUSSOLE_NLU_MAX_CHARS", str(MAX_MESSAGE_CHARS)))
# What a log line may quote of any value (a message, a sender id): longer ones are cut.
LOG_EXCERPT_CHARS = 200
LOG_LINE_CHARS = 2000
# REST flood guard per client address (on top of BOUSSOLE_RATE_LIMIT per conversation), so that
# a new sender id per message does not escape it. X-Forwarded-For is read only from the proxies
# of BOUSSOLE_TRUSTED_PROXIES (comma-separated addresses or networks, none by default; the same
# variable as the web app's): `127.0.0.1` behind the local nginx. Requests from this machine
# that name no other client are not counted per address.
ADDRESS_RATE_LIMIT = os.environ.get("BOUSSOLE_ADDRESS_RATE_LIMIT", "120/60")
TRUSTED_PROXIES = os.environ.get("BOUSSOLE_TRUSTED_PROXIES", "")
# Turns processed at once by one Rasa process (all channels), of which long messages (more than
# HEAVY_TURN_CHARS) at most MAX_HEAVY_TURNS; a turn waits TURN_WAIT_SECONDS for a place, then is
# refused politely (503) instead of making everyone wait.
MAX_CONCURRENT_TURNS = int(os.environ.get("BOUSSOLE_MAX_CONCURRENT_TURNS", "32"))
MAX_HEAVY_TURNS = int(os.environ.get("BOUSSOLE_MAX_HEAVY_TURNS", "2"))
HEAVY_TURN_CHARS = 1000
TURN_WAIT_SECONDS = float(os.environ.get("BOUSSOLE_TURN_WAIT_SECONDS", "5"))


# ---------------------------------------------------------------------------------------------
# Deployment settings: everything the environment decides about one running process, read once
# by Settings.from_env() and passed down (web app, cluster, outbox, notifications, channels).
# The constants above are the project's layout and input limits; they do not change per process.


@dataclass(frozen=True)
class SmtpSettings:
    """Where lead notifications are sent from (BOUSSOLE_SMTP_*); absent when no host is set."""

    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    sender: str = "boussole-ess@localhost"
    starttls: bool = True
    workspace_url: str = "http://localhost:8000/conseil"


@dataclass(frozen=True)
class Settings:
    """One process's configuration. Tests build one (`Settings(database_url=…)` or
    `Settings.from_env({...})`) instead of patching the environment."""

    var_dir: Path = ROOT / "var"
    database_url: str | None = None  # DATABASE_URL; SQLite in var/ when unset
    tracker_store_url: str | None = None  # TRACKER_STORE_URL; SQLite in var/ when unset
    redis_url: str | None = None  # REDIS_URL: lock store and shared rate limits
    rasa_url: str = "http://localhost:5005"
    public_url: str = "http://localhost:8000"
    outbox_dir: Path | None = None  # BOUSSOLE_OUTBOX; var/outbox when unset
    secret_key: str | None = None  # BOUSSOLE_SECRET_KEY; a key kept in var/ when unset
    secure_cookies: bool = True  # BOUSSOLE_COOKIE_SECURE=0 on plain-http loopback
    trusted_proxies: str = ""  # BOUSSOLE_TRUSTED_PROXIES
    rate_limit: str = "20/60"  # BOUSSOLE_RATE_LIMIT: turns per conversation
    address_rate_limit: str = "120/60"  # BOUSSOLE_ADDRESS_RATE_LIMIT: turns per address
    action_timeout: float = 10.0  # BOUSSOLE_ACTION_TIMEOUT, seconds
    channel_timeout: float = 5.0  # BOUSSOLE_CHANNEL_TIMEOUT, seconds
    pseudonym_key: str | None = None  # BOUSSOLE_PSEUDONYM_KEY
    smtp: SmtpSettings | None = None
    log_level: str = "INFO"  # BOUSSOLE_LOG_LEVEL
    json_logs: bool = False  # BOUSSOLE_LOG_FORMAT=json
    service: str = "boussole"  # BOUSSOLE_SERVICE: the name in JSON log lines
    cluster_dir: Path = ROOT / "var" / "cluster"  # BOUSSOLE_CLUSTER_DIR
    cluster_port_offset: int = 0  # BOUSSOLE_CLUSTER_PORT_OFFSET
    # Rasa processes of `python -m bot serve` (BOUSSOLE_RASA_WORKERS): 0 means one per core,
    # at most two (each holds the model: ≈ 1.2 GB).
    rasa_workers: int = 0
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def serve_workers(self) -> int:
        return self.rasa_workers or max(1, min(2, os.cpu_count() or 1))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment gives (os.environ unless told otherwise). A malformed
        number names its variable."""
        env = dict(os.environ if environ is None else environ)

        def text(name: str, default: str | None = None) -> str | None:
            value = env.get(name, "").strip()
            return value or default

        def number(name: str, default: float, kind=float):
            value = text(name)
            if value is None:
                return default
            try:
                return kind(value)
            except ValueError:
                raise ValueError(f"{name} : « {value} » n'est pas un nombre") from None

        database_url = text("DATABASE_URL")
        if database_url:
            # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants "postgresql".
            database_url = database_url.replace("postgres://", "postgresql://", 1)
        smtp = None
        if text("BOUSSOLE_SMTP_HOST"):
            smtp = SmtpSettings(
                host=text("BOUSSOLE_SMTP_HOST"),
                port=number("BOUSSOLE_SMTP_PORT", 587, int),
                user=env.get("BOUSSOLE_SMTP_USER", ""),
                password=env.get("BOUSSOLE_SMTP_PASSWORD", ""),
                sender=text("BOUSSOLE_SMTP_FROM", "boussole-ess@localhost"),
                starttls=env.get("BOUSSOLE_SMTP_STARTTLS", "1") != "0",
                workspace_url=text("BOUSSOLE_WORKSPACE_URL", "http://localhost:8000/conseil"),
            )
        outbox = text("BOUSSOLE_OUTBOX")
        return cls(
            database_url=database_url,
            tracker_store_url=text("TRACKER_STORE_URL"),
            redis_url=text("REDIS_URL"),
            rasa_url=text("BOUSSOLE_RASA_URL", "http://localhost:5005").rstrip("/"),
            public_url=text("BOUSSOLE_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
            outbox_dir=Path(outbox) if outbox else None,
            secret_key=text("BOUSSOLE_SECRET_KEY"),
            secure_cookies=env.get("BOUSSOLE_COOKIE_SECURE", "1") != "0",
            trusted_proxies=env.get("BOUSSOLE_TRUSTED_PROXIES", ""),
            rate_limit=text("BOUSSOLE_RATE_LIMIT", "20/60"),
            address_rate_limit=text("BOUSSOLE_ADDRESS_RATE_LIMIT", "120/60"),
            action_timeout=number("BOUSSOLE_ACTION_TIMEOUT", 10.0),
            channel_timeout=number("BOUSSOLE_CHANNEL_TIMEOUT", 5.0),
            pseudonym_key=text("BOUSSOLE_PSEUDONYM_KEY"),
            smtp=smtp,
            log_level=text("BOUSSOLE_LOG_LEVEL", "INFO"),
            json_logs=env.get("BOUSSOLE_LOG_FORMAT", "").strip().lower() == "json",
            service=text("BOUSSOLE_SERVICE", "boussole"),
            cluster_dir=Path(text("BOUSSOLE_CLUSTER_DIR", str(ROOT / "var" / "cluster"))),
            cluster_port_offset=number("BOUSSOLE_CLUSTER_PORT_OFFSET", 0, int),
            rasa_workers=number("BOUSSOLE_RASA_WORKERS", 0, int),
            environ=env,
        )

    # Derived places, so that no module builds a var/ path of its own.
    def sqlite_url(self, name: str) -> str:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.var_dir / name}"

    @property
    def leads_database_url(self) -> str:
        return self.database_url or self.sqlite_url("boussole.db")

    @property
    def trackers_url(self) -> str:
        return self.tracker_store_url or self.sqlite_url("tracker.db")

    @property
    def outbox_path(self) -> Path:
        return (self.outbox_dir or self.var_dir / "outbox") / "leads.jsonl"
