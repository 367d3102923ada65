#!/usr/bin/env bash
# Installs what tests/interop needs and cannot install by itself: Debian's
# chromium for the browser checks, and Node.js with npm where the machine has
# none. Node's `ws`, aiohttp and websocket-client are installed by the test
# fixtures into temporary directories. Safe to run again: it installs only
# what is missing.
set -euo pipefail

packages=()
if [ ! -x /usr/bin/chromium ]; then
    packages+=(chromium)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

if [ "${#packages[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${packages[@]}"
fi

/usr/bin/chromium --version 2>/dev/null
node --version
npm --version
