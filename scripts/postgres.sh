#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests (Debian's package, installed when
# missing). Usage: scripts/postgres.sh start|stop — `start` prints the database URL.
set -euo pipefail
# One server per checkout (port and directory derived from its path), so that two clones tested
# on the same machine never stop each other's database.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLOT=$(( $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 400 ))
PORT=${PGTEST_PORT:-$((55432 + SLOT))}
DIR=${PGTEST_DIR:-/tmp/boussole-pgtest-$SLOT}
DB=boussole_test

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
BIN=$(find_bin)
if [ -z "$BIN" ]; then
    echo "[boussole] PostgreSQL absent : installation du paquet Debian « postgresql »…" >&2
    if [ "$(id -u)" != 0 ]; then
        echo "[boussole] ERREUR : il faut être root pour l'installer (apt-get install postgresql)." >&2
        exit 1
    fi
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN=$(find_bin)
fi
# initdb and postgres refuse to run as root: use the postgres account when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
start)
    if [ ! -f "$DIR/PG_VERSION" ]; then
        rm -rf "$DIR" && mkdir -p "$DIR"
        [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
        as_pg "$BIN/initdb" -D "$DIR" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
        as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
            -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    fi
    if ! as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -Atc \
            "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
    fi
    echo "postgresql://postgres@127.0.0.1:$PORT/$DB"
    ;;
stop)
    as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
