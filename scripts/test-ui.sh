#!/usr/bin/env bash
# The UI's checks: its linter, type check and Vitest unit tests, then the browser end-to-end
# run — the built UI served by `revlens serve`, driven by playwright-core in Debian's
# Chromium, with a server restart between its two phases. Screenshots: ui/e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

target="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
(
    cd ui
    npm ci --no-audit --no-fund --loglevel=error
    echo "== ui: lint"
    npm run lint
    echo "== ui: svelte-check"
    npm run check
    echo "== ui: vitest"
    npm test
    echo "== ui: build"
    npm run build
)
echo "== ui: browser end-to-end (revlens serve + Chromium)"
cargo build --locked -p revlens-cli
REVLENS_BIN="$target/debug/revlens" CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" ui/e2e/run-with-server.sh
