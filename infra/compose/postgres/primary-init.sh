#!/bin/bash
# Runs once, when the official postgres image initialises the primary's data
# folder (/docker-entrypoint-initdb.d): a role and one replication slot per
# replica, and pg_hba access for them. Slots keep the WAL a replica still needs
# while it restarts; max_slot_wal_keep_size (see the primary's command) bounds it.
set -euo pipefail

: "${REPLICATION_USER:?set REPLICATION_USER}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
: "${REPLICATION_SLOTS:?set REPLICATION_SLOTS, e.g. replica_1,replica_2}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=user="$REPLICATION_USER" --set=password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"user" WITH REPLICATION LOGIN PASSWORD :'password';
SQL

IFS=',' read -ra slots <<< "$REPLICATION_SLOTS"
for slot in "${slots[@]}"; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set=slot="$slot" <<'SQL'
SELECT pg_create_physical_replication_slot(:'slot');
SQL
done

echo "host replication ${REPLICATION_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
