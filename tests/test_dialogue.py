"""The dialogue policies follow every test conversation (rasa test core, fail on any error)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_conversation_is_followed_exactly(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "test",
            "core",
            "--model",
            str(ROOT / "models/boussole.tar.gz"),
            "--stories",
            str(ROOT / "tests/test_stories.yml"),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3"),
    )
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert run.returncode == 0, failed + run.stdout[-2000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["conversation_accuracy"]["correct"] == report["conversation_accuracy"]["total"]
    assert report["conversation_accuracy"]["total"] >= 10
