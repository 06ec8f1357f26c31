#!/usr/bin/env bash
# Runs e2e/run.mjs against a real `revlens serve`, restarting the server between phases.
#   REVLENS_BIN=target/debug/revlens ui/e2e/run-with-server.sh
# Needs ui/dist (npm run build). Env: REVLENS_BIN (required), PORT (default 8765).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${REVLENS_BIN:?set REVLENS_BIN to the revlens binary}"
PORT="${PORT:-8765}"
HOME_DIR="$(mktemp -d)"
export REVLENS_URL="http://127.0.0.1:${PORT}"
server=""

start() {
  "$REVLENS_BIN" serve --port "$PORT" --home "$HOME_DIR" --ui-dir dist > "e2e/artifacts/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -fs "$REVLENS_URL/" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "revlens serve did not come up; see e2e/artifacts/server.log" >&2
  return 1
}
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi
}
trap 'stop; rm -rf "$HOME_DIR"' EXIT

mkdir -p e2e/artifacts
start
node e2e/run.mjs --phase 1
stop
start
node e2e/run.mjs --phase 2
