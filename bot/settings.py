"""Where things are and how they are configured: paths and environment variables, in one place."""
from __future__ import annotations

import os
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
