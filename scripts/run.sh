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
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_PORT=${WEB_PORT:-8000}
HOST=${BOUSSOLE_HOST:-127.0.0.1}
mkdir -p var/log
# endpoints.yml names the action server's default port; another port gets its own copy.
ENDPOINTS=endpoints.yml
if [ "$ACTIONS_PORT" != 5055 ]; then
    ENDPOINTS=var/endpoints.yml
    sed "s#localhost:5055/#127.0.0.1:$ACTIONS_PORT/#" endpoints.yml > "$ENDPOINTS"
fi

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

SANIC_HOST=127.0.0.1 .venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" \
    >var/log/actions.log 2>&1 &
pids+=($!)
echo "[boussole] serveur d'actions : http://127.0.0.1:$ACTIONS_PORT, local uniquement (journal : var/log/actions.log)"

# Local http on loopback: the session cookie cannot be "secure" (https only) here.
BOUSSOLE_RASA_URL=http://127.0.0.1:$RASA_PORT \
BOUSSOLE_COOKIE_SECURE=${BOUSSOLE_COOKIE_SECURE:-0} .venv/bin/python -m bot web --host "$HOST" --port "$WEB_PORT" \
    >var/log/web.log 2>&1 &
pids+=($!)
echo "[boussole] espace conseil : http://localhost:$WEB_PORT/conseil/ (journal : var/log/web.log)"

.venv/bin/rasa run --model models/boussole.tar.gz --endpoints "$ENDPOINTS" \
    --credentials credentials.yml --interface "$HOST" --port "$RASA_PORT" >var/log/rasa.log 2>&1 &
pids+=($!)
echo "[boussole] chargement du modèle Rasa (environ 30 s)…"
for _ in $(seq 1 180); do
    if curl -fs "http://localhost:$RASA_PORT/" >/dev/null 2>&1; then break; fi
    kill -0 "${pids[2]}" 2>/dev/null || { tail -n 30 var/log/rasa.log; echo "[boussole] ERREUR : le serveur Rasa s'est arrêté (journal : var/log/rasa.log)" >&2; exit 1; }
    sleep 1
done
cat <<MSG
[boussole] Ouvrez http://localhost:$WEB_PORT/ : la page de démonstration de la Métropole avec le widget de discussion.
[boussole] Boussole ESS répond aussi directement :
  POST http://localhost:$RASA_PORT/webhooks/rest/webhook  {"sender": "moi", "message": "bonjour"}
  Dans un autre terminal : .venv/bin/python -m bot chat
  Espace conseil : http://localhost:$WEB_PORT/conseil/ — premier compte :
    .venv/bin/python -m bot advisors add --email vous@exemple.fr --name "Votre nom" --org sem-ess --role admin
  Ctrl-C pour tout arrêter.
MSG
wait -n "${pids[@]}"
