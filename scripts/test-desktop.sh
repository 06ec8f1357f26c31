#!/usr/bin/env bash
# The desktop app, built and tested as users get it:
#   1. the UI (ui/dist), when missing or older than its sources;
#   2. the release bundles (.deb, .rpm) with `tauri build`: this also builds the release
#      binary the later steps use, so the app is compiled once;
#   3. the .deb: its metadata and files, and a smoke test of the binary extracted from it
#      (its store created under Xvfb, still running 3 s later);
#   4. the .rpm's metadata and files;
#   5. the WebDriver end-to-end test (tests/desktop/e2e.mjs) against the release binary,
#      with a screenshot of every page in tests/desktop/artifacts/;
#   6. a revlens:// share link opening the release binary (tests/desktop/share-link.mjs),
#      against the real sync server and `revlens serve` (debug builds, as scripts/test.sh
#      leaves them).
# Needs what scripts/setup.sh installs. Respects CARGO_TARGET_DIR. Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$CARGO_TARGET_DIR"
CARGO_TARGET_DIR="$(cd "$CARGO_TARGET_DIR" && pwd)"
XVFB_ARGS="-screen 0 1440x900x24"

missing=()
for tool in cargo node npm xvfb-run WebKitWebDriver dpkg-deb rpm identify; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "test-desktop: missing ${missing[*]}; run scripts/setup.sh first" >&2
    exit 1
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/revlens-desktop-test.XXXXXX")"
smoke_pgid=""
cleanup() {
    if [ -n "$smoke_pgid" ]; then kill -- "-$smoke_pgid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# Is any file under the given paths newer than $1?
newer_than() {
    local stamp="$1"
    shift
    [ -n "$(find "$@" -newer "$stamp" -print -quit 2>/dev/null)" ]
}

echo "== desktop: the UI"
if [ ! -f ui/dist/index.html ] \
    || newer_than ui/dist/index.html ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts ui/svelte.config.js; then
    (cd ui && npm ci --no-audit --no-fund && npm run build)
else
    echo "ui/dist is up to date"
fi

echo "== desktop: test tools (Tauri CLI, WebdriverIO, tauri-driver)"
if [ ! -f tests/desktop/node_modules/.package-lock.json ] \
    || [ tests/desktop/package-lock.json -nt tests/desktop/node_modules/.package-lock.json ]; then
    (cd tests/desktop && npm ci --no-audit --no-fund)
fi
tauri_cli="$root/tests/desktop/node_modules/.bin/tauri"
tools="$CARGO_TARGET_DIR/tools"
tauri_driver="$tools/bin/tauri-driver"
if [ ! -x "$tauri_driver" ]; then
    # Its own target directory: installing must not touch the workspace's build.
    CARGO_TARGET_DIR="$tools/build" cargo install tauri-driver --locked --version '^2' --root "$tools"
fi

echo "== desktop: release bundles (deb, rpm)"
(cd src-tauri && "$tauri_cli" build --bundles deb,rpm --ci -- --locked)
binary="$CARGO_TARGET_DIR/release/revlens-desktop"
bundles="$CARGO_TARGET_DIR/release/bundle"
deb="$(ls -t "$bundles"/deb/*.deb 2>/dev/null | head -n 1)"
rpm_file="$(ls -t "$bundles"/rpm/*.rpm 2>/dev/null | head -n 1)"
for f in "$binary" "$deb" "$rpm_file"; do
    if [ ! -f "$f" ]; then
        echo "test-desktop: the build did not produce ${f:-a bundle under $bundles}" >&2
        exit 1
    fi
done

echo "== desktop: the .deb ($deb)"
dpkg-deb -I "$deb"
dpkg-deb -c "$deb" | tee "$scratch/deb-files"
for expected in usr/bin/revlens-desktop usr/share/applications/RevLens.desktop; do
    if ! awk '{print $NF}' "$scratch/deb-files" | sed 's#^\./##' | grep -qxF "$expected"; then
        echo "test-desktop: the .deb lacks $expected" >&2
        exit 1
    fi
done
if ! grep -q 'usr/share/icons/hicolor/.*/apps/revlens-desktop.png' "$scratch/deb-files"; then
    echo "test-desktop: the .deb has no icon" >&2
    exit 1
fi
dpkg-deb -x "$deb" "$scratch/root"
smoke_bin="$scratch/root/usr/bin/revlens-desktop"
smoke_home="$scratch/smoke-home"
echo "smoke test: $smoke_bin under Xvfb, REVLENS_HOME=$smoke_home"
REVLENS_HOME="$smoke_home" setsid xvfb-run -a -s "$XVFB_ARGS" "$smoke_bin" >"$scratch/smoke.log" 2>&1 &
smoke_pgid=$!
# Up once it has created its store; a loaded machine may take a while to get there.
for _ in $(seq 120); do
    if [ -f "$smoke_home/revlens.db" ] || ! kill -0 "$smoke_pgid" 2>/dev/null; then break; fi
    sleep 0.5
done
if [ ! -f "$smoke_home/revlens.db" ]; then
    echo "test-desktop: the packaged app did not create $smoke_home/revlens.db within 60 s; its output:" >&2
    cat "$scratch/smoke.log" >&2
    exit 1
fi
# And it keeps running with its window open.
sleep 3
alive=""
for proc in /proc/[0-9]*; do
    if [ "$(readlink "$proc/exe" 2>/dev/null)" = "$smoke_bin" ]; then alive="${proc#/proc/}"; fi
done
if [ -z "$alive" ]; then
    echo "test-desktop: the packaged app stopped after creating its store; its output:" >&2
    cat "$scratch/smoke.log" >&2
    exit 1
fi
kill -- "-$smoke_pgid" 2>/dev/null || true
wait "$smoke_pgid" 2>/dev/null || true
smoke_pgid=""
echo "smoke test: ok (pid $alive created revlens.db and kept running)"

echo "== desktop: the .rpm ($rpm_file)"
rpm -qpi "$rpm_file"
rpm -qpl "$rpm_file" | tee "$scratch/rpm-files"
grep -qxF /usr/bin/revlens-desktop "$scratch/rpm-files" || {
    echo "test-desktop: the .rpm lacks /usr/bin/revlens-desktop" >&2
    exit 1
}

echo "== desktop: end to end (tauri-driver + WebKitWebDriver, release binary)"
rm -f tests/desktop/artifacts/*.png
REVLENS_DESKTOP_BINARY="$binary" TAURI_DRIVER="$tauri_driver" \
    xvfb-run -a -s "$XVFB_ARGS" node tests/desktop/e2e.mjs

echo "== desktop: a share link opens the app (sync server + revlens serve + release binary)"
cargo build --locked -p revlens-cli -p revlens-sync-server --bins
REVLENS_DESKTOP_BINARY="$binary" TAURI_DRIVER="$tauri_driver" \
    REVLENS_CLI_BINARY="$CARGO_TARGET_DIR/debug/revlens" \
    REVLENS_SYNC_SERVER_BINARY="$CARGO_TARGET_DIR/debug/revlens-sync-server" \
    REVLENS_UI_DIR="$root/ui/dist" \
    xvfb-run -a -s "$XVFB_ARGS" node tests/desktop/share-link.mjs
for shot in revenue cohorts churn data scenarios dashboards team shared; do
    png="tests/desktop/artifacts/$shot.png"
    colours="$(identify -format '%k' "$png")"
    if [ "$colours" -lt 64 ]; then
        echo "test-desktop: $png has only $colours colours: the page did not render" >&2
        exit 1
    fi
    echo "$png: $(identify -format '%wx%h' "$png"), $colours colours"
done

deb_bytes="$(stat -c %s "$deb")"
echo "== desktop: ok; .deb $(basename "$deb"): $deb_bytes bytes ($((deb_bytes / 1024 / 1024)) MiB), .rpm $(basename "$rpm_file"): $(stat -c %s "$rpm_file") bytes"
