#!/usr/bin/env bash
# The main job: the RevLens desktop app on its demo workspace (local SQLite, no server
# needed). The app creates the demo workspace — a SaaS with a few thousand customers over
# three years — at its first start. Without a display (a server, a container) it serves
# the same app to a browser instead: `revlens serve` on http://127.0.0.1:4777/.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
target="${CARGO_TARGET_DIR:-target}"
export REVLENS_HOME="${REVLENS_HOME:-$HOME/.local/share/revlens-demo}"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    # What `tauri build` compiles: the release app with the UI embedded.
    cargo build --release --locked -p revlens-desktop --features tauri/custom-protocol
    exec "$target/release/revlens-desktop"
fi
echo "No display: serving the app to a browser instead (Ctrl-C stops it)."
cargo build --release --locked -p revlens-cli
exec "$target/release/revlens" serve --port "${PORT:-4777}"
