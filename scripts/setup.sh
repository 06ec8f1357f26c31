#!/usr/bin/env bash
# Installs what building and testing RevLens needs on a fresh Debian/Ubuntu machine.
# Safe to run again: it only installs what is missing.
set -euo pipefail

need_apt=()
packages=(
    build-essential pkg-config
    # The sync server's tests run on PostgreSQL too (scripts/postgres-test-server.sh starts a
    # throw-away cluster with its binaries under /usr/lib/postgresql/*/bin).
    postgresql
    # moto's S3-compatible server for the sync server's S3 tests, in a virtualenv (below).
    python3 python3-venv
    # The desktop app (Tauri 2 on WebKitGTK) and its bundles.
    libwebkit2gtk-4.1-dev file libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev rpm
    # The OS keychain (keyring's Secret Service backend).
    libdbus-1-dev gnome-keyring dbus-x11
    # Headless end-to-end tests: the app window under Xvfb through WebKitWebDriver, the UI
    # in Chromium through playwright-core, screenshots.
    xvfb xauth webkit2gtk-driver chromium imagemagick
    # The UI's toolchain when the machine has none (Vite 7 needs Node 20.19 or newer).
    curl ca-certificates
)
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: Rust is missing; install it with rustup (https://rustup.rs) and run this again" >&2
    exit 1
fi
for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done

# moto's S3-compatible server (`moto_server`) for the sync server's S3 tests
# (sync-server/tests/api/moto_server.rs), in a virtualenv of the project's cache;
# scripts/test.sh points the tests at it with REVLENS_TEST_MOTO_SERVER.
moto_venv="${REVLENS_CACHE_DIR:-$HOME/.cache/revlens}/venv"
if [ ! -x "$moto_venv/bin/moto_server" ]; then
    echo "setup: installing moto[server] into $moto_venv"
    python3 -m venv "$moto_venv"
    "$moto_venv/bin/pip" install -q --disable-pip-version-check "moto[server]>=5.1,<6"
fi

# Node.js for the UI (Vite 7 needs Node 20.19+; Debian 12's own nodejs is 18).
node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; }
if ! node_ok; then
    echo "setup: Node.js 20.19 or newer is needed for the UI; install it (e.g. from nodejs.org or NodeSource) and run this again" >&2
    exit 1
fi

# The sync server's OIDC tests run a real OpenID Connect provider (npm's oidc-provider, by a
# node script in sync-server/tests/oidc-provider) on 127.0.0.1.
oidc_fixture="$(cd "$(dirname "$0")/.." && pwd)/sync-server/tests/oidc-provider"
if [ ! -f "$oidc_fixture/node_modules/oidc-provider/package.json" ] \
    || [ "$oidc_fixture/package-lock.json" -nt "$oidc_fixture/node_modules/.package-lock.json" ]; then
    echo "setup: installing the OIDC test provider's npm packages"
    (cd "$oidc_fixture" && npm ci --no-audit --no-fund --loglevel=error)
fi
