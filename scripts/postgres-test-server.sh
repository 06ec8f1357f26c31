#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on 127.0.0.1 for the sync server's tests.
#
#   postgres-test-server.sh start [--stop-with PID]
#       initdb into a new temporary directory, start the server on a free port, and print
#           REVLENS_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
#           REVLENS_TEST_POSTGRES_DIR=/tmp/revlens-pg.XXXXXX
#       (shell assignments: `eval "$(postgres-test-server.sh start)"`). With --stop-with, a
#       watcher stops the cluster and removes its directory once process PID has exited.
#   postgres-test-server.sh stop DIR
#       stops the cluster in DIR and removes DIR.
#
# Uses Debian's binaries under /usr/lib/postgresql/*/bin (scripts/setup.sh installs them).
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

bin_dir=""
for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && bin_dir="$dir"
done
if [ -z "$bin_dir" ]; then
    echo "postgres-test-server: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

stop() {
    local dir="$1"
    [ -f "$dir/data/PG_VERSION" ] || { echo "postgres-test-server: no cluster in $dir" >&2; return 1; }
    as_owner "$bin_dir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    local stop_with=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --stop-with) stop_with="$2"; shift 2 ;;
            *) echo "postgres-test-server: unknown argument $1" >&2; exit 2 ;;
        esac
    done
    local dir
    dir="$(mktemp -d /tmp/revlens-pg.XXXXXX)"
    chmod 755 "$dir"
    mkdir "$dir/data"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
    if ! as_owner "$bin_dir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    fi
    local port="" attempt
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        port_is_free "$port" || continue
        if as_owner "$bin_dir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start </dev/null >"$dir/pg_ctl.log" 2>&1; then
            break
        fi
        port=""
        echo "postgres-test-server: start attempt $attempt failed" >&2
    done
    if [ -z "$port" ]; then
        cat "$dir/server.log" "$dir/pg_ctl.log" >&2 2>/dev/null || true
        rm -rf "$dir"
        exit 1
    fi
    if [ -n "$stop_with" ]; then
        setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" stop "$3"' \
            watcher "$stop_with" "$0" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    echo "REVLENS_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "REVLENS_TEST_POSTGRES_DIR=$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
    *) echo "usage: $0 start [--stop-with PID] | stop DIR" >&2; exit 2 ;;
esac
