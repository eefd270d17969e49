#!/usr/bin/env bash
# Run the pipeline on a schedule on this machine (`make schedule`, `make schedule-stop`):
#
#   scripts/schedule.sh [start]   start (or reuse) a local Prefect server on 127.0.0.1, create the `newsdigest`
#                                 process work pool and the `warehouse-writer` concurrency limit, deploy every
#                                 deployment in prefect.yaml, and start (or reuse) a worker. Safe to run again:
#                                 what already runs is detected (pid file + health check) and kept; the
#                                 deployments are re-applied, so edits to prefect.yaml take effect.
#   scripts/schedule.sh stop      stop the worker and the server this script started
#   scripts/schedule.sh status    say what runs, where the UI and the logs are
#
# Settings (environment):
#   NEWSDIGEST_PREFECT_PORT     server port                                (default 4200)
#   NEWSDIGEST_SCHEDULE_DIR     pid files, logs and the server's PREFECT_HOME (default var/schedule)
#   NEWSDIGEST_PREFECT_API_URL  use this Prefect server instead of starting one (a shared server; the script
#                               then only creates the pool and limit, deploys and starts a worker)
#   NEWSDIGEST_TIMEZONE, NEWSDIGEST_SOURCES, NEWSDIGEST_WAREHOUSE, NEWSDIGEST_OUTPUT_DIR: see prefect.yaml
#   NEWSDIGEST_STARTUP_TIMEOUT  seconds to wait for the server              (default 120)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
STATE="${NEWSDIGEST_SCHEDULE_DIR:-$ROOT/var/schedule}"
PORT="${NEWSDIGEST_PREFECT_PORT:-4200}"
POOL=newsdigest                      # must match work_pool.name in prefect.yaml
LIMIT=warehouse-writer               # must match tasks/concurrency.py
STARTUP_TIMEOUT="${NEWSDIGEST_STARTUP_TIMEOUT:-120}"
mkdir -p "$STATE/logs"
STATE="$(cd "$STATE" && pwd)"
SERVER_PID="$STATE/server.pid"
WORKER_PID="$STATE/worker.pid"
SERVER_LOG="$STATE/logs/server.log"
WORKER_LOG="$STATE/logs/worker.log"

if [[ -n "${NEWSDIGEST_PREFECT_API_URL:-}" ]]; then
    EXTERNAL=1
    API_URL="${NEWSDIGEST_PREFECT_API_URL%/}"
else
    EXTERNAL=0
    API_URL="http://127.0.0.1:$PORT/api"
fi
UI_URL="${API_URL%/api}"

# Everything below talks to this server only; state stays under var/ (never ~/.prefect).
export PREFECT_HOME="$STATE/prefect"
export PREFECT_API_URL="$API_URL"
export PREFECT_UI_API_URL="$API_URL"
export PREFECT_UI_ENABLED=true
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export DO_NOT_TRACK=1
# What prefect.yaml's placeholders read (deploy time) and the flow runs inherit from the worker (run time).
export NEWSDIGEST_CHECKOUT="$ROOT"
export NEWSDIGEST_TIMEZONE="${NEWSDIGEST_TIMEZONE:-UTC}"
export NEWSDIGEST_SOURCES="${NEWSDIGEST_SOURCES:-$ROOT/sources.toml}"
export NEWSDIGEST_WAREHOUSE="${NEWSDIGEST_WAREHOUSE:-$ROOT/var/warehouse.duckdb}"
export NEWSDIGEST_OUTPUT_DIR="${NEWSDIGEST_OUTPUT_DIR:-$ROOT/var/digests}"
mkdir -p "$PREFECT_HOME"

log() { printf '[schedule] %s\n' "$*"; }
die() { printf '[schedule] error: %s\n' "$*" >&2; exit 1; }

# A pid from a pid file counts only if the process lives and is the Prefect command we started (pids get reused).
running() {
    local pidfile="$1" pattern="$2" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

healthy() {
    "$BIN/python" - "$API_URL/health" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=3) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
}

# Start a command in its own session, so its process group (pgid = pid) can be stopped as a whole later.
# A script's background jobs start with SIGINT ignored, and Python then never installs its Ctrl-C handler:
# the worker turns SIGTERM into SIGINT for a graceful stop, so SIGINT must be back to its default first.
launch() {
    local pidfile="$1" logfile="$2"
    shift 2
    printf '\n==== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
    setsid env --default-signal=INT "$@" >>"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

stop_group() {
    local pidfile="$1" name="$2" pattern="$3" pid
    if ! running "$pidfile" "$pattern"; then
        rm -f "$pidfile"
        log "$name: not running"
        return 0
    fi
    pid="$(cat "$pidfile")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    log "$name: stopped (pid $pid)"
}

start_server() {
    if [[ "$EXTERNAL" == 1 ]]; then
        healthy || die "the Prefect server at $API_URL does not answer $API_URL/health"
        log "server: using $API_URL (not started here)"
        return 0
    fi
    if running "$SERVER_PID" "server start"; then
        local waited=0
        until healthy; do   # started moments ago by an earlier call, still booting
            (( waited++ < STARTUP_TIMEOUT )) || die "server pid $(cat "$SERVER_PID") runs but $API_URL/health does not answer; see $SERVER_LOG, or run: $0 stop"
            sleep 1
        done
        log "server: already running (pid $(cat "$SERVER_PID")) at $UI_URL"
        return 0
    fi
    rm -f "$SERVER_PID"
    if healthy; then
        die "a Prefect server not started by this script already answers on port $PORT; stop it, or set NEWSDIGEST_PREFECT_PORT (another port) or NEWSDIGEST_PREFECT_API_URL=$API_URL (use it)"
    fi
    log "server: starting on $UI_URL (PREFECT_HOME=$PREFECT_HOME, log $SERVER_LOG)"
    launch "$SERVER_PID" "$SERVER_LOG" "$BIN/prefect" server start --host 127.0.0.1 --port "$PORT"
    local waited=0
    until healthy; do
        if ! running "$SERVER_PID" "server start"; then
            tail -n 20 "$SERVER_LOG" >&2 || true
            rm -f "$SERVER_PID"
            die "the server exited during start-up (log above, full log in $SERVER_LOG)"
        fi
        if (( waited++ >= STARTUP_TIMEOUT )); then
            tail -n 20 "$SERVER_LOG" >&2 || true
            stop_group "$SERVER_PID" server "server start"
            die "the server did not answer within ${STARTUP_TIMEOUT}s"
        fi
        sleep 1
    done
    log "server: up after ${waited}s"
}

setup_pool_and_limits() {
    if "$BIN/prefect" work-pool inspect "$POOL" >/dev/null 2>&1; then
        log "work pool $POOL: exists"
    else
        "$BIN/prefect" work-pool create "$POOL" --type process >/dev/null
        log "work pool $POOL: created (type process)"
    fi
    if "$BIN/prefect" global-concurrency-limit inspect "$LIMIT" >/dev/null 2>&1; then
        log "concurrency limit $LIMIT: exists"
    else
        "$BIN/prefect" global-concurrency-limit create "$LIMIT" --limit 1 >/dev/null
        log "concurrency limit $LIMIT: created (limit 1: one run writes the warehouse at a time)"
    fi
}

deploy() {
    log "deploying prefect.yaml (timezone $NEWSDIGEST_TIMEZONE, sources $NEWSDIGEST_SOURCES, warehouse $NEWSDIGEST_WAREHOUSE)"
    (cd "$ROOT" && "$BIN/prefect" deploy --all --no-prompt) >"$STATE/logs/deploy.log" 2>&1 || {
        cat "$STATE/logs/deploy.log" >&2
        die "prefect deploy failed (output above, also in $STATE/logs/deploy.log)"
    }
    grep -E "Deployment '.*' successfully created" "$STATE/logs/deploy.log" | sed 's/^/[schedule]   /' || true
}

start_worker() {
    if running "$WORKER_PID" "worker start"; then
        log "worker: already running (pid $(cat "$WORKER_PID"))"
        return 0
    fi
    rm -f "$WORKER_PID"
    log "worker: starting on pool $POOL (log $WORKER_LOG)"
    launch "$WORKER_PID" "$WORKER_LOG" "$BIN/prefect" worker start --pool "$POOL" --type process \
        --name "newsdigest-$(hostname)-$PORT"
    sleep 2
    running "$WORKER_PID" "worker start" || { tail -n 20 "$WORKER_LOG" >&2; die "the worker exited at start"; }
}

status() {
    if [[ "$EXTERNAL" == 1 ]]; then
        healthy && log "server: $API_URL answers (external)" || log "server: $API_URL does not answer (external)"
    elif running "$SERVER_PID" "server start"; then
        healthy && log "server: running (pid $(cat "$SERVER_PID")), UI $UI_URL" \
            || log "server: pid $(cat "$SERVER_PID") runs but does not answer yet"
    else
        log "server: not running"
    fi
    if running "$WORKER_PID" "worker start"; then log "worker: running (pid $(cat "$WORKER_PID"))"; else log "worker: not running"; fi
    log "logs: $SERVER_LOG, $WORKER_LOG (flow-run logs also in the UI)"
}

case "${1:-start}" in
    start)
        [[ -x "$BIN/prefect" ]] || die "no $BIN/prefect; run \`make setup\` first"
        start_server
        setup_pool_and_limits
        deploy
        start_worker
        log "ready: UI $UI_URL  (deployments: weekly/weekly-digest Mondays 06:00 $NEWSDIGEST_TIMEZONE, ingest/ingest every 4 h)"
        log "run now:  PREFECT_API_URL=$API_URL $BIN/prefect deployment run weekly/weekly-digest"
        log "logs:     $WORKER_LOG (flow runs), $SERVER_LOG; stop with: make schedule-stop"
        ;;
    stop)
        stop_group "$WORKER_PID" worker "worker start"
        [[ "$EXTERNAL" == 1 ]] || stop_group "$SERVER_PID" server "server start"
        ;;
    status)
        status
        ;;
    *)
        die "usage: $0 [start|stop|status]"
        ;;
esac
