#!/usr/bin/env bash
# Sets up Boussole ESS if needed (Python 3.10, .venv, exact dependencies, trained model),
# then lints and checks the formatting of the code (ruff, configured in pyproject.toml: any
# finding or unformatted file fails; `ruff format .` formats), then runs the
# whole test suite: unit tests, the trained model on the held-out dev set, and
# a conversation with the real Rasa and action servers on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
unset PYTHONDONTWRITEBYTECODE  # bytecode written once, kept in .venv (scripts/setup.sh)
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3
.venv/bin/python -m ruff check . \
    || { echo "[boussole] ERREUR : ruff signale des problèmes (voir ci-dessus)" >&2; exit 1; }
.venv/bin/python -m ruff format --check . \
    || { echo "[boussole] ERREUR : fichiers à formater (.venv/bin/ruff format .)" >&2; exit 1; }
# Browser tests use Debian's Chromium (Playwright drives it; no browser download).
if [ ! -x /usr/bin/chromium ]; then
    echo "[boussole] Chromium absent : installation du paquet Debian « chromium »…" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
        || { echo "[boussole] ERREUR : installez chromium (apt-get install chromium)" >&2; exit 1; }
fi
# The database layer is tested on SQLite and on a real PostgreSQL (Debian's, started here).
BOUSSOLE_TEST_POSTGRES_URL=$(scripts/postgres.sh start)
export BOUSSOLE_TEST_POSTGRES_URL
trap 'scripts/postgres.sh stop' EXIT
.venv/bin/python -m pytest -p no:cacheprovider "$@"
