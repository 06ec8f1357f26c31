#!/usr/bin/env bash
# The main job: RevLens on its demo workspace (local SQLite, no server needed).
# Until the desktop app lands this is the CLI: it creates the demo workspace from the
# bundled sample data and shows what is in it.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cargo build --release --locked -p revlens-cli
revlens=("${CARGO_TARGET_DIR:-target}/release/revlens" --home "${REVLENS_HOME:-$HOME/.local/share/revlens-demo}")

"${revlens[@]}" demo
echo
"${revlens[@]}" --workspace "Demo SaaS" dataset show subscriptions
