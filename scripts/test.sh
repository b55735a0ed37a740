#!/usr/bin/env bash
# Sets up Boussole ESS if needed (Python 3.10, .venv, exact dependencies, trained model),
# then runs the whole test suite: unit tests, the trained model on the held-out dev set, and
# a conversation with the real Rasa and action servers on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
