#!/usr/bin/env bash
# Sets up Boussole ESS if needed, then runs it locally on embedded defaults: the action server
# (port 5055), the Rasa server with its REST channel (port 5005) and the advisor workspace
# (port 8000). Everything listens on 127.0.0.1 only (the action server has no authentication:
# anyone who reaches it can run any action for any conversation); BOUSSOLE_HOST=0.0.0.0 opens
# the assistant and the workspace to the network, never the action server. The widget talks to
# Rasa through the workspace's same-origin /chat proxy, so Rasa needs no CORS.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
unset PYTHONDONTWRITEBYTECODE  # bytecode written once, kept in .venv (scripts/setup.sh)
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_PORT=${WEB_PORT:-8000}
HOST=${BOUSSOLE_HOST:-127.0.0.1}
# bot.ops.servers starts the three servers, waits for them and stops them all on exit.
exec .venv/bin/python -m bot serve --host "$HOST" --rasa-port "$RASA_PORT" \
    --actions-port "$ACTIONS_PORT" --web-port "$WEB_PORT"
