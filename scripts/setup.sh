#!/usr/bin/env bash
# Installs what building and testing RevLens needs on a fresh Debian/Ubuntu machine.
# Safe to run again: it only installs what is missing.
set -euo pipefail

need_apt=()
# postgresql: the sync server's tests run on PostgreSQL too (scripts/postgres-test-server.sh
# starts a throw-away cluster with its binaries under /usr/lib/postgresql/*/bin).
for pkg in build-essential pkg-config postgresql; do
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
