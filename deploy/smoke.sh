#!/usr/bin/env bash
# Build the hybridcx image with podman and smoke-test it, on a machine that reaches Debian's
# mirror and PyPI but no container registry (the project's build VM). Two checks:
#
#   single   the image's `hybridcx serve` with --network host against an existing PostgreSQL and
#            Redis (SMOKE_DATABASE_URL, SMOKE_REDIS_URL): /readyz, the image's HEALTHCHECK, one
#            web chat conversation, a message and its AI answer, on HTTP and on the WebSocket.
#   compose  docker-compose.yml's services run by hand with the same images, commands,
#            environment and start order, on an internal podman network (no published port, no
#            traffic leaves it): postgres, redis, migrate, hybridcx-1, hybridcx-2 and nginx with
#            deploy/nginx.conf; the same chat check through nginx, 3 messages, WebSocket included.
#
#   deploy/smoke.sh [single|compose|all]      (default: all; run from anywhere, as root)
#
# PYTHON_IMAGE=python:3.11.11-slim-bookworm uses a registry's base image instead of the local
# stand-in (deploy/base/Containerfile on a debootstrapped Debian 12). Everything it starts is
# removed at exit; the images stay (podman rmi them to free ~2 GB).
set -euo pipefail

MODE=${1:-all}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${SMOKE_WORK:-/var/tmp/hybridcx-smoke}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/podman/containers.conf}
IMAGE=${SMOKE_IMAGE:-localhost/hybridcx:smoke}
DEBIAN_IMAGE=localhost/debian:bookworm-debootstrap
PYTHON_IMAGE=${PYTHON_IMAGE:-localhost/python:3.11-bookworm-local}
DB_URL=${SMOKE_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test_ct}
REDIS_URL=${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/3}
PORT=${SMOKE_PORT:-18081}
NET=hcx-smoke
P=hcx-smoke-

log() { printf '%s smoke: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
key() { python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())'; }

cleanup() {
    local ids
    ids=$(podman ps -a --filter "name=^${P}" --format '{{.Names}}' || true)
    [ -n "$ids" ] && podman rm -f -t 5 $ids >/dev/null 2>&1 || true
    podman network rm -f "$NET" >/dev/null 2>&1 || true
    podman volume rm -f ${P}postgres-data ${P}hybridcx-data >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Build-time only: on this machine PyPI is reached through a TLS-inspecting egress proxy whose
# CA is in the host's bundle (pip finds it through PIP_CERT). Mounted for the build, never
# copied into a layer.
BUILD_OPTS=(--network host --format docker)
# No systemd here: podman cannot set up its timers for health checks, so they are run by hand
# with `podman healthcheck run` (the image's HEALTHCHECK needs --format docker to be kept).
NOTIMER=(--health-interval disable)
if [ -n "${PIP_CERT:-}" ] && [ -f "$PIP_CERT" ]; then
    mkdir -p "$WORK"
    printf '[global]\ncert = /etc/ssl/certs/host-ca.crt\n' > "$WORK/pip.conf"
    BUILD_OPTS+=(-v "$PIP_CERT:/etc/ssl/certs/host-ca.crt:ro" -v "$WORK/pip.conf:/etc/pip.conf:ro")
fi

base_images() {
    if [[ "$PYTHON_IMAGE" != localhost/* ]]; then return; fi
    if ! podman image exists "$DEBIAN_IMAGE"; then
        log "debootstrap Debian 12 (minbase) into $WORK/rootfs"
        command -v debootstrap >/dev/null || apt-get install -y debootstrap >/dev/null
        rm -rf "$WORK/rootfs" && mkdir -p "$WORK"
        debootstrap --variant=minbase bookworm "$WORK/rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log"
        tar -C "$WORK/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
        rm -rf "$WORK/rootfs"
    fi
    podman image exists "$PYTHON_IMAGE" || {
        log "build $PYTHON_IMAGE"
        podman build "${BUILD_OPTS[@]}" -q -t "$PYTHON_IMAGE" -f "$ROOT/deploy/base/Containerfile" "$ROOT/deploy/base" >/dev/null
    }
}

build() {
    base_images
    log "build $IMAGE (FROM $PYTHON_IMAGE)"
    podman build "${BUILD_OPTS[@]}" --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 \
        || { tail -30 "$WORK/build.log"; exit 1; }
    # The model baked into the image still matches the hashes recorded when it was trained.
    podman run --rm "${NOTIMER[@]}" -w /opt/hybridcx/nlu "$IMAGE" sha256sum -c /opt/hybridcx/nlu.sha256 >&2
    [ "$(podman run --rm "${NOTIMER[@]}" "$IMAGE" id -u)" = 10001 ] || { log "image does not run as 10001"; exit 1; }
}

check() {  # check NETWORK BASE_URL MESSAGES
    podman run --rm "${NOTIMER[@]}" --name ${P}check --network "$1" -v "$ROOT/deploy/smoke_check.py:/smoke_check.py:ro" \
        "$IMAGE" python /smoke_check.py "$2" --messages "$3"
}

single() {
    log "single: $IMAGE serve on 127.0.0.1:$PORT, $DB_URL, $REDIS_URL"
    local env=(-e HYBRIDCX_DATABASE_URL="$DB_URL" -e HYBRIDCX_REDIS_URL="$REDIS_URL"
               -e HYBRIDCX_ENCRYPTION_KEYS="k1:$(key)" -e HYBRIDCX_BLIND_INDEX_KEY="$(key)"
               -e HYBRIDCX_HOST=127.0.0.1 -e HYBRIDCX_PORT="$PORT")
    # Exit 2: the workspace is there from an earlier run.
    podman run --rm "${NOTIMER[@]}" --network host "${env[@]}" "$IMAGE" hybridcx workspace create smoke --name Smoke --default >/dev/null 2>&1 \
        || [ $? = 2 ]
    podman run -d "${NOTIMER[@]}" --name ${P}single --network host --read-only --tmpfs /tmp --tmpfs /var/lib/hybridcx:mode=1777 \
        "${env[@]}" "$IMAGE" >/dev/null
    check host "http://127.0.0.1:$PORT" 1
    podman healthcheck run ${P}single || { log "the image's HEALTHCHECK failed"; exit 1; }
    log "the image's HEALTHCHECK passed"
    podman rm -f -t 5 ${P}single >/dev/null
}

compose() {
    local img
    for svc in postgres redis nginx; do
        img=localhost/hybridcx-standin-$svc:1
        podman image exists "$img" || {
            log "build stand-in $img"
            podman build "${BUILD_OPTS[@]}" -q -t "$img" -f "$ROOT/deploy/podman/standins/$svc.Containerfile" \
                "$ROOT/deploy/podman/standins" >/dev/null
        }
    done
    log "compose: services of docker-compose.yml on the internal network $NET"
    podman network create --internal "$NET" >/dev/null
    local pw; pw=$(key | tr -d '/+=')
    local app=(--network "$NET" -v ${P}hybridcx-data:/var/lib/hybridcx
               -e HYBRIDCX_DATABASE_URL="postgresql+asyncpg://hybridcx:$pw@postgres:5432/hybridcx"
               -e HYBRIDCX_REDIS_URL=redis://redis:6379/0
               -e HYBRIDCX_ENCRYPTION_KEYS="k1:$(key)" -e HYBRIDCX_BLIND_INDEX_KEY="$(key)"
               -e HYBRIDCX_METRICS_TOKEN="$(key)" -e HYBRIDCX_MIGRATE_ON_START=false -e FORWARDED_ALLOW_IPS='*')
    podman run -d --name ${P}postgres --network-alias postgres --network "$NET" -v ${P}postgres-data:/var/lib/postgresql/data \
        -e POSTGRES_USER=hybridcx -e POSTGRES_DB=hybridcx -e POSTGRES_PASSWORD="$pw" \
        localhost/hybridcx-standin-postgres:1 postgres -c max_connections=100 -c shared_buffers=512MB >/dev/null
    podman run -d --name ${P}redis --network-alias redis --network "$NET" \
        localhost/hybridcx-standin-redis:1 redis-server --save "" --appendonly no >/dev/null
    for i in $(seq 60); do podman exec ${P}postgres pg_isready -q -U hybridcx -d hybridcx && break; sleep 1; done
    podman exec ${P}postgres pg_isready -U hybridcx -d hybridcx >&2
    log "migrate (hybridcx db upgrade), then the demo workspace and its articles (hybridcx seed)"
    podman run --rm "${NOTIMER[@]}" --name ${P}migrate "${app[@]}" "$IMAGE" hybridcx db upgrade >&2
    podman run --rm "${NOTIMER[@]}" --name ${P}migrate "${app[@]}" "$IMAGE" hybridcx seed >/dev/null
    for n in 1 2; do
        podman run -d "${NOTIMER[@]}" --name ${P}hybridcx-$n --network-alias hybridcx-$n "${app[@]}" "$IMAGE" >/dev/null
    done
    for n in 1 2; do
        for i in $(seq 90); do podman healthcheck run ${P}hybridcx-$n >/dev/null 2>&1 && break; sleep 1; done
        podman healthcheck run ${P}hybridcx-$n || { log "hybridcx-$n unhealthy"; podman logs ${P}hybridcx-$n | tail -20; exit 1; }
        log "hybridcx-$n healthy"
    done
    podman run -d --name ${P}proxy --network-alias proxy --network "$NET" \
        -v "$ROOT/deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" localhost/hybridcx-standin-nginx:1 >/dev/null
    for i in $(seq 30); do podman exec ${P}proxy wget -q -O /dev/null http://127.0.0.1:8080/healthz && break; sleep 1; done
    check "$NET" http://proxy:8080 3
    for n in 1 2; do
        log "hybridcx-$n answered $(podman logs ${P}hybridcx-$n 2>&1 | grep -c 'route=/api/v1/conversations/{conversation_id}/messages') message POSTs"
    done
    local metrics
    metrics=$(podman exec ${P}proxy wget -S -O /dev/null http://127.0.0.1:8080/metrics 2>&1 || true)
    grep -q ' 404 ' <<<"$metrics" || { log "nginx passed /metrics on: $metrics"; exit 1; }
    log "nginx: /metrics closed (404)"
}

mkdir -p "$WORK"
podman --version >&2
build
case "$MODE" in
    single) single ;;
    compose) compose ;;
    all) single; compose ;;
    *) echo "usage: $0 [single|compose|all]" >&2; exit 2 ;;
esac
log "passed ($MODE)"
