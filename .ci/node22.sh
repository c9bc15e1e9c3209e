#!/usr/bin/env bash
# Runs a command with Node.js >= 22 first on PATH. On a machine whose node is older (Node 20
# ships on some), ensure-node.sh fetches Node 22 from the npm registry once; with Node 22/24
# already there it changes nothing. Used by `npm run setup`, `npm test` and `npm run demo`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(bash "$here/ensure-node.sh")"
if [ -n "$bin" ]; then export PATH="$bin:$PATH"; fi
exec "$@"
