#!/usr/bin/env bash
# Serves the app under daphne; with REDIS_URL set, also a Celery worker and beat.
# Ctrl-C stops everything this script started.
set -euo pipefail
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ -n "${REDIS_URL:-}" ]; then
  mkdir -p var
  "$BIN/celery" -A odr worker --loglevel=INFO --concurrency=2 --hostname="odr@%h" &
  pids+=($!)
  "$BIN/celery" -A odr beat --loglevel=INFO --schedule=var/celerybeat-schedule &
  pids+=($!)
  echo "Celery worker and beat started on ${REDIS_URL}."
else
  echo "No REDIS_URL: in-memory channel layer, Celery tasks run eagerly."
fi
echo "Serving on http://127.0.0.1:${PORT}"
"$BIN/daphne" -b 127.0.0.1 -p "$PORT" --proxy-headers odr.asgi:application &
pids+=($!)
# Stop everything when any one of them exits.
wait -n
