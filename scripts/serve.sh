#!/usr/bin/env bash
# Serves the app under daphne; with REDIS_URL set, also a Celery worker and beat.
#
# Ctrl-C (INT), TERM or HUP stops everything this script started, and so does the exit
# of any one of them: the others are stopped and the script exits non-zero. Each child
# gets TERM and STOP_TIMEOUT seconds to finish its work, then KILL with its own children
# (the Celery pool processes).
set -uo pipefail
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
STOP_TIMEOUT=${STOP_TIMEOUT:-20}
pids=()
names=()

# Stops every child still running, then exits with the given status.
stop() {
  local status=$1 pid i left all=() seen=" "
  # Finish the clean-up even if Ctrl-C is pressed again (a Celery worker that gets the
  # second Ctrl-C from the terminal cold-stops by itself).
  trap '' INT TERM HUP
  trap - EXIT
  # jobs -p also covers a child started just before the signal arrived.
  for pid in "${pids[@]}" $(jobs -p); do
    case "$seen" in *" $pid "*) ;; *) all+=("$pid") seen+="$pid " ;; esac
  done
  for pid in "${all[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    left=0
    for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  for pid in "${all[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "serve.sh: process $pid did not stop within ${STOP_TIMEOUT}s; killing it." >&2
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null
  exit "$status"
}
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop 129' HUP
trap 'stop 1' EXIT

start() {
  local name=$1
  shift
  "$@" &
  pids+=($!)
  names+=("$name")
}

if [ -n "${REDIS_URL:-}" ]; then
  mkdir -p var
  start "celery worker" "$BIN/celery" -A odr worker --loglevel=INFO --concurrency=2 --hostname="odr@%h"
  start "celery beat" "$BIN/celery" -A odr beat --loglevel=INFO --schedule=var/celerybeat-schedule
  echo "Celery worker and beat started on ${REDIS_URL}."
else
  echo "No REDIS_URL: in-memory channel layer, Celery tasks run eagerly."
fi
echo "Serving on http://127.0.0.1:${PORT}"
start daphne "$BIN/daphne" -b 127.0.0.1 -p "$PORT" --proxy-headers odr.asgi:application

# Any one of them exiting stops the rest. This polls instead of using `wait -n`, which can
# miss a child that exited before it was called; a signal interrupts the wait below and
# runs its trap at once.
while :; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      wait "${pids[$i]}"
      status=$?
      echo "serve.sh: ${names[$i]} (pid ${pids[$i]}) exited with status $status; stopping the rest." >&2
      [ "$status" = 0 ] && status=1
      stop "$status"
    fi
  done
  sleep 1 &
  wait $!
done
