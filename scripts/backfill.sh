#!/usr/bin/env bash
# Regenerate the weekly digests of a date range: scripts/backfill.sh FROM TO   (dates, e.g. 2026-09-01 2026-10-31)
#
# Every ISO week that overlaps [FROM, TO] gets its digest rebuilt (regenerating a week replaces its digest rows
# and files). Sources are ingested once, before the first week; put older material in first (a folder of
# scrapes, or a sitemap source with a large `since_days`) so the weeks have their articles.
#
# Where the weeks run:
#   - a scheduled server answers (`make schedule`, or NEWSDIGEST_PREFECT_API_URL): one `weekly-digest`
#     deployment run per week on the worker (the first is awaited, the rest queued; the warehouse-writer limit
#     runs them one at a time, next to the scheduled runs), visible in the UI;
#   - otherwise: in this process, on a temporary Prefect server, one week after another.
# Extra settings: NEWSDIGEST_SOURCES, NEWSDIGEST_WAREHOUSE, NEWSDIGEST_OUTPUT_DIR (local runs only; queued runs
# use the deployment's parameters), NEWSDIGEST_PREFECT_PORT / NEWSDIGEST_SCHEDULE_DIR as for schedule.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
[[ $# -eq 2 ]] || { echo "usage: $0 FROM TO   (dates like 2026-09-01)" >&2; exit 2; }
[[ -x "$BIN/python" ]] || { echo "error: no $BIN/python; run \`make setup\` first" >&2; exit 1; }

mapfile -t WEEKS < <("$BIN/python" - "$1" "$2" <<'PY'
import sys
from datetime import date, timedelta

start, end = (date.fromisoformat(a) for a in sys.argv[1:3])
if end < start:
    sys.exit(f"error: TO ({end}) is before FROM ({start})")
day = start - timedelta(days=start.weekday())
while day <= end:
    year, week, _ = day.isocalendar()
    print(f"{year}-W{week:02d}")
    day += timedelta(days=7)
PY
)
[[ ${#WEEKS[@]} -gt 0 ]] || exit 1
echo "[backfill] weeks: ${WEEKS[*]}"

PORT="${NEWSDIGEST_PREFECT_PORT:-4200}"
STATE="${NEWSDIGEST_SCHEDULE_DIR:-$ROOT/var/schedule}"
API_URL="${NEWSDIGEST_PREFECT_API_URL:-http://127.0.0.1:$PORT/api}"
if "$BIN/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)" "$API_URL/health" \
        >/dev/null 2>&1; then
    echo "[backfill] queueing on the scheduled server $API_URL"
    export PREFECT_API_URL="$API_URL" PREFECT_HOME="$STATE/prefect"
    # The first week ingests, and must finish before the others digest (a queue has no order): watch it.
    echo "[backfill] ${WEEKS[0]}: ingest and digest (waiting for it)"
    "$BIN/prefect" deployment run weekly/weekly-digest --param "week=${WEEKS[0]}" --watch >/dev/null \
        || { echo "[backfill] error: the run for ${WEEKS[0]} did not complete; see the UI" >&2; exit 1; }
    for week in "${WEEKS[@]:1}"; do
        "$BIN/prefect" deployment run weekly/weekly-digest --param "week=$week" --param "skip_ingest=true" \
            | grep -E "UUID" | sed "s/^.*UUID/[backfill] $week: queued/" || true
    done
    echo "[backfill] queued $(( ${#WEEKS[@]} - 1 )) more runs; follow them in the UI (${API_URL%/api}/runs) or $STATE/logs/worker.log"
else
    echo "[backfill] no scheduled server at $API_URL: running here on a temporary Prefect server"
    cd "$ROOT"
    # `-c`, not a heredoc: extraction may use worker processes, which re-import the main module from its file.
    "$BIN/python" -c '
import sys
from newsdigest import prefect_env
prefect_env.configure()
from flows.weekly import weekly
for n, week in enumerate(sys.argv[1:]):
    result = weekly(week=week, skip_ingest=n > 0)
    print("[backfill]", week, result["digest"])
' "${WEEKS[@]}"
fi
