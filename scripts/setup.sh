#!/usr/bin/env bash
# Sets up Boussole ESS on this machine: finds Python 3.10, creates .venv, installs the exact
# versions of requirements.lock, and trains the Rasa model when its data changed.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PIP_DISABLE_PIP_VERSION_CHECK=1

say()  { printf '\033[1m[boussole]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[boussole] ERREUR :\033[0m %s\n' "$*" >&2; exit 1; }

is_py310() { [ -n "$1" ] && "$1" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python() {
    local c
    for c in "${BOUSSOLE_PYTHON:-}" "$(command -v python3.10 || true)" /usr/bin/python3.10 /usr/local/bin/python3.10; do
        is_py310 "$c" && { echo "$c"; return; }
    done
    if command -v pyenv >/dev/null 2>&1; then
        for c in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do
            is_py310 "$c" && { echo "$c"; return; }
        done
    fi
    for c in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10; do
        is_py310 "$c" && { echo "$c"; return; }
    done
    if command -v uv >/dev/null 2>&1; then
        c=$(uv python find 3.10 2>/dev/null || true)
        is_py310 "$c" && { echo "$c"; return; }
    fi
    return 1
}

# 1. Python 3.10 and the virtual environment
if ! is_py310 .venv/bin/python; then
    PY=$(find_python) || fail "aucun Python 3.10 trouvé (Rasa 3.6 ne fonctionne pas au-delà de 3.10).
  Installez-en un, par exemple : « pyenv install 3.10 » ou « uv python install 3.10 »,
  ou indiquez son chemin : BOUSSOLE_PYTHON=/chemin/vers/python3.10 $0"
    say "Python 3.10 trouvé : $PY — création de .venv"
    rm -rf .venv
    "$PY" -m venv .venv || fail "impossible de créer .venv avec $PY (paquet venv manquant ?)"
fi

# 2. Exact dependencies (re-installed only when requirements.lock or pyproject.toml change)
stamp=.venv/.boussole-deps
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installation des dépendances (requirements.lock) — quelques minutes la première fois"
    log=.venv/pip-install.log
    pipi() { .venv/bin/python -m pip install "$@" >>"$log" 2>&1 || { tail -n 25 "$log" >&2; return 1; }; }
    pipi --upgrade "pip==24.0" || fail "mise à jour de pip impossible (accès à PyPI ?) — journal : $log"
    pipi -r requirements.lock || fail "installation des dépendances échouée (accès à PyPI ?) — journal : $log"
    pipi --no-deps -e . || fail "installation du paquet bot échouée — journal : $log"
    echo "$want" > "$stamp"
fi

# 3. The Rasa model (re-trained only when config, domain or data changed)
.venv/bin/python -m bot train || fail "l'entraînement du modèle a échoué : voir le message ci-dessus"
say "prêt."
