#!/bin/bash
# One row of the load benchmark table (docs/benchmarks.md#load-benchmark): start a fresh server
# in one setting, run bench/load.py against it, stop the server.
#
#   bench/load_settings.sh LABEL SETTING PORT [bench/load.py options...]
#
# SETTING: sqlite (`hybridcx demo`, one process), pg1 or pg2 (PostgreSQL + Redis, `hybridcx
# serve --workers 1|2`: the workers share one port and the kernel hands each keep-alive
# connection to one of them, so they can get uneven shares of the customers), or pg2lb (two
# `hybridcx serve` processes on PORT and PORT+1, the client alternating per request as a
# round-robin load balancer in front of them would). The server runs the code of SRC (default: this checkout) with this
# checkout's .venv, so two trees can be measured side by side with one venv. Each run gets a
# fresh data dir (/tmp/load-data-LABEL-SETTING) and, on PostgreSQL, a fresh database
# load_LABEL_SETTING (dropped and created with dropdb/createdb). Results: /tmp/load-results/.
#
# Environment: SRC, LOAD_PG_HOST (127.0.0.1), LOAD_PG_USER (postgres),
# LOAD_REDIS_URL (redis://127.0.0.1:6379/0), LOAD_PG_SETTING (diagnosis only: a
# PostgreSQL parameter for the run's database, e.g. "synchronous_commit = off" to see how much
# of the latency is waiting for the WAL on disk; never a setting to run a contact center with).
set -u
LABEL=$1; SETTING=$2; PORT=$3; shift 3
HERE=$(cd "$(dirname "$0")/.." && pwd)
SRC=${SRC:-$HERE}
VENV=$HERE/.venv
PG_HOST=${LOAD_PG_HOST:-127.0.0.1}
PG_USER=${LOAD_PG_USER:-postgres}
OUT=/tmp/load-results
DATA=/tmp/load-data-$LABEL-$SETTING
mkdir -p $OUT; rm -rf "$DATA"; mkdir -p "$DATA"

export PYTHONPATH=$SRC/src HYBRIDCX_DATA_DIR=$DATA HYBRIDCX_PORT=$PORT
unset HYBRIDCX_DATABASE_URL HYBRIDCX_REDIS_URL
cd "$SRC"
case $SETTING in
  sqlite)
    setsid "$VENV/bin/hybridcx" demo > "$OUT/$LABEL-$SETTING.server.log" 2>&1 &
    ;;
  pg1|pg2|pg2lb)
    DB=load_${LABEL}_$SETTING
    dropdb -h "$PG_HOST" -U "$PG_USER" --if-exists "$DB"
    createdb -h "$PG_HOST" -U "$PG_USER" "$DB"
    if [ -n "${LOAD_PG_SETTING:-}" ]; then
      psql -q -h "$PG_HOST" -U "$PG_USER" -d "$DB" -c "ALTER DATABASE $DB SET $LOAD_PG_SETTING"
    fi
    export HYBRIDCX_DATABASE_URL=postgresql+asyncpg://$PG_USER@$PG_HOST:5432/$DB
    export HYBRIDCX_REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/0}
    "$VENV/bin/hybridcx" seed > /dev/null
    WORKERS=1; [ "$SETTING" = pg2 ] && WORKERS=2
    if [ "$SETTING" = pg2lb ]; then
      # both processes in one process group, so that the trap below stops both
      setsid bash -c "'$VENV/bin/hybridcx' serve --port $((PORT + 1)) --workers 1 & \
        exec '$VENV/bin/hybridcx' serve --port $PORT --workers 1" \
        > "$OUT/$LABEL-$SETTING.server.log" 2>&1 &
    else
      setsid "$VENV/bin/hybridcx" serve --port "$PORT" --workers $WORKERS \
        > "$OUT/$LABEL-$SETTING.server.log" 2>&1 &
    fi
    ;;
  *) echo "SETTING must be sqlite, pg1, pg2 or pg2lb" >&2; exit 2 ;;
esac
PID=$!
trap 'kill -TERM -- -$PID 2>/dev/null; sleep 3; kill -KILL -- -$PID 2>/dev/null' EXIT
URLS=(--url "http://127.0.0.1:$PORT")
[ "$SETTING" = pg2lb ] && URLS+=(--url "http://127.0.0.1:$((PORT + 1))")
for _ in $(seq 1 400); do
  curl -sf "127.0.0.1:$PORT/healthz" > /dev/null &&
    { [ "$SETTING" != pg2lb ] || curl -sf "127.0.0.1:$((PORT + 1))/healthz" > /dev/null; } && break
  sleep 0.5
done
sleep 3  # a second worker may still be starting
CODE=$(git -C "$SRC" rev-parse --short HEAD)
git -C "$SRC" diff --quiet HEAD || CODE="$CODE+uncommitted changes"
echo "== $LABEL $SETTING: code $CODE ($SRC), server pid $PID," \
  "$(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$VENV/bin/python" "$HERE/bench/load.py" "${URLS[@]}" --server-pid "$PID" \
  --json "$OUT/$LABEL-$SETTING.json" "$@"
