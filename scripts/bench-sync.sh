#!/usr/bin/env bash
# A load bench of the sync server on loopback, SQLite backend (BACKEND=postgres: a throw-away
# PostgreSQL cluster instead, started by scripts/postgres-test-server.sh).
#
#   scripts/bench-sync.sh [SECONDS_PER_PHASE]     (default 10)
#
# Builds revlens-sync-server and revlens-sync-load in release, starts the server on a free
# loopback port with a fresh SQLite data folder, creates an owner with `admin create-owner`,
# signs CLIENTS (default 50) clients in, and runs a pull phase and a push phase, printing
# requests/s and p50/p99 latency beside the targets (≥ 3,000 pulls/s, ≥ 1,000 mutations/s,
# p99 < 50 ms). The server logs at RUST_LOG (default info, one line per request, as in
# production) into its data folder, removed at the end. Extra load-generator flags go in
# LOAD_ARGS (e.g. LOAD_ARGS="--batch 10 --check").
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
clients="${CLIENTS:-50}"
backend="${BACKEND:-sqlite}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

echo "== building (release)" >&2
cargo build --release --locked -p revlens-sync-server -p revlens-sync-load >&2
server="$CARGO_TARGET_DIR/release/revlens-sync-server"
load="$CARGO_TARGET_DIR/release/revlens-sync-load"

data="$(mktemp -d -t revlens-sync-bench.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

database=()
case "$backend" in
    sqlite) where="SQLite in $data" ;;
    postgres)
        eval "$(scripts/postgres-test-server.sh start --stop-with $$)"
        database=(--database-url "$REVLENS_TEST_POSTGRES_URL")
        where="PostgreSQL at ${REVLENS_TEST_POSTGRES_URL#*@}"
        ;;
    *) echo "bench-sync: BACKEND must be sqlite or postgres" >&2; exit 2 ;;
esac

email="bench@example.com"
password="bench-password-$RANDOM-$RANDOM"
printf '%s\n' "$password" |
    "$server" --data-dir "$data" "${database[@]}" admin create-owner --email "$email" --org "Bench" --password-stdin >/dev/null

RUST_LOG="${RUST_LOG:-info}" "$server" --data-dir "$data" "${database[@]}" --bind 127.0.0.1:0 >"$data/server.log" 2>"$data/server.err" &
server_pid=$!
addr=""
for _ in $(seq 1 100); do
    addr="$(grep -m1 '"message":"listening"' "$data/server.log" 2>/dev/null |
        sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' || true)"
    [ -n "$addr" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "bench-sync: the server ended before listening:" >&2
        cat "$data/server.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$addr" ]; then
    echo "bench-sync: the server did not say where it listens" >&2
    exit 1
fi

echo "== revlens-sync-server on $addr ($where), $clients clients, $(nproc) cores" >&2
# shellcheck disable=SC2086 # LOAD_ARGS is a list of flags
printf '%s\n' "$password" |
    "$load" --url "http://$addr" --email "$email" --password-stdin --clients "$clients" --seconds "$seconds" \
        ${LOAD_ARGS:-}
