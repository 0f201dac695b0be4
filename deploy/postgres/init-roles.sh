#!/bin/sh
# Run by the postgres image on first start (mounted into /docker-entrypoint-initdb.d): creates
# flowsentry's owner and worker roles (roles.sql, mounted outside that folder so the image does
# not run it without its variables) with the passwords from deploy/.env.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$PG_OWNER_PASSWORD" -v worker_password="$PG_WORKER_PASSWORD" \
  -f /etc/flowsentry/roles.sql
