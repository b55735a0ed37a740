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
