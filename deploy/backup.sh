#!/usr/bin/env bash
# Dumps Boussole ESS's two PostgreSQL databases (custom format, restorable with pg_restore)
# into $BACKUP_DIR, then removes dumps older than $KEEP_DAYS days.
# Needs DATABASE_URL and TRACKER_STORE_URL (postgresql://…), e.g. from /etc/boussole/boussole.env.
set -euo pipefail
BACKUP_DIR=${BACKUP_DIR:-/var/backups/boussole}
KEEP_DAYS=${KEEP_DAYS:-30}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BACKUP_DIR"
umask 077
for pair in "leads:${DATABASE_URL:?DATABASE_URL absente}" \
            "conversations:${TRACKER_STORE_URL:?TRACKER_STORE_URL absente}"; do
    name=${pair%%:*}
    url=${pair#*:}
    pg_dump --format=custom --no-owner --dbname="$url" --file="$BACKUP_DIR/$name-$stamp.dump.tmp"
    mv "$BACKUP_DIR/$name-$stamp.dump.tmp" "$BACKUP_DIR/$name-$stamp.dump"
    echo "sauvegarde : $BACKUP_DIR/$name-$stamp.dump"
done
find "$BACKUP_DIR" -name '*.dump' -mtime +"$KEEP_DAYS" -delete
