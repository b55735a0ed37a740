"""Train the Rasa model when (and only when) its inputs changed.

Inputs: config.yml, domain.yml and the training data under data/nlu, data/rules and
data/stories. Their hash is kept next to the model; a changed file means a new training.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bot import settings

TRAINING_DIRS = ("data/nlu", "data/rules", "data/stories")


def training_files(root: Path = settings.ROOT) -> list[Path]:
    # The project's own pipeline components, and the fixes that change how spaCy featurizes,
    # shape what the model learns: their code counts.
    files = [
        root / "config.yml",
        root / "domain.yml",
        root / "bot" / "orientation" / "nlu_components.py",
        root / "bot" / "rasa_ext" / "rasa_fixes.py",
    ]
    for folder in TRAINING_DIRS:
        files += sorted((root / folder).rglob("*.yml"))
    return files


def fingerprint(root: Path = settings.ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint_file() -> Path:
    return settings.MODEL_FILE.with_suffix("").with_suffix(".fingerprint")


def is_up_to_date() -> bool:
    stamp = fingerprint_file()
    return (
        settings.MODEL_FILE.exists()
        and stamp.exists()
        and stamp.read_text().strip() == fingerprint()
    )


def train(force: bool = False) -> int:
    """Train if needed; return the process exit code. Prints the training time."""
    if not force and is_up_to_date():
        print(f"[boussole] modèle à jour : {settings.MODEL_FILE.relative_to(settings.ROOT)}")
        return 0
    print(
        "[boussole] entraînement du modèle Rasa (données ou configuration modifiées)…", flush=True
    )
    settings.MODELS_DIR.mkdir(parents=True, exist_ok=True)
    wanted = fingerprint()
    started = time.monotonic()
    # Always a whole training (--force): Rasa's training cache would only be written, never
    # read; disabled, it costs neither disk nor fingerprints (bot/rasa_ext/rasa_fixes.py, fix 6).
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_MAX_CACHE_SIZE="0",
    )
    cmd = [
        sys.executable,
        "-m",
        "bot.rasa_ext.launch",  # Rasa's command line, its garbage collector tuned
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        *TRAINING_DIRS,
        "--out",
        str(settings.MODELS_DIR),
        "--fixed-model-name",
        settings.MODEL_NAME,
        "--force",
        # Rasa's data validation (≈ 15 s) runs in the test suite instead
        # (tests/test_nlu_data.py), not at every set-up.
        "--skip-validation",
    ]
    code = subprocess.call(cmd, cwd=settings.ROOT, env=env)
    if code == 0:
        fingerprint_file().write_text(wanted + "\n")
        print(f"[boussole] modèle entraîné en {time.monotonic() - started:.0f} s")
    return code
