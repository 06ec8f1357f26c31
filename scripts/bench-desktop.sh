#!/usr/bin/env bash
# Desktop bench (not a test): cold start of the release app to its first dashboard on the
# demo workspace, its idle memory (the app and its WebKit processes), and the .deb's size.
# Targets: < 1 s, < 200 MB, < 30 MB. How each is measured: tests/desktop/bench.mjs.
# RUNS=5 starts (the first on an empty home), IDLE_SECONDS=10. Respects CARGO_TARGET_DIR.
# Builds what is missing the way scripts/test-desktop.sh does (release bundles).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$CARGO_TARGET_DIR"
CARGO_TARGET_DIR="$(cd "$CARGO_TARGET_DIR" && pwd)"

for tool in cargo node npm xvfb-run WebKitWebDriver; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench-desktop: missing $tool; run scripts/setup.sh first" >&2
        exit 1
    }
done

if [ ! -f ui/dist/index.html ] \
    || [ -n "$(find ui/src ui/index.html ui/package.json ui/package-lock.json -newer ui/dist/index.html -print -quit)" ]; then
    (cd ui && npm ci --no-audit --no-fund && npm run build)
fi
if [ ! -f tests/desktop/node_modules/.package-lock.json ] \
    || [ tests/desktop/package-lock.json -nt tests/desktop/node_modules/.package-lock.json ]; then
    (cd tests/desktop && npm ci --no-audit --no-fund)
fi
tools="$CARGO_TARGET_DIR/tools"
tauri_driver="$tools/bin/tauri-driver"
if [ ! -x "$tauri_driver" ]; then
    CARGO_TARGET_DIR="$tools/build" cargo install tauri-driver --locked --version '^2' --root "$tools"
fi
# Up to date after scripts/test-desktop.sh: cargo has nothing to do, only the bundler runs.
(cd src-tauri && "$root/tests/desktop/node_modules/.bin/tauri" build --bundles deb --ci -- --locked) >"$CARGO_TARGET_DIR/bench-desktop-build.log" 2>&1 || {
    cat "$CARGO_TARGET_DIR/bench-desktop-build.log" >&2
    exit 1
}

binary="$CARGO_TARGET_DIR/release/revlens-desktop"
deb="$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n 1)"

echo "== desktop bench: release binary $(stat -c %s "$binary") bytes; $(nproc) cores; $(uname -r)"
REVLENS_DESKTOP_BINARY="$binary" TAURI_DRIVER="$tauri_driver" \
    xvfb-run -a -s "-screen 0 1440x900x24" node tests/desktop/bench.mjs
deb_bytes="$(stat -c %s "$deb")"
echo ".deb size: $deb_bytes bytes = $(awk -v b="$deb_bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB ($(basename "$deb")) (target < 30 MB)"
