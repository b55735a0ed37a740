"""The trained Rasa model, loaded once per process, used to parse text outside the Rasa server.

`bot orient` and `bot evaluate` use the very model the Rasa server serves (models/boussole.tar.gz),
so the CLI and the chat cannot disagree.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from bot import settings

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class ModelNotFound(RuntimeError):
    pass


class NLU:
    """A loaded Rasa model that parses texts synchronously."""

    def __init__(self, model_path: Path | str | None = None):
        path = Path(model_path or settings.MODEL_FILE)
        if not path.exists():
            raise ModelNotFound(
                f"modèle introuvable : {path}. Lancez d'abord « scripts/setup.sh » "
                f"(ou « .venv/bin/python -m bot train »)."
            )
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        # Rasa's structured debug log goes to stdout by default: keep stdout for our JSON.
        configure_structlog(logging.WARNING)
        for name in ("rasa", "tensorflow", "absl", "spacy", "py.warnings"):
            logging.getLogger(name).setLevel(logging.ERROR)

        from bot.rasa_ext import rasa_fixes

        rasa_fixes.apply()  # parse exactly as the server does (bounded prefix, no markup)
        self._loop = asyncio.new_event_loop()
        self.agent = Agent.load(str(path))
        self.model_path = path

    def parse(self, text: str) -> dict[str, Any]:
        return self._loop.run_until_complete(self.agent.parse_message(text))

    def close(self) -> None:
        self._loop.close()
