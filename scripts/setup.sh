#!/usr/bin/env bash
# Sets up Boussole ESS on this machine: finds Python 3.10, creates .venv, installs the exact
# versions of requirements.lock, and trains the Rasa model when its data changed.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
UV_VERSION=0.13.9   # the installer's own pin (requirements.lock pins what it installs)
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PIP_DISABLE_PIP_VERSION_CHECK=1
# Bytecode is compiled once, the first time a module is imported (by the training first), and
# kept in .venv, whatever the environment says: compiling all that is installed up front costs
# ≈ 20 s, and only 4 modules in 10 are ever imported (docs/performance.md).
unset PYTHONDONTWRITEBYTECODE

started=$SECONDS
# Every line says how long set-up has taken so far.
say()  { printf '\033[1m[boussole]\033[0m %s (%d s)\n' "$*" "$((SECONDS - started))"; }
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
    # Without pip: uv installs (step 2); pip is added only if uv cannot be had.
    "$PY" -m venv --without-pip .venv || fail "impossible de créer .venv avec $PY (paquet venv manquant ?)"
fi

# 2. Exact dependencies (re-installed only when requirements.lock or pyproject.toml change)
stamp=.venv/.boussole-deps
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installation des dépendances (requirements.lock)"
    log=.venv/pip-install.log
    : >"$log"
    venv_pip() {  # the venv's own pip, added the first time it is needed
        .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip >>"$log" 2>&1
    }
    pipi() { venv_pip && .venv/bin/python -m pip install "$@" >>"$log" 2>&1 || { tail -n 25 "$log" >&2; return 1; }; }
    # uv (from PyPI) installs the same pinned versions in seconds where pip takes minutes. It is
    # installed into .venv by the pip of the Python that made it (no pip in .venv), or by pip.
    uv=$(command -v uv || true)
    if [ -z "$uv" ]; then
        base=$(.venv/bin/python -c 'import os, sys; print(os.path.join(sys.base_prefix, "bin", "python3.10"))')
        if "$base" -m pip --python .venv/bin/python install "uv==$UV_VERSION" >>"$log" 2>&1 \
                || pipi "uv==$UV_VERSION"; then
            uv=.venv/bin/uv
        fi
    fi
    # Not byte-compiled here (≈ 20 s for every module installed): see PYTHONDONTWRITEBYTECODE above.
    if [ -n "$uv" ] && "$uv" pip install --python .venv/bin/python -r requirements.lock >>"$log" 2>&1; then
        "$uv" pip install --python .venv/bin/python --no-deps -e . >>"$log" 2>&1 \
            || fail "installation du paquet bot échouée — journal : $log"
        say "dépendances installées avec uv"
    else
        [ -n "$uv" ] && say "uv a échoué (journal : $log) — installation avec pip"
        pipi --upgrade "pip==24.0" || fail "mise à jour de pip impossible (accès à PyPI ?) — journal : $log"
        pipi -r requirements.lock || fail "installation des dépendances échouée (accès à PyPI ?) — journal : $log"
        pipi --no-deps -e . || fail "installation du paquet bot échouée — journal : $log"
        say "dépendances installées avec pip"
    fi
    echo "$want" > "$stamp"
fi

# 3. The Rasa model (re-trained only when config, domain or data changed)
say "modèle Rasa"
.venv/bin/python -m bot train || fail "l'entraînement du modèle a échoué : voir le message ci-dessus"
say "prêt."
