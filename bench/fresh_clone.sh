#!/usr/bin/env bash
# Time from a fresh clone to the assistant answering (target ≤ 5 min, docs/performance.md).
# Clones the repository into /tmp, runs scripts/run.sh there (which runs scripts/setup.sh:
# Python 3.10 venv, requirements.lock, model training, then starts the action server, the web
# app and the Rasa server) on its default ports 5005/5055/8000 (endpoints.yml names the action
# server's port, so other ports would leave Rasa without its actions: they must be free), and
# times until the REST channel answers
# "bonjour". pip's cache is whatever this machine has (warm after a first install: say so when
# quoting the figure). Prints the figures; the clone is removed afterwards.
# Usage: bench/fresh_clone.sh [REPOSITORY (default: this checkout)]
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
dir=$(mktemp -d /tmp/boussole-fresh-XXXXXX)
export RASA_PORT=5005 ACTIONS_PORT=5055 WEB_PORT=8000
for port in $RASA_PORT $ACTIONS_PORT $WEB_PORT; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is in use: stop scripts/run.sh (or whatever listens there) first" >&2
        exit 1
    fi
done
now() { date +%s.%N; }
t0=$(now)
git clone -q "$src" "$dir/boussole"
t_clone=$(now)
cd "$dir/boussole"
setsid scripts/run.sh >"$dir/run.log" 2>&1 &
run_pid=$!
cleanup() { kill -- -"$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
t_setup=""
until curl -fs -m 30 "http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook" \
        -H 'Content-Type: application/json' -d '{"sender": "fresh", "message": "bonjour"}' \
        | grep -q '"text"'; do
    kill -0 "$run_pid" 2>/dev/null || { tail -n 30 "$dir/run.log"; echo "scripts/run.sh stopped" >&2; exit 1; }
    if [ -z "$t_setup" ] && grep -q "serveur d'actions" "$dir/run.log"; then t_setup=$(now); fi
    sleep 1
done
t_answer=$(now)
pip_cache=$(du -sh "$(.venv/bin/python -m pip cache dir 2>/dev/null)" 2>/dev/null | cut -f1 || echo "?")
python3 - "$t0" "$t_clone" "${t_setup:-$t_answer}" "$t_answer" "$pip_cache" "$(nproc)" "${PIP_FIND_LINKS:-}" <<'PY'
import sys
t0, clone, setup, answer = map(float, sys.argv[1:5])
m = lambda s: f"{int(s // 60)} min {s % 60:04.1f} s"
print(f"clone: {m(clone - t0)}")
print(f"set-up (venv, requirements.lock, model training): {m(setup - clone)}")
print(f"servers start → first answer over REST: {m(answer - setup)}")
print(f"fresh clone → assistant answering: {m(answer - t0)}  (pip cache {sys.argv[5]}, "
      f"local wheels PIP_FIND_LINKS={sys.argv[7] or 'none'}, {sys.argv[6]} CPU)")
PY
grep -aE "entraîné en|installation" "$dir/run.log" | sed 's/\x1b\[[0-9;]*m//g' || true
