#!/bin/sh
# Same contract as the official image's entrypoint, for what docker-compose.yml uses.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # The set-up server listens on a private socket only, so that pg_isready (the compose health
  # check) does not see it and report ready before the real server is up.
  mkdir -p /tmp/pg-init
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /tmp/pg-init" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then createdb -h /tmp/pg-init -U "$POSTGRES_USER" "$POSTGRES_DB"; fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@" -c listen_addresses='*'
