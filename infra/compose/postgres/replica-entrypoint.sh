#!/bin/bash
# Entry point of a streaming replica on the official postgres image: on first
# start the data folder is a base backup of the primary (pg_basebackup -R writes
# standby.signal and primary_conninfo), then the image's own entry point runs
# postgres, which finds an initialised folder and starts as a hot standby.
set -euo pipefail

: "${PRIMARY_HOST:?set PRIMARY_HOST}"
: "${REPLICATION_USER:?set REPLICATION_USER}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
: "${REPLICATION_SLOT:?set REPLICATION_SLOT}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  until pg_isready --quiet --host "$PRIMARY_HOST" --port "$PRIMARY_PORT"; do
    echo "replica: waiting for the primary at ${PRIMARY_HOST}:${PRIMARY_PORT}"
    sleep 2
  done
  echo "replica: taking a base backup of ${PRIMARY_HOST} through slot ${REPLICATION_SLOT}"
  gosu postgres env PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
    --host "$PRIMARY_HOST" --port "$PRIMARY_PORT" --username "$REPLICATION_USER" \
    --pgdata "$PGDATA" --wal-method stream --slot "$REPLICATION_SLOT" \
    --write-recovery-conf --checkpoint fast --progress
fi

exec docker-entrypoint.sh "$@"
