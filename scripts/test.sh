#!/usr/bin/env bash
# Every check CI runs: formatting, lints, all tests (Rust, UI, browser and desktop end to end),
# and a short fuzz run.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
# The sync server's black-box tests run on SQLite (test `api`) and on PostgreSQL (test
# `api_postgres`): one throw-away PostgreSQL cluster serves the whole run (each test makes its
# own database in it) unless REVLENS_TEST_POSTGRES_URL names a server already.
if [ -z "${REVLENS_TEST_POSTGRES_URL:-}" ]; then
    pg_env="$(./scripts/postgres-test-server.sh start)" # fails the run when PostgreSQL cannot start
    eval "$pg_env"
    trap './scripts/postgres-test-server.sh stop "$REVLENS_TEST_POSTGRES_DIR"' EXIT
    export REVLENS_TEST_POSTGRES_URL
fi
# The S3 blob tests start moto's server (installed by setup.sh) on a free port themselves;
# without it they fail here rather than skip.
export REVLENS_TEST_MOTO_SERVER="${REVLENS_TEST_MOTO_SERVER:-${REVLENS_CACHE_DIR:-$HOME/.cache/revlens}/venv/bin/moto_server}"
if [ ! -x "$REVLENS_TEST_MOTO_SERVER" ]; then
    echo "test: $REVLENS_TEST_MOTO_SERVER is missing; run scripts/setup.sh" >&2
    exit 1
fi
CI="${CI:-true}" cargo test --workspace --locked

# The UI: lint, type check, Vitest, and the browser end-to-end run against `revlens serve`.
./scripts/test-ui.sh

# The desktop app as users get it: release bundles (.deb, .rpm) with their checks and a smoke
# test of the packaged binary, then the WebDriver end-to-end run of the real window under Xvfb.
./scripts/test-desktop.sh

# A short fuzz run of the importer; FUZZ_SECONDS=0 skips it.
fuzz_seconds="${FUZZ_SECONDS:-30}"
if [ "$fuzz_seconds" -gt 0 ]; then
    ./scripts/fuzz.sh "$fuzz_seconds"
fi
