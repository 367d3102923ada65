#!/usr/bin/env bash
# Installs what tests/interop needs and cannot install by itself: Debian's
# chromium for the browser checks. Node's `ws`, aiohttp and websocket-client
# are installed by the test fixtures into temporary directories.
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends chromium
fi
/usr/bin/chromium --version
