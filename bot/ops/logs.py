"""Structured logs: one JSON object per line, without personal data.

Used by our own processes (web app, action server, the guarded REST channel inside Rasa) and by
Rasa itself through `deploy/logging.yml` (`rasa run --logging-config-file`). The messages we log
never carry what people typed; as a second line of defence, anything that looks like an e-mail
address or a phone number is masked before the line is written.

The service name, level and format come from the caller's `bot.settings.Settings`
(BOUSSOLE_SERVICE, BOUSSOLE_LOG_LEVEL, BOUSSOLE_LOG_FORMAT); where nobody passes one — the
formatter Rasa builds from deploy/logging.yml — they are the environment's (`Settings.from_env()`).
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)(\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
# Extra attributes worth keeping when a log call passes them (`extra={...}`).
FIELDS = (
    "event",
    "reason",
    "status",
    "duration_ms",
    "conversation",
    "channel",
    "retry_after",
    "component",
    "count",
)


def redact(text: str) -> str:
    return PHONE.sub("[téléphone]", EMAIL.sub("[e-mail]", text))


def excerpt(text: str, limit: int | None = None) -> str:
    """The start of a long string and its length: what a log line may quote of a message."""
    from bot.settings import LOG_EXCERPT_CHARS

    limit = LOG_EXCERPT_CHARS if limit is None else limit
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text)} chars]"


def _short(value):
    return excerpt(value) if isinstance(value, str) else value


def shorten_structlog_values(_logger, _method, event_dict: dict) -> dict:
    """structlog processor: Rasa passes the person's text as fields (`text=`,
    `parse_data_text=`…), rendered whole into one line; each string field is cut instead."""
    for key, value in event_dict.items():
        if isinstance(value, str) and key != "event":
            event_dict[key] = excerpt(value)
    return event_dict


def shorten_log_records() -> None:
    """Every log record of this process quotes at most an excerpt of each argument, and its
    message is cut at LOG_LINE_CHARS (f-strings, structlog's rendered lines). Installed as the
    record factory, so whichever handler Rasa, coloredlogs or we put in place later.
    Tracebacks are formatted by the handler and kept."""
    from bot.settings import LOG_LINE_CHARS

    previous = logging.getLogRecordFactory()
    if not getattr(previous, "boussole_shortens", False):

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                if isinstance(record.args, tuple) and record.args:
                    record.args = tuple(_short(a) for a in record.args)
                elif isinstance(record.args, dict):
                    record.args = {k: _short(v) for k, v in record.args.items()}
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed call is the handler's to report
                return record
            if len(message) > LOG_LINE_CHARS:
                record.msg, record.args = excerpt(message, LOG_LINE_CHARS), ()
            return record

        factory.boussole_shortens = True
        logging.setLogRecordFactory(factory)

    try:
        import structlog
    except ImportError:
        return
    processors = structlog.get_config()["processors"]
    # Rasa configures structlog once at start-up; its loggers share this very list.
    if isinstance(processors, list) and shorten_structlog_values not in processors:
        processors.insert(0, shorten_structlog_values)


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "service", "logger", "msg", …}` on one line."""

    def __init__(self, *args, service: str | None = None, **kwargs):
        super().__init__()
        if not service:
            from bot.settings import Settings

            service = Settings.from_env().service
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "pid": record.process,
            "logger": record.name,
            "msg": redact(record.getMessage())[:2000],
        }
        for name in FIELDS:
            if hasattr(record, name):
                payload[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and its (masked, shortened) message; tracebacks can quote
            # local values, so they stay out of the production log.
            payload["error"] = record.exc_info[0].__name__
            payload["detail"] = redact(str(record.exc_info[1]))[:500]
        return json.dumps(payload, ensure_ascii=False)


def configure(service: str, level: str | None = None) -> None:
    """JSON logs on standard error for this process (used by our own entry points), at `level`
    (BOUSSOLE_LOG_LEVEL's when not given). The service name is left in the environment for the
    processes this one starts."""
    if not level:
        from bot.settings import Settings

        level = Settings.from_env().log_level
    os.environ.setdefault("BOUSSOLE_SERVICE", service)
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": JsonFormatter, "service": service}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "stream": "ext://sys.stderr",
                }
            },
            "root": {"level": level, "handlers": ["stderr"]},
        }
    )


def take_over_rasa_logging(service: str | None = None) -> None:
    """JSON logs inside `rasa run`, whatever its command line did.

    Rasa 3.6 applies `--logging-config-file`, then installs `coloredlogs` on the root logger,
    which replaces that handler with its own text format. Called when the guarded REST channel
    is created (before the model loads), this puts the JSON handler back and routes Python
    warnings to it.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service=service))
    root.addHandler(handler)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.ERROR)


def json_logs_wanted(settings: Settings | None = None) -> bool:
    """BOUSSOLE_LOG_FORMAT=json, in these settings (by default the environment's)."""
    if settings is None:
        from bot.settings import Settings

        settings = Settings.from_env()
    return settings.json_logs
